"""The Function Operator: 1-3 hidden functions share integer parameters; the door code is their digits.

Mechanics (``../shared/docs/research/rulearn-mechanics.md`` 14-18):

- A function is a sum of terms ``p*T`` with a parameter ``p`` (a letter) and ``T`` one of: the constant
  1, ``x``, ``-x``, ``x^2``, ``|x|``, ``1/x``, ``sin(x)``. Parameters are distinct integers 1-9 shared
  across functions; the code is their digits in alphabetical order of the names.
- Function strings in puzzle files are written ``a*x^2+b*sin(x)+c``: terms joined by ``+``, each one of
  ``p``, ``p*x``, ``-p*x``, ``p*x^2``, ``p*|x|``, ``p/x``, ``p*sin(x)``.
- "Assign a value to x of Function #i" accepts an integer, a decimal, or ``k*pi`` (``pi``, ``2pi``,
  ``2*pi``, any case); other text is refused and the attempt costs a step (as in the reference). The
  output is Python's ``repr`` of the value (never rounded; ``63`` and ``63.0`` differ); ``|v| < 1e-6``
  reads ``0``; ``1/0`` gives a division-by-zero message as the output.
- A wrong code gets positional feedback; every 4th entry re-draws the parameter values (distinct
  integers 1-9, possibly the same as before); names and structure stay and the door never fails.

Deviation from the reference, on purpose: the reference pastes x into the formula as text (so ``1+1``
or ``^`` as XOR "work"); here x is parsed, never evaluated.

Level 1 shows the formulas (with parameter names, not values); Level 2 shows only the parameter names
and the number of terms of each function.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Any

from agents.world import Action, ActionError, Observation, menu_entry
from evaluation.worlds.rulearn.common import (
    STEP_BUDGET,
    Episode,
    check_open,
    code_feedback,
    digits_of,
    final_observation,
    program_spec,
    string_argument,
)

#: Term kinds and how each is written after its parameter ``p``.
TERMS = ("const", "x", "-x", "x^2", "|x|", "1/x", "sin")
_TERM_PATTERNS = {
    "const": r"([a-z])",
    "x": r"([a-z])\*x",
    "-x": r"-([a-z])\*x",
    "x^2": r"([a-z])\*x\^2",
    "|x|": r"([a-z])\*\|x\|",
    "1/x": r"([a-z])/x",
    "sin": r"([a-z])\*sin\(x\)",
}
#: Entries before the parameters are re-drawn.
ENTRIES_PER_DRAW = 4
_X = re.compile(r"^(?:(-?\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)?\s*\*?\s*pi)$", re.IGNORECASE)


class FunctionSyntaxError(ValueError):
    """A function string that is not a sum of the allowed terms."""


def parse_function(text: str) -> tuple[tuple[str, str], ...]:
    """``"a*x^2+b/x"`` → ``(("x^2", "a"), ("1/x", "b"))``.

    Raises:
        FunctionSyntaxError: naming the first term that is not allowed.
    """
    compact = text.replace(" ", "")
    if not compact:
        raise FunctionSyntaxError("empty function")
    # A leading "-p*x" term splits as "" + "-p*x"; "+-" joins are written "-" too.
    pieces = re.split(r"\+|(?=-)", compact)
    terms = []
    for piece in pieces:
        if not piece:
            continue
        for kind, pat in _TERM_PATTERNS.items():
            m = re.fullmatch(pat, piece)
            if m:
                terms.append((kind, m.group(1)))
                break
        else:
            raise FunctionSyntaxError(f"term {piece!r} is not one of p, p*x, -p*x, p*x^2, p*|x|, p/x, p*sin(x)")
    if not terms:
        raise FunctionSyntaxError("no terms")
    return tuple(terms)


def format_function(terms: tuple[tuple[str, str], ...]) -> str:
    """Inverse of :func:`parse_function` (``-p*x`` terms joined without a ``+``)."""
    text = ""
    for kind, p in terms:
        piece = {"const": p, "x": f"{p}*x", "-x": f"-{p}*x", "x^2": f"{p}*x^2", "|x|": f"{p}*|x|",
                 "1/x": f"{p}/x", "sin": f"{p}*sin(x)"}[kind]
        text += piece if not text or piece.startswith("-") else "+" + piece
    return text


def term_value(kind: str, x: float) -> float:
    """The value of one term's function of x (before the parameter). ``1/x`` at 0 raises."""
    if kind == "const":
        return 1
    if kind == "x":
        return x
    if kind == "-x":
        return -x
    if kind == "x^2":
        return x ** 2
    if kind == "|x|":
        return abs(x)
    if kind == "1/x":
        return 1 / x
    return math.sin(x)


def parse_x(text: str) -> float:
    """An integer, a decimal or ``k*pi``; anything else raises :class:`ValueError`."""
    m = _X.match(text.strip())
    if not m:
        raise ValueError(f"x must be an integer, a decimal or k*pi (like 2*pi); got {text!r}")
    if m.group(1) is not None:
        return int(m.group(1)) if re.fullmatch(r"-?\d+", m.group(1)) else float(m.group(1))
    k = m.group(2)
    return (float(k) if k else 1.0) * math.pi


def evaluate(terms: tuple[tuple[str, str], ...], values: dict[str, int], x: float) -> str:
    """The output the world shows for ``f(x)`` (Python's repr; tiny values read 0)."""
    try:
        v = sum(values[p] * term_value(kind, x) for kind, p in terms)
    except ZeroDivisionError:
        return "Error: division by zero"
    if abs(v) < 1e-6:
        return "0"
    return repr(v)


@dataclass(frozen=True)
class FunctionPuzzle:
    """One Function Operator puzzle: function strings and the starting parameter values."""

    id: str
    functions: tuple[str, ...]
    values: tuple[tuple[str, int], ...]

    @property
    def parsed(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        return tuple(parse_function(f) for f in self.functions)

    @property
    def names(self) -> list[str]:
        return sorted({p for f in self.parsed for _, p in f})

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "functions": list(self.functions), "values": dict(self.values)}


class FunctionOperatorWorld:
    """The Function Operator as an :class:`agents.world.Environment`.

    Args:
        puzzle: The puzzle.
        level: 1 (formulas shown) or 2 (parameter names and term counts only).
        budget: Steps before the puzzle fails.
    """

    kind = "function_operator"

    def __init__(self, puzzle: FunctionPuzzle, level: int = 2, budget: int = STEP_BUDGET) -> None:
        if level not in (1, 2):
            raise ValueError(f"level must be 1 or 2, not {level!r}")
        self.puzzle, self.level, self.budget = puzzle, level, budget
        self.functions = puzzle.parsed
        self.episode = Episode(budget=budget)
        self.values = dict(puzzle.values)
        self.entries = 0
        self._rng = random.Random(0)
        #: ``(function index, x as typed, x, output)`` read since the parameters were last drawn.
        self.readings: list[tuple[int, str, float, str]] = []

    @property
    def code(self) -> str:
        """The code the door accepts now."""
        return "".join(str(self.values[p]) for p in sorted(self.values))

    # ----------------------------------------------------------------------------------- protocol

    def reset(self, seed: int | None = None) -> Observation:
        """The starting values; the computer's screen is read for free."""
        self.episode = Episode(budget=self.budget)
        self.values = dict(self.puzzle.values)
        self.entries = 0
        self._rng = random.Random(seed)
        self.readings = []
        return Observation(text=self.intro(), actions=self.menu(), info=self.info())

    def step(self, action: str, arguments: dict[str, Any] | None = None) -> Observation:
        """``assign_x_<i>`` with ``{"x": "..."}`` or ``enter_code`` with ``{"code": "..."}``.

        Raises:
            ActionError: unknown action, missing argument, or an x that is not a number or ``k*pi``
                (the agent is charged a step for it, as the reference does).
        """
        check_open(self.episode)
        entry = menu_entry(self.menu(), action)
        if action == "enter_code":
            return self._enter(string_argument(entry, arguments, "code"))
        i = int(action.removeprefix("assign_x_"))
        raw = string_argument(entry, arguments, "x")
        try:
            x = parse_x(raw)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        self.episode.history.append((action, {"x": raw}))
        out = evaluate(self.functions[i - 1], self.values, x)
        self.readings.append((i, raw, x, out))
        self.episode.charge()
        text = f"You set x = {raw} for Function #{i}; the computer shows f{i}({raw}) = {out}."
        return self._after(text)

    # ------------------------------------------------------------------------------------- helpers

    def info(self) -> dict[str, Any]:
        return self.episode.info() | {"entries": self.entries, "program": self.program()}

    def program(self) -> dict[str, Any]:
        """The readings as observations a hypothesis program ``fn(i, x)`` must reproduce.

        Only readings since the last re-draw count (older ones were made with other parameter values),
        and a division by zero is left out (the hypothesis need not model the error message).
        """
        observations = [{"args": [i, x], "output": float(out), "text": f"f{i}({raw}) = {out}"}
                        for i, raw, x, out in self.readings if not out.startswith("Error")]
        return program_spec(
            "def fn(i, x):",
            f"fn(i, x) returns the value of Function #i (i from 1 to {len(self.functions)}) at x (a float), "
            "using your guessed parameter values; `import math` for sin.", "close", observations)

    def intro(self) -> str:
        names = self.puzzle.names
        lines = [f"You are in a room with a locked door and a computer. The door opens with a "
                 f"{len(names)}-digit code: the values of the parameters {', '.join(names)} (each an integer "
                 f"from 1 to 9), in alphabetical order of their names.",
                 f"The computer holds {len(self.functions)} function{'s' if len(self.functions) > 1 else ''} of x:"]
        for i, terms in enumerate(self.functions, 1):
            if self.level == 1:
                lines.append(f"Function #{i}: f{i}(x) = {format_function(terms)}")
            else:
                params = sorted({p for _, p in terms})
                lines.append(f"Function #{i} has {len(terms)} term{'s' if len(terms) > 1 else ''} and uses the "
                             f"parameter{'s' if len(params) > 1 else ''} {', '.join(params)}.")
        if self.level == 1:
            lines.append("Terms can be constants, x, -x, x^2, |x|, 1/x and sin(x), each times a parameter.")
        lines.append(f"After every {ENTRIES_PER_DRAW} wrong codes the parameter values are drawn anew.")
        return "\n".join(lines)

    def menu(self) -> tuple[Action, ...]:
        x_schema = {"type": "object", "required": ["x"], "properties": {"x": {
            "type": "string", "pattern": r"-?[0-9]{1,3}(\.[0-9]{1,2})?|[0-9]?\*?pi",
            "description": "an integer, a decimal or k*pi"}}}
        actions = [Action(f"assign_x_{i}", f"Assign a value to x of Function #{i} and read f{i}(x)", x_schema)
                   for i in range(1, len(self.functions) + 1)]
        n = len(self.values)
        code_schema = {"type": "object", "required": ["code"], "properties": {
            "code": {"type": "string", "pattern": f"[0-9]{{{n}}}", "description": f"the {n}-digit code"}}}
        actions.append(Action("enter_code", "Input a code to the door", code_schema))
        return tuple(actions)

    def _after(self, text: str) -> Observation:
        if self.episode.failed:
            return final_observation(f"{text}\n{self.episode.reason}; the puzzle is failed.", self.episode)
        return Observation(text=text, actions=self.menu(), info=self.info())

    def _enter(self, raw: str) -> Observation:
        code = digits_of(raw)
        self.episode.history.append(("enter_code", {"code": code}))
        if code == self.code:
            self.episode.solved = True
            return final_observation(f"You enter {code}. The door opens: puzzle solved!", self.episode)
        self.entries += 1
        text = f"You enter '{raw}'. " + code_feedback(code, self.code)
        if self.entries % ENTRIES_PER_DRAW == 0:
            names = sorted(self.values)
            drawn = self._rng.sample(range(1, 10), len(names))
            self.values = dict(zip(names, drawn, strict=True))
            self.readings = []
            text += " The computer beeps: the parameter values have been drawn anew."
        self.episode.charge()
        return self._after(text)
