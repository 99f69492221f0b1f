"""Reading rules out of model text: code blocks, Python functions, rule lines."""

from __future__ import annotations

import ast
import re

from agents.world.interpreter import RuleParseError

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """All fenced blocks ``(language, body)`` in ``text``; an unclosed last fence runs to the end."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def strip_fences(text: str, languages: tuple[str, ...] = ()) -> str:
    """The body of the first fenced block (preferring ``languages``), or ``text`` itself if there is none."""
    blocks = code_blocks(text)
    for lang, body in blocks:
        if lang in languages:
            return body.strip()
    return blocks[0][1].strip() if blocks else text.strip()


def parse_python_rule(text: str, name: str = "fn") -> str:
    """Extract Python source that defines function ``name`` from model text.

    Looks in fenced blocks first, then in the raw text from the first ``import``/``def`` line on.

    Raises:
        RuleParseError: no such function, or the source does not compile (the reason is in the message).
    """
    candidates = [body for lang, body in code_blocks(text) if lang in ("", "python", "py", "python3")]
    raw = text
    start = re.search(r"^(?:from \S+ import|import |def )", raw, re.M)
    if start:
        candidates.append(raw[start.start():])
    if not candidates:
        raise RuleParseError(f"no Python code found (expected 'def {name}(...)')")
    last_error = f"no function named '{name}' defined"
    for src in candidates:
        src = _trim_trailing_prose(src)
        try:
            tree = ast.parse(src)
        except SyntaxError as exc:
            last_error = f"Python syntax error at line {exc.lineno}: {exc.msg}"
            continue
        if any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body):
            return src
        defs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        if len(defs) == 1:  # a lone function under another name is still the rule: alias it
            return src + f"\n\n{name} = {defs[0]}\n"
    raise RuleParseError(last_error)


def _trim_trailing_prose(src: str) -> str:
    """Drop unindented non-code lines after the code (models often explain after the function)."""
    lines = src.rstrip().splitlines()
    for _ in range(10):
        try:
            ast.parse("\n".join(lines))
            return "\n".join(lines)
        except SyntaxError:
            if len(lines) < 2 or lines[-1][:1].isspace():
                break
            lines.pop()
    return src
