"""Task records shared by the four domains, data paths, and errors that name the file and line."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.refinement.domain import Example
from evaluation.errors import DataNotFoundError, NesyError


class DataFormatError(NesyError, ValueError):
    """A data file is malformed; the message names the file and the line."""


@dataclass(frozen=True)
class Task:
    """One induction task: seen (train) and unseen (test) examples."""

    id: str
    train: tuple[Example, ...]
    test: tuple[Example, ...]
    meta: dict[str, Any] | None = None


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def data_root(path: str | os.PathLike[str] | None = None) -> Path:
    """The shared data folder: ``path`` if given, else ``$NESY_DATA``, else ``<project>/../shared/data``."""
    if path is not None:
        return Path(path)
    env = os.environ.get("NESY_DATA")
    return Path(env) if env else project_root().parent / "shared" / "data"


def line_of(text: str, needle: str, occurrence: int) -> int:
    """1-based line of the ``occurrence``-th (0-based) ``needle`` in ``text`` (1 if not found)."""
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.find(needle, pos + 1)
        if pos < 0:
            return 1
    return text.count("\n", 0, pos) + 1


def load_jsonl_tasks(path: str | os.PathLike[str], convert: Callable[[Any], Any] = lambda v: v,
                     ) -> list[Task]:
    """Tasks in the JSONL format of Qiu et al.'s data files: ``{"idx", "train": [{input, output}], "test"}``.

    Args:
        path: The ``.jsonl`` file (e.g. the paper's ``acre.jsonl`` if you have it).
        convert: Applied to every input and output (e.g. ``tuple`` for lists of words).

    Raises:
        DataNotFoundError: no such file.
        DataFormatError: a line is not JSON or lacks ``train``/``test`` pairs (file and line named).
    """
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"task file {p} does not exist")
    tasks = []
    for lineno, line in enumerate(p.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{p}:{lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        try:
            train = tuple(Example(convert(e["input"]), convert(e["output"])) for e in rec["train"])
            test = tuple(Example(convert(e["input"]), convert(e["output"])) for e in rec["test"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(f"{p}:{lineno}: expected 'train' and 'test' lists of "
                                  f"{{'input', 'output'}} objects ({type(exc).__name__}: {exc})") from None
        if not train or not test:
            raise DataFormatError(f"{p}:{lineno}: 'train' and 'test' must both be non-empty")
        tasks.append(Task(id=str(rec.get("idx", lineno - 1)), train=train, test=test))
    if not tasks:
        raise DataFormatError(f"{p}: no tasks in the file")
    return tasks
