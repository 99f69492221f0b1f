"""A solver that knows each puzzle's hidden rule and acts only through the world's actions.

It proves every generated puzzle solvable within the step budget (a test runs it on all 300):

- Function Operator: knows the formulas (not the values). It picks probes ``(function, x)`` that raise
  the rank of the linear system in the parameters until the values are determined, reads the outputs,
  solves the system and enters the code: at most (parameters + 1) actions.
- Escape Room: knows the code's structure and the colour order; it visits every gallery, counts the
  blue paintings per medium and enters the code.
- Reactor: knows the rule; it plans the fewest reactions that build the target from the raw letters
  (a memoised search over the ways the rule can produce a string), carries them out and submits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import numpy as np

from agents.world import Observation
from evaluation.worlds.rulearn.escape_room import MEDIA, EscapeRoomWorld
from evaluation.worlds.rulearn.function_operator import FunctionOperatorWorld, FunctionPuzzle, term_value
from evaluation.worlds.rulearn.reactor import ReactorWorld, combine

#: Probe values the Function Operator oracle tries, in order (no 0: 1/x).
PROBES = ("1", "-2", "3", "0.5", "-1", "2", "-3", "1.5")

World = FunctionOperatorWorld | EscapeRoomWorld | ReactorWorld


def _probe_row(puzzle: FunctionPuzzle, i: int, x: float, names: list[str]) -> list[float]:
    row = [0.0] * len(names)
    for kind, p in puzzle.parsed[i]:
        row[names.index(p)] += term_value(kind, x)
    return row


def function_probes(puzzle: FunctionPuzzle) -> list[tuple[int, str]]:
    """Probes ``(function index from 0, x text)`` whose outputs determine every parameter."""
    names = puzzle.names
    rows: list[list[float]] = []
    chosen: list[tuple[int, str]] = []
    for x_text in PROBES:
        for i in range(len(puzzle.functions)):
            trial = [*rows, _probe_row(puzzle, i, float(x_text), names)]
            if np.linalg.matrix_rank(np.array(trial), tol=1e-9) > len(rows):
                rows.append(trial[-1])
                chosen.append((i, x_text))
            if len(rows) == len(names):
                return chosen
    raise ValueError(f"puzzle {puzzle.id}: the probes {PROBES} cannot determine the parameters")


Recipe = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]


def _recipes(rule: int, target: str) -> Iterator[Recipe]:
    """Ways to make ``target``: (materials to make first, reactions that then yield it).

    Every material to make first is shorter than ``target`` or made only of one repeated letter (whose
    own recipes are all shorter), so planning ends without cycles.
    """
    n = len(target)
    if rule in (1, 2, 3):
        for s in range(1, n):
            if rule == 1:
                pair = (target[:s], target[s:])
            elif rule == 2:
                pair = (target[s:], target[:s])
            elif s <= n // 2:  # rule 3: a guest of length s inside a host of length n - s
                k = -(-(n - s) // 2)
                pair = (target[:k] + target[k + s:], target[k:k + s])
            else:
                continue
            yield pair, (pair,)
        return
    # Rule 4: equal halves, or identical letters, are concatenated ...
    if n % 2 == 0:
        yield (target[: n // 2], target[n // 2:]), ((target[: n // 2], target[n // 2:]),)
    if len(set(target)) == 1:
        yield (target[:1], target[1:]), ((target[:1], target[1:]),)
    else:
        # ... or target is the first product L[0] + S of a longer L (here the first letter repeated) ...
        longer = target[0] * n
        yield (longer, target[1:]), ((longer, target[1:]),)
    if n % 2 == 1:
        # ... or the rest of a longer c + target, itself made of two equal halves, split by one letter.
        for c in sorted(set(target)):
            whole = c + target
            h = len(whole) // 2
            split_by = "A" if set(whole) != {"A"} else "B"
            yield (whole[:h], whole[h:]), ((whole[:h], whole[h:]), (whole, split_by))


@functools.cache
def plan_reactor(rule: int, target: str) -> tuple[tuple[str, str], ...] | None:
    """The fewest reactions found (in order) that put ``target`` into storage, or ``None``."""
    if len(target) == 1:
        return ()
    best: tuple[tuple[str, str], ...] | None = None
    for needed, reactions in _recipes(rule, target):
        if target in needed:
            continue
        plans = [plan_reactor(rule, m) for m in needed]
        if any(p is None for p in plans):
            continue
        made = set(needed) | {ch for m in needed for ch in m}
        ok = True
        for first, second in reactions:  # check the recipe against the rule itself
            if first not in made or second not in made and len(second) > 1:
                ok = False
            made.update(combine(rule, first, second))
        if not ok or target not in made:
            continue
        merged: list[tuple[str, str]] = []
        for p in plans:
            merged += [r for r in p or () if r not in merged]
        merged += [r for r in reactions if r not in merged]
        if best is None or len(merged) < len(best):
            best = tuple(merged)
    return best


def solve(world: World, seed: int = 0) -> Observation:
    """Play one episode of ``world`` with the hidden rule known; returns the last observation."""
    obs = world.reset(seed)
    if isinstance(world, FunctionOperatorWorld):
        names = world.puzzle.names
        rows, outs = [], []
        for i, x_text in function_probes(world.puzzle):
            obs = world.step(f"assign_x_{i + 1}", {"x": x_text})
            rows.append(_probe_row(world.puzzle, i, float(x_text), names))
            outs.append(float(obs.text.rsplit("= ", 1)[1].rstrip(".")))
        values = np.linalg.lstsq(np.array(rows), np.array(outs), rcond=None)[0]
        code = "".join(str(round(v)) for v in values)
        return world.step("enter_code", {"code": code})
    if isinstance(world, EscapeRoomWorld):
        counts = dict.fromkeys(MEDIA, 0)
        _count(world, counts)
        for room in world.rooms()[1:]:
            world.step("go_" + room.replace(" ", "_"))
            _count(world, counts)
            world.step("go_hall")
        return world.step("enter_code", {"code": "".join(str(counts[m]) for m in MEDIA)})
    plan = plan_reactor(world.puzzle.rule, world.puzzle.target)
    if plan is None:
        raise ValueError(f"puzzle {world.puzzle.id}: no plan builds {world.puzzle.target}")
    for first, second in plan:
        obs = world.step("react", {"materials": [first, second]})
    return world.step("submit")


def _count(world: EscapeRoomWorld, counts: dict[str, Any]) -> None:
    for p in world.paintings_in(world.room):
        if p.colour == world.colour:
            counts[p.medium] += 1
