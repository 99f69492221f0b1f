"""RULEARN's puzzles: generated from documented parameters, stored as JSON, validated on load.

The paper's puzzle files come from a repository without a licence, so the puzzles here are our own,
drawn to match the paper's distribution (``../shared/docs/research/agent-seeds.md`` §A):

- Function Operator, per round: 20 puzzles along :data:`FUNCTION_SHAPES` (1 function with 1 parameter
  up to 3 functions with 4 parameters); each function has 1-3 distinct terms (never both ``x`` and
  ``-x``, which only their difference would show); parameter values are distinct integers 1-9, named
  ``a, b, ...`` in order of first appearance; probes must determine every value.
- Escape Room, per round: 10 painting sets of sizes :data:`PAINTING_SET_SIZES`, each in the corridor
  layout (puzzles 1-10) and the three-gallery layout (11-20). Paintings are drawn from the 11
  colour/medium pairs of the reference's stock (there is no black watercolour), at most 4 of a pair,
  with at least one blue painting.
- Reactor, per round: 5 targets of lengths :data:`TARGET_LENGTHS` over 3-6 raw letters, each under the
  4 rules (puzzles 1-5 rule 1, 6-10 rule 2, 11-15 rule 3, 16-20 rule 4); a target is redrawn until the
  oracle builds it under every rule within the budget. Level 2's two example reactions combine a
  two-letter and a one-letter material, then a one-letter and a three-letter one (distinct letters
  where the raw materials allow).

Round ``r`` of world ``w`` is drawn with ``random.Random(f"rulearn:{w}:{r}")``; ``python -m
evaluation.worlds.rulearn.puzzles`` rewrites the JSON files under ``puzzles/`` and a test checks that they
match the generator. A file with an unknown rule, a malformed function string or another bad field is
refused by :func:`load_puzzles` with the file, the puzzle and the field named.
"""

from __future__ import annotations

import json
import random
import re
import string
import sys
from pathlib import Path
from typing import Any

from evaluation.worlds.rulearn.common import STEP_BUDGET, WORLDS, PuzzleFileError
from evaluation.worlds.rulearn.escape_room import COLOURS, LAYOUTS, MEDIA, EscapePuzzle, Painting
from evaluation.worlds.rulearn.function_operator import (
    FunctionPuzzle,
    FunctionSyntaxError,
    format_function,
    parse_function,
)
from evaluation.worlds.rulearn.reactor import RULES, ReactorPuzzle

ROUNDS = 5
PUZZLES_PER_ROUND = 20
PUZZLE_DIR = Path(__file__).with_name("puzzles")

#: (functions, parameters) of the 20 Function Operator puzzles of a round, easiest first.
FUNCTION_SHAPES = ((1, 1), (1, 1), (1, 1), (1, 2), (1, 2), (1, 2), (1, 2), (1, 3), (1, 3), (2, 2),
                   (2, 2), (2, 3), (2, 3), (2, 3), (2, 4), (3, 3), (3, 3), (3, 4), (3, 4), (3, 4))
#: Sizes of the 10 painting sets of a round (each set in both layouts).
PAINTING_SET_SIZES = (3, 5, 6, 7, 8, 9, 10, 11, 12, 13)
#: Lengths of the 5 Reactor targets of a round.
TARGET_LENGTHS = (3, 5, 5, 5, 6)
#: Colour/medium pairs of the reference's painting stock.
PAIRS = tuple((c, m) for c in COLOURS for m in MEDIA if (c, m) != ("black", "watercolour"))
SUBJECTS = ("a lighthouse", "a harbour at dawn", "three pears", "a sleeping cat", "a mountain lake",
            "a city street in rain", "a sunflower field", "an old violinist", "a sailing boat",
            "a winter forest", "a dancer", "a bowl of cherries", "a windmill", "a village church",
            "a horse in a meadow", "a bridge at night", "a woman reading", "a stormy sea", "an owl",
            "a market square", "a fox in the snow", "a garden gate", "a desert road", "two chess players")
_FUNCTION_TERMS = ("const", "x", "-x", "x^2", "|x|", "1/x", "sin")


def _rng(world: str, round_: int) -> random.Random:
    return random.Random(f"rulearn:{world}:{round_}")


# ----------------------------------------------------------------------------------------- generators

def _function_puzzle(rng: random.Random, pid: str, n_functions: int, n_params: int) -> FunctionPuzzle:
    from evaluation.worlds.rulearn.oracle import function_probes

    while True:
        slots: list[list[str]] = []
        for _ in range(n_functions):
            k = rng.randint(1, 3)
            kinds = rng.sample(_FUNCTION_TERMS, k)
            if "x" in kinds and "-x" in kinds:
                continue
            slots.append(kinds)
        if len(slots) != n_functions or sum(map(len, slots)) < n_params:
            continue
        # Every parameter appears at least once; the rest of the terms take random ones.
        total = sum(map(len, slots))
        labels = list(range(n_params)) + [rng.randrange(n_params) for _ in range(total - n_params)]
        rng.shuffle(labels)
        # Names follow first appearance (the reference names distinct values that way).
        order: dict[int, str] = {}
        for lab in labels:
            order.setdefault(lab, string.ascii_lowercase[len(order)])
        it = iter(labels)
        functions = tuple(format_function(tuple((kind, order[next(it)]) for kind in kinds)) for kinds in slots)
        values = tuple(zip(string.ascii_lowercase[:n_params], rng.sample(range(1, 10), n_params), strict=True))
        puzzle = FunctionPuzzle(pid, functions, values)
        try:
            probes = function_probes(puzzle)
        except ValueError:
            continue
        if len(probes) + 1 <= STEP_BUDGET:
            return puzzle


def generate_function_operator(round_: int) -> list[FunctionPuzzle]:
    """The 20 Function Operator puzzles of ``round_`` (1-5)."""
    rng = _rng("function_operator", round_)
    return [_function_puzzle(rng, f"function_operator-r{round_}-p{i + 1:02d}", nf, npar)
            for i, (nf, npar) in enumerate(FUNCTION_SHAPES)]


def generate_escape_room(round_: int) -> list[EscapePuzzle]:
    """The 20 Escape Room puzzles of ``round_``: 10 painting sets, corridor then galleries."""
    rng = _rng("escape_room", round_)
    sets = []
    for size in PAINTING_SET_SIZES:
        while True:
            pairs = [rng.choice(PAIRS) for _ in range(size)]
            if any(c == "blue" for c, _ in pairs) and max(pairs.count(p) for p in pairs) <= 4:
                break
        subjects = rng.sample(SUBJECTS, size)
        sets.append(tuple(Painting(s, c, m) for s, (c, m) in zip(subjects, pairs, strict=True)))
    return [EscapePuzzle(f"escape_room-r{round_}-p{i + 1:02d}", sets[i % 10], LAYOUTS[i // 10])
            for i in range(PUZZLES_PER_ROUND)]


def generate_reactor(round_: int) -> list[ReactorPuzzle]:
    """The 20 Reactor puzzles of ``round_``: 5 targets under each of the 4 rules."""
    from evaluation.worlds.rulearn.oracle import plan_reactor

    rng = _rng("reactor", round_)
    targets = []
    for length in TARGET_LENGTHS:
        while True:
            n_raw = rng.randint(3, 6)
            letters = string.ascii_uppercase[:n_raw]
            target = "".join(rng.choice(letters) for _ in range(length))
            if max(target) != letters[-1] or target in targets:
                continue  # the raw materials run from A to the target's greatest letter
            plans = [plan_reactor(rule, target) for rule in RULES]
            if all(p is not None and len(p) < STEP_BUDGET for p in plans):
                targets.append(target)
                break
    puzzles = []
    for i in range(PUZZLES_PER_ROUND):
        rule, target = RULES[i // 5], targets[i % 5]
        raw = string.ascii_uppercase[: ord(max(target)) - ord("A") + 1]
        # Distinct letters make the examples informative (AA and A would hide the order).
        a, b, c = rng.sample(raw, 3)
        d, e, f = rng.sample(raw, 3)
        puzzles.append(ReactorPuzzle(f"reactor-r{round_}-p{i + 1:02d}", rule, target,
                                     ((a + b, c), (d, e + f + d))))
    return puzzles


GENERATORS = {"function_operator": generate_function_operator, "escape_room": generate_escape_room,
              "reactor": generate_reactor}


def generate(world: str) -> dict[str, Any]:
    """The JSON document of one world's puzzles (all rounds) with the parameters that made them."""
    return {
        "world": world,
        "generator": {
            "seed": "random.Random(f'rulearn:{world}:{round}')",
            "function_shapes": FUNCTION_SHAPES, "painting_set_sizes": PAINTING_SET_SIZES,
            "target_lengths": TARGET_LENGTHS, "step_budget": STEP_BUDGET,
        },
        "rounds": {str(r): [p.to_dict() for p in GENERATORS[world](r)] for r in range(1, ROUNDS + 1)},
    }


# -------------------------------------------------------------------------------------------- loading

Puzzle = FunctionPuzzle | EscapePuzzle | ReactorPuzzle


def default_file(world: str) -> Path:
    """Where the committed puzzles of ``world`` are."""
    return PUZZLE_DIR / f"{world}.json"


def load_puzzles(world: str, round_: int | None = None, path: str | Path | None = None) -> list[Puzzle]:
    """Puzzles of ``world`` (one round, or all rounds in order) from ``path`` or the committed file.

    Raises:
        PuzzleFileError: a field that cannot describe a puzzle, naming the file, the puzzle and the field.
        ValueError: an unknown world or round.
    """
    if world not in WORLDS:
        raise ValueError(f"unknown world {world!r}; worlds are {', '.join(WORLDS)}")
    file = Path(path) if path else default_file(world)
    try:
        doc = json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        raise PuzzleFileError(str(file), "-", "-", f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("world") != world:
        raise PuzzleFileError(str(file), "-", "world", f"expected {world!r}, found {doc.get('world')!r}"
                              if isinstance(doc, dict) else "the file is not a JSON object")
    rounds = doc.get("rounds")
    if not isinstance(rounds, dict):
        raise PuzzleFileError(str(file), "-", "rounds", "expected an object of round number -> puzzle list")
    keys = [str(round_)] if round_ is not None else sorted(rounds, key=int)
    out: list[Puzzle] = []
    for key in keys:
        if key not in rounds:
            raise ValueError(f"{file}: no round {key}; rounds are {', '.join(sorted(rounds, key=int))}")
        for j, raw in enumerate(rounds[key]):
            out.append(_puzzle(world, raw, str(file), f"round {key} #{j + 1}"))
    return out


def _puzzle(world: str, raw: Any, file: str, where: str) -> Puzzle:
    if not isinstance(raw, dict):
        raise PuzzleFileError(file, where, "-", "a puzzle must be a JSON object")
    pid = raw.get("id")
    if not isinstance(pid, str) or not pid:
        raise PuzzleFileError(file, where, "id", "missing or not a string")

    def bad(field_name: str, why: str) -> PuzzleFileError:
        return PuzzleFileError(file, pid, field_name, why)

    if world == "reactor":
        rule = raw.get("rule")
        if rule not in RULES or isinstance(rule, bool):
            raise bad("rule", f"unknown rule {rule!r}; rules are {', '.join(map(str, RULES))}")
        target = raw.get("target")
        if not isinstance(target, str) or not re.fullmatch(r"[A-Z]{1,12}", target):
            raise bad("target", f"{target!r} is not a string of 1-12 capital letters")
        examples = raw.get("examples", [])
        if not isinstance(examples, list) or not all(
                isinstance(e, list) and len(e) == 2 and all(isinstance(s, str) and re.fullmatch(r"[A-Z]+", s)
                                                            for s in e) for e in examples):
            raise bad("examples", "expected a list of [material, material] pairs of capital letters")
        return ReactorPuzzle(pid, rule, target, tuple((a, b) for a, b in examples))
    if world == "function_operator":
        functions = raw.get("functions")
        if not isinstance(functions, list) or not functions:
            raise bad("functions", "expected a non-empty list of function strings")
        for i, f in enumerate(functions):
            if not isinstance(f, str):
                raise bad(f"functions[{i}]", f"{f!r} is not a string")
            try:
                parse_function(f)
            except FunctionSyntaxError as exc:
                raise bad(f"functions[{i}]", f"malformed function {f!r}: {exc}") from None
        names = sorted({p for f in functions for _, p in parse_function(f)})
        values = raw.get("values")
        if not isinstance(values, dict) or sorted(values) != names:
            raise bad("values", f"expected one value for each of the parameters {', '.join(names)}")
        for name, v in values.items():
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 9:
                raise bad(f"values.{name}", f"{v!r} is not an integer from 1 to 9")
        if len(set(values.values())) != len(values):
            raise bad("values", "parameter values must be distinct (names stand for distinct values)")
        return FunctionPuzzle(pid, tuple(functions), tuple(sorted(values.items())))
    layout = raw.get("layout")
    if layout not in LAYOUTS:
        raise bad("layout", f"unknown layout {layout!r}; layouts are {', '.join(LAYOUTS)}")
    paintings = raw.get("paintings")
    if not isinstance(paintings, list) or not paintings:
        raise bad("paintings", "expected a non-empty list of [subject, colour, medium]")
    out = []
    for i, p in enumerate(paintings):
        if not (isinstance(p, list) and len(p) == 3 and all(isinstance(s, str) for s in p)):
            raise bad(f"paintings[{i}]", f"{p!r} is not [subject, colour, medium]")
        if p[1] not in COLOURS:
            raise bad(f"paintings[{i}]", f"unknown colour {p[1]!r}; colours are {', '.join(COLOURS)}")
        if p[2] not in MEDIA:
            raise bad(f"paintings[{i}]", f"unknown medium {p[2]!r}; media are {', '.join(MEDIA)}")
        out.append(Painting(*p))
    return EscapePuzzle(pid, tuple(out), layout)


def write_files(directory: Path = PUZZLE_DIR) -> list[Path]:
    """Regenerate every world's puzzle file (deterministic)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for world in WORLDS:
        path = directory / f"{world}.json"
        doc = generate(world)
        # One puzzle per line: diffs of a regenerated file stay readable.
        rounds = ",\n".join(f' "{r}": [\n' + ",\n".join("  " + json.dumps(p) for p in ps) + "\n ]"
                             for r, ps in doc["rounds"].items())
        head = json.dumps({k: v for k, v in doc.items() if k != "rounds"})[:-1]
        path.write_text(head + ', "rounds": {\n' + rounds + "\n}}\n")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_files(Path(sys.argv[1]) if len(sys.argv) > 1 else PUZZLE_DIR):
        print(p)
