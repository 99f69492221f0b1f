"""Task records shared by the four domains, data paths, and errors that name the file and line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.world import Example
from evaluation.harness.errors import NesyError


class DataFormatError(NesyError, ValueError):
    """A data file is malformed; the message names the file and the line."""


@dataclass(frozen=True)
class Task:
    """One induction task: seen (train) and unseen (test) examples."""

    id: str
    train: tuple[Example, ...]
    test: tuple[Example, ...]
    meta: dict[str, Any] | None = None


def line_of(text: str, needle: str, occurrence: int) -> int:
    """1-based line of the ``occurrence``-th (0-based) ``needle`` in ``text`` (1 if not found)."""
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.find(needle, pos + 1)
        if pos < 0:
            return 1
    return text.count("\n", 0, pos) + 1
