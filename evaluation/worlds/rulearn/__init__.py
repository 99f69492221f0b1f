"""RULEARN (He et al., IDEA): three text puzzle worlds whose hidden rule an agent must learn.

- :class:`FunctionOperatorWorld`: hidden functions share integer parameters; their digits open a door.
- :class:`EscapeRoomWorld`: an art gallery whose exit code counts target-colour paintings by medium.
- :class:`ReactorWorld`: a reactor combines materials by a hidden rule; synthesise the target string.

Each is a pure, seeded :class:`agents.world.Environment` with Level 1 (rule stated) and Level 2 (rule
hidden) and the reference's 15-step budget. :func:`load_puzzles` reads the committed puzzle files
(5 rounds x 20 puzzles per world, generated from the parameters in :mod:`.puzzles`); :func:`make_world`
builds a world from a puzzle; :func:`oracle.solve` plays a puzzle knowing its rule.
"""

from __future__ import annotations

from evaluation.worlds.rulearn.common import STEP_BUDGET, WORLDS, PuzzleFileError
from evaluation.worlds.rulearn.escape_room import EscapePuzzle, EscapeRoomWorld, Painting
from evaluation.worlds.rulearn.function_operator import FunctionOperatorWorld, FunctionPuzzle
from evaluation.worlds.rulearn.puzzles import Puzzle, load_puzzles
from evaluation.worlds.rulearn.reactor import ReactorPuzzle, ReactorWorld

RulearnWorld = FunctionOperatorWorld | EscapeRoomWorld | ReactorWorld


def make_world(puzzle: Puzzle, level: int = 2, quirks: bool = True) -> RulearnWorld:
    """The world that plays ``puzzle`` at ``level`` (``quirks``: the Escape Room's reference quirks)."""
    if isinstance(puzzle, FunctionPuzzle):
        return FunctionOperatorWorld(puzzle, level)
    if isinstance(puzzle, EscapePuzzle):
        return EscapeRoomWorld(puzzle, level, quirks=quirks)
    return ReactorWorld(puzzle, level)


__all__ = ["STEP_BUDGET", "WORLDS", "EscapePuzzle", "EscapeRoomWorld", "FunctionOperatorWorld", "FunctionPuzzle",
           "Painting", "Puzzle", "PuzzleFileError", "ReactorPuzzle", "ReactorWorld", "RulearnWorld", "load_puzzles",
           "make_world"]
