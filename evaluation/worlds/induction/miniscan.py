"""MiniSCAN (Lake, Linzen & Baroni, 2019) as used by Qiu et al. (2024): tasks and a QCFG interpreter.

The generator
-------------
Lake et al.'s few-shot instruction-learning task maps pseudo-words to colored circles: four primitives
(``dax`` → RED, ``lug`` → BLUE, ``wif`` → GREEN, ``zup`` → YELLOW) and three function words: ``fep``
(``x fep`` → ``x x x``), ``blicket`` (``x blicket y`` → ``x y x``) and ``kiki`` (``x kiki y`` →
``y x``), with ``kiki`` applied outermost (it binds loosest), ``fep`` innermost. The 14 study
instructions and 10 test instructions follow the paper's templates (test uses ``zup``, seen only alone,
inside compositions). Each task draws its own vocabulary: 7 distinct random pseudo-words (CVC or CVCC)
for the primitives and function words, and 4 distinct output colors from 12, so no two tasks share
surface forms (``numpy.random.default_rng``; task ``i`` of a set uses seed ``seed * 100_003 + i``).
Seen examples are shuffled. Outputs are computed by the interpreter below from the task's true grammar.

Rule form ``grammar`` (a quasi-synchronous grammar)
--------------------------------------------------
One rule per line: ``<left side> -> <right side>``, optionally followed by ``(priority N)``. Left
sides are words and variables (``x``, ``y``, ``z``, a single letter, or ``##A``-style names); a
variable matches any non-empty span of words that itself parses. Right sides are colors and
variables. A span is parsed by trying rules in order of priority (higher first, ties in line order)
and, within a rule, variable splits left to right; the first rule whose every variable span parses
gives the span's meaning. Parsing is memoized per span and stops with an error after ``time_limit``
seconds (the paper's parser used 5 s).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.world import (
    Domain,
    Example,
    Interpreter,
    Outcome,
    OutputParseError,
    PythonInterpreter,
    RuleForm,
    RuleParseError,
    python_form,
)
from evaluation.worlds.induction.tasks import Task

COLORS = ("RED", "BLUE", "GREEN", "YELLOW", "PURPLE", "PINK", "ORANGE", "BLACK", "WHITE", "BROWN", "GRAY",
          "CYAN")
_CONSONANTS = "bdfghjklmnprstvwz"
_VOWELS = "aeiou"

# Lake et al. (2019): primitives P0..P3 (dax, lug, wif, zup), functions F1 (fep), F2 (blicket), F3 (kiki).
STUDY = (
    "P0", "P1", "P2", "P3", "P1 F1", "P0 F1", "P1 F2 P2", "P2 F2 P0", "P1 F3 P2", "P0 F3 P1",
    "P1 F1 F3 P2", "P1 F3 P2 F1", "P2 F3 P0 F2 P1", "P2 F2 P0 F3 P1",
)
TEST = (
    "P3 F1", "P3 F2 P1", "P0 F2 P3", "P3 F3 P0", "P2 F3 P3", "P3 F1 F3 P1", "P2 F3 P3 F1",
    "P1 F3 P2 F2 P3", "P3 F2 P2 F3 P0 F1", "P3 F2 P3 F3 P3 F1",
)
# The true grammar in the rule form, with priorities encoding Lake's precedence (kiki outermost).
TRUE_GRAMMAR = (
    "P0 -> C0", "P1 -> C1", "P2 -> C2", "P3 -> C3",
    "x F1 -> x x x (priority 1)", "x F2 y -> x y x (priority 2)", "x F3 y -> y x (priority 3)",
)


@dataclass(frozen=True)
class Rule:
    """One grammar rule: left side (words and variables), right side (colors and variables), priority."""

    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    priority: int
    order: int

    def __str__(self) -> str:
        return f"{' '.join(self.lhs)} -> {' '.join(self.rhs)} (priority {self.priority})"


def _pseudo_words(rng: np.random.Generator, k: int) -> list[str]:
    words: list[str] = []
    while len(words) < k:
        w = (rng.choice(list(_CONSONANTS)) + rng.choice(list(_VOWELS)) + rng.choice(list(_CONSONANTS))
             + (rng.choice(list(_CONSONANTS)) if rng.random() < 0.3 else ""))
        if w not in words:
            words.append(str(w))
    return words


def generate_task(seed: int, index: int = 0, time_limit: float = 5.0) -> Task:
    """Generate one MiniSCAN task from ``seed`` (see the module docstring).

    Inputs are tuples of words, outputs tuples of colors; ``meta`` holds the true grammar and vocabulary.
    """
    rng = np.random.default_rng(seed)
    words = _pseudo_words(rng, 7)
    colors = [COLORS[int(i)] for i in rng.choice(len(COLORS), size=4, replace=False)]
    vocab = {f"P{i}": words[i] for i in range(4)} | {f"F{i}": words[3 + i] for i in range(1, 4)}
    vocab |= {f"C{i}": colors[i] for i in range(4)}

    def fill(template: str) -> str:
        return " ".join(vocab.get(t, t) for t in template.split())

    grammar_text = "\n".join(fill(r) for r in TRUE_GRAMMAR)
    grammar = parse_grammar(grammar_text)
    interp = QcfgInterpreter(time_limit=time_limit)

    def example(template: str) -> Example:
        x = tuple(fill(template).split())
        [out] = interp.apply(grammar, [x])
        if not out.ok:  # the true grammar must parse every instruction
            raise AssertionError(f"true grammar failed on {x}: {out.error}")
        return Example(x, out.output)

    train = [example(t) for t in STUDY]
    train = [train[int(i)] for i in rng.permutation(len(train))]
    test = tuple(example(t) for t in TEST)
    return Task(id=f"miniscan-{index:03d}", train=tuple(train), test=test,
                meta={"grammar": grammar_text, "vocabulary": vocab})


def generate_tasks(n: int = 100, seed: int = 0) -> list[Task]:
    """``n`` tasks with independent random vocabularies."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return [generate_task(seed * 100_003 + i, index=i) for i in range(n)]


# ------------------------------------------------------------------------------------------- grammar

_VAR = re.compile(r"^(?:[A-Za-z]\d*|##?[A-Za-z]\w*|\[[A-Za-z]\d*\])$")
_ARROW = re.compile(r"\s*(?:->|→|=>|-->)\s*")
_PRIORITY = re.compile(r"[\(\[]?\s*(?:priority|prio|p)\s*[:=]?\s*(-?\d+)\s*[\)\]]?\s*$", re.I)


def is_variable(token: str) -> bool:
    """Variables: one letter (optionally with digits), ``##A``/``#A`` names, or ``[x]``."""
    return bool(_VAR.match(token))


def parse_grammar(text: str) -> list[Rule]:
    """Read grammar rules from model text (lines without an arrow are ignored).

    Raises:
        RuleParseError: no rule found, or a right side uses a variable its left side lacks.
    """
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", raw.strip()).strip("` ")
        parts = _ARROW.split(line, maxsplit=1)
        if len(parts) != 2:
            continue
        lhs_text, rhs_text = parts
        priority = 0
        m = _PRIORITY.search(rhs_text)
        if m:
            priority = int(m.group(1))
            rhs_text = rhs_text[: m.start()]
        lhs = tuple(t.strip("\"',.;") for t in lhs_text.split() if t.strip("\"',.;"))
        rhs = tuple(t.strip("\"',.;") for t in rhs_text.split() if t.strip("\"',.;"))
        if not lhs or all(is_variable(t) for t in lhs):
            continue  # a rule must mention at least one word (else it loops on every span)
        lhs = tuple(t if is_variable(t) else t.lower() for t in lhs)
        rhs = tuple(t if is_variable(t) else t.upper() for t in rhs)
        missing = [t for t in rhs if is_variable(t) and t not in lhs]
        if missing:
            raise RuleParseError(f"rule '{line}': right side uses {missing[0]!r}, which the left side lacks")
        rules.append(Rule(lhs, rhs, priority, len(rules)))
    if not rules:
        raise RuleParseError("no grammar rule of the form '<words and variables> -> <colors and variables>'")
    return rules


def render_grammar(rules: Sequence[Rule]) -> str:
    return "\n".join(str(r) for r in rules)


class ParseTimeout(Exception):
    pass


def parse_instruction(rules: Sequence[Rule], words: Sequence[str], time_limit: float = 5.0
                      ) -> tuple[str, ...] | None:
    """Meaning of ``words`` under ``rules`` (``None`` if no parse).

    Raises:
        ParseTimeout: parsing took longer than ``time_limit`` seconds.
    """
    ordered = sorted(rules, key=lambda r: (-r.priority, r.order))
    words = tuple(w.lower() for w in words)
    memo: dict[tuple[int, int], tuple[str, ...] | None] = {}
    deadline = time.monotonic() + time_limit
    in_progress = object()
    steps = [0]  # split attempts, to check the clock inside long enumerations too

    def span(i: int, j: int) -> tuple[str, ...] | None:
        key = (i, j)
        if key in memo:
            got = memo[key]
            return None if got is in_progress else got  # a cycle through the same span fails
        if time.monotonic() > deadline:
            raise ParseTimeout
        memo[key] = in_progress  # type: ignore[assignment]
        result = None
        for rule in ordered:
            result = match(rule, i, j)
            if result is not None:
                break
        memo[key] = result
        return result

    def match(rule: Rule, i: int, j: int) -> tuple[str, ...] | None:
        lhs = rule.lhs

        def go(k: int, pos: int, binding: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
            if k == len(lhs):
                if pos != j:
                    return None
                out: list[str] = []
                for t in rule.rhs:
                    out.extend(binding[t] if is_variable(t) else (t,))
                return tuple(out)
            tok = lhs[k]
            if not is_variable(tok):
                return go(k + 1, pos + 1, binding) if pos < j and words[pos] == tok else None
            # a variable needs at least one word, and leaves one for each later left-side token
            for end in range(pos + 1, j - (len(lhs) - k - 1) + 1):
                steps[0] += 1
                if steps[0] % 512 == 0 and time.monotonic() > deadline:
                    raise ParseTimeout
                meaning = span(pos, end)
                if meaning is None or (tok in binding and binding[tok] != meaning):
                    continue
                got = go(k + 1, end, binding | {tok: meaning})
                if got is not None:
                    return got
            return None

        return go(0, i, {})

    return span(0, len(words))


class QcfgInterpreter(Interpreter):
    """Applies grammar rules to instructions, with a per-instruction time limit."""

    def __init__(self, time_limit: float = 5.0) -> None:
        self.time_limit = time_limit

    def apply(self, rule: Sequence[Rule], inputs: Sequence[Sequence[str]]) -> list[Outcome]:
        out = []
        for words in inputs:
            try:
                meaning = parse_instruction(rule, words, self.time_limit)
            except ParseTimeout:
                out.append(Outcome(error=f"parse took longer than {self.time_limit:g}s"))
                continue
            except RecursionError:
                out.append(Outcome(error="parse recursion too deep"))
                continue
            out.append(Outcome(meaning) if meaning is not None else
                       Outcome(error=f"no parse for '{' '.join(words)}'"))
        return out


# ---------------------------------------------------------------------------------------------- domain

def parse_colors(text: str) -> tuple[str, ...]:
    """The color words in the first line of text that has any (case-insensitive)."""
    for line in text.splitlines():
        found = tuple(w.upper() for w in re.findall(r"[A-Za-z]+", line) if w.upper() in COLORS)
        if found:
            return found
    raise OutputParseError(f"no color word in {text[:80]!r}")


def _colors_from_python(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.upper().split())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.upper() for v in value)
    raise TypeError(f"fn must return a string of color words, got {value!r:.60}")


DESCRIPTION = (
    "Each input is an instruction in a made-up language; each output is a sequence of colors. Some words "
    "name a color; other words are functions that combine the meanings of the words around them."
)
GRAMMAR_INSTRUCTIONS = (
    "Write the rule as grammar rules, one per line: '<left side> -> <right side>', optionally followed by "
    "'(priority N)'. The left side has words and variables x, y (a variable stands for any sequence of "
    "words); the right side has colors and variables. Examples: 'dax -> RED', 'x fep -> x x x', "
    "'x kiki y -> y x (priority 2)'. Rules with higher priority are tried first. Write only the rules."
)


_COLOR_RE = f"({'|'.join(COLORS)})"
#: Constrained decoding (optional condition): grammar lines, and a sequence of colors.
GRAMMAR_CONSTRAINT = (f"([a-z]+( [a-z]+){{0,4}} -> ({_COLOR_RE}|[a-z])( ({_COLOR_RE}|[a-z])){{0,5}}"
                      "( [(]priority [0-9][)])?\n){1,10}")
OUTPUT_CONSTRAINT = f"{_COLOR_RE}( {_COLOR_RE}){{0,29}}"


def grammar_constraint(seen: Sequence[Example]) -> str:
    """Grammar lines over this task's words, the variables x/y/z and this task's colors."""
    words = "|".join(sorted({w for e in seen for w in e.input}) + ["x", "y", "z"])
    colors = "|".join(sorted({c for e in seen for c in e.output}) + ["x", "y", "z"])
    return (f"(({words})( ({words})){{0,4}} -> ({colors})( ({colors})){{0,5}}"
            "( [(]priority [0-9][)])?\n){1,10}")


def output_constraint(seen: Sequence[Example]) -> str:
    """A sequence of this task's colors."""
    colors = "|".join(sorted({c for e in seen for c in e.output}))
    return f"({colors})( ({colors})){{0,29}}"


def miniscan_domain(time_limit: float = 5.0, python_timeout: float = 2.0) -> Domain:
    """The MiniSCAN domain with rule forms ``grammar`` and ``python``."""
    grammar = RuleForm("grammar", GRAMMAR_INSTRUCTIONS, parse_grammar, QcfgInterpreter(time_limit),
                       max_tokens=200, render=render_grammar, constraint=grammar_constraint)
    signature = ("def fn(instruction: str) -> str  # words separated by spaces; returns colors "
                 "separated by spaces, e.g. 'RED BLUE'")
    py = python_form(PythonInterpreter(to_python=" ".join, from_python=_colors_from_python,
                                       timeout=python_timeout), signature)
    return Domain(
        name="miniscan", description=DESCRIPTION, format_input=" ".join, format_output=" ".join,
        parse_output=parse_colors, output_instructions="Answer with the colors only, separated by spaces.",
        forms={"grammar": grammar, "python": py}, formal="grammar", python_signature=signature,
        output_max_tokens=40, output_constraint=output_constraint,
    )
