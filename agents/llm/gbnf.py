"""Constraints → llama.cpp GBNF grammars (JSON schema, regex, choices)."""

from __future__ import annotations

import json

from agents.llm.constraints import Choice, Constraint, Grammar, JsonSchema, Regex
from agents.llm.errors import RequestError


def _normalize_regex(pattern: str) -> str:
    """Rewrite regex syntax llama.cpp's converter mishandles into equivalent syntax it accepts.

    Non-capturing groups ``(?:...)`` become plain groups (matching is the same), and an escaped
    punctuation character outside a character class, such as ``\\.``, becomes a one-character class
    ``[.]``: the converter copies ``\\.`` into a GBNF string literal, where llama.cpp's grammar parser
    rejects it as an unknown escape. Validation still uses the caller's original pattern.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if not in_class and not nxt.isalnum() and nxt not in "\\[]^-":
                out.append(f"[{nxt}]")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if not in_class and pattern.startswith("(?:", i):
            out.append("(")
            i += 3
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def to_gbnf(c: Constraint) -> str:
    """The GBNF grammar (root rule ``root``) that generates exactly the replies ``c`` accepts.

    Raises:
        RequestError: The regex uses a feature llama.cpp grammars cannot express (e.g. lookaround).
    """
    from llama_cpp.llama_grammar import SchemaConverter, json_schema_to_gbnf

    if isinstance(c, Grammar):
        return c.gbnf
    if isinstance(c, JsonSchema):
        return json_schema_to_gbnf(json.dumps(dict(c.schema)))
    conv = SchemaConverter(prop_order={}, allow_fetch=False, dotall=True, raw_pattern=True)
    if isinstance(c, Choice):
        return "root ::= " + " | ".join(conv._format_literal(x) for x in c.choices)
    if isinstance(c, Regex):
        pattern = _normalize_regex(c.pattern)
        if any(tok in pattern for tok in ("(?=", "(?!", "(?<=", "(?<!", "\\b", "\\B")):
            raise RequestError(f"regex {c.pattern!r} uses lookaround or word boundaries, which llama.cpp "
                               "grammars cannot express; rewrite it without them")
        try:
            conv._visit_pattern("^" + pattern.removeprefix("^").removesuffix("$") + "$", "root")
        except Exception as e:  # the converter asserts/raises on what it cannot parse
            raise RequestError(f"regex {c.pattern!r} cannot be converted to a llama.cpp grammar: {e}") from e
        return conv.format_grammar()
    raise RequestError(f"no GBNF translation for constraint {type(c).__name__}")
