"""What the three RULEARN worlds share: the step budget, code feedback and parameter-file errors.

Step accounting follows the reference runner (``../shared/docs/research/rulearn-mechanics.md`` §19):
every action the world carries out costs one step except the one that solves the puzzle, and the
budget is ``int(50 * 0.3) = 15`` steps. Perceptual actions (reading the computer, looking at paintings,
the task monitor) are free and folded into the observations. A reply that names no valid action never
reaches the world; the agent counts it (it costs a step there too), and the benchmark adds both counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.world import Action, ActionError, Observation

#: The reference's ``Optimal_step_count`` (50) times its factor 0.3.
STEP_BUDGET = 15

WORLDS = ("function_operator", "escape_room", "reactor")


class PuzzleFileError(ValueError):
    """A puzzle parameter file that cannot describe a puzzle (names the file, the puzzle and the field)."""

    def __init__(self, file: str, puzzle: str, field_name: str, why: str) -> None:
        super().__init__(f"{file}: puzzle {puzzle}: field '{field_name}': {why}")
        self.file, self.puzzle, self.field, self.why = file, puzzle, field_name, why


def code_feedback(entered: str, expected: str) -> str:
    """The reference's positional report on a wrong code (one verdict per digit)."""
    if len(entered) != len(expected):
        return f"The code must have {len(expected)} digits; you entered {len(entered)}."
    parts = [f"digit {i + 1} is {'correct' if a == b else 'incorrect'}"
             for i, (a, b) in enumerate(zip(entered, expected, strict=True))]
    return "Wrong code: " + ", ".join(parts) + "."


def digits_of(raw: Any) -> str:
    """Codes are compared after stripping everything but digits (the reference does the same)."""
    return "".join(ch for ch in str(raw) if ch.isdigit())


def string_argument(action: Action, arguments: dict[str, Any] | None, key: str) -> str:
    """The string argument ``key`` of ``action``, or :class:`ActionError` naming what is missing."""
    value = (arguments or {}).get(key)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ActionError(f"action '{action.name}' needs a '{key}' (a string); got {value!r}")
    return str(value).strip()


@dataclass
class Episode:
    """Book-keeping of one episode, shared by the worlds.

    Attributes:
        steps: Steps charged by the world (the solving action is free).
        solved: Whether the puzzle was solved.
        failed: Whether the puzzle ended unsolved (budget spent, or the world's own failure).
        history: Every action carried out, as ``(name, arguments)`` (for repeated-action counts).
    """

    budget: int = STEP_BUDGET
    steps: int = 0
    solved: bool = False
    failed: bool = False
    reason: str = ""
    history: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.solved or self.failed

    def charge(self) -> None:
        """One step spent; out of budget ends the episode."""
        self.steps += 1
        if self.steps >= self.budget and not self.solved:
            self.failed, self.reason = True, f"step budget of {self.budget} spent"

    def info(self) -> dict[str, Any]:
        return {"steps": self.steps, "solved": self.solved, "failed": self.failed, "reason": self.reason}


def final_observation(text: str, episode: Episode) -> Observation:
    """The observation that ends an episode (no menu)."""
    return Observation(text=text, actions=(), done=True, info=episode.info())


def check_open(episode: Episode) -> None:
    """Refuse actions after the end of an episode (the agent should have stopped)."""
    if episode.done:
        raise ActionError("the puzzle is over; no action is available")


def program_spec(signature: str, explain: str, compare: str, observations: list[dict[str, Any]]) -> dict[str, Any]:
    """What a world tells an agent that writes its hypothesis as a program (``info["program"]``).

    The agent cannot import the world, so the world states everything a checker needs: the function to
    write, how outputs compare, and the past observations as ``{"args", "output", "text"}`` records.

    Args:
        signature: The ``def fn(...):`` line the hypothesis must define.
        explain: What ``fn`` receives and must return.
        compare: ``equal`` (``==``), ``close`` (numbers within 1e-6, relative) or ``regex`` (``str(result)``
            must fully match the expected pattern: what the feedback allows).
        observations: Past observations: ``args`` (the arguments of ``fn``), ``output`` (what it must
            return, or the pattern) and ``text`` (the observation as the agent read it).
    """
    return {"signature": signature, "explain": explain, "compare": compare, "observations": observations}
