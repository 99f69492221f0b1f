"""Scripted black boxes for the FIND interpreter tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agents.world import ToolError, ToolSpec


class RecordingBox:
    """A ToolSet whose one tool, ``run``, maps each input through ``fn``; every call's inputs are recorded."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.calls: list[list[Any]] = []

    def describe(self) -> list[ToolSpec]:
        return [ToolSpec("run", "run it")]

    def check(self, xs: Sequence[Any]) -> None:
        """Refuse a call before it is recorded (none refused here)."""

    def call(self, name: str, arguments: Mapping[str, Any]) -> list[list[Any]]:
        xs = list(arguments["inputs"])
        self.check(xs)
        self.calls.append(xs)
        return [[x, self.fn(x)] for x in xs]


class Doubler(RecordingBox):
    """Doubles numbers, upper-cases strings, and refuses the input ``"boom"`` as a tool error."""

    def __init__(self) -> None:
        super().__init__(lambda x: x.upper() if isinstance(x, str) else 2 * x)

    def check(self, xs: Sequence[Any]) -> None:
        if any(isinstance(x, str) and x == "boom" for x in xs):
            raise ToolError("run", "bad arguments for run at inputs/0: 'boom' is not allowed", kind="bad_arguments")


class Line(RecordingBox):
    """f(x) = 3x + 1."""

    def __init__(self) -> None:
        super().__init__(lambda x: 3 * x + 1)
