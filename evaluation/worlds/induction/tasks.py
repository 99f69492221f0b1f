"""Task records shared by the four domains, data paths, and errors that name the file and line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.world import Example
from evaluation.harness.data import shared_data_root
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


def project_root() -> Path:
    return Path(__file__).resolve().parents[3]


def data_root(path: str | os.PathLike[str] | None = None) -> Path:
    """A data root: ``path`` if given, else ``$NESY_DATA``, else the local mirror ``../shared/data``.

    Kept for callers that want a root folder; loaders of fetchable data sets use
    :func:`evaluation.harness.data.data_dir`, which also looks in the nesykit cache and names the fetch
    command when nothing is found. The mirror follows ``$NESY_SHARED_DATA`` (``none`` hides it; the
    path returned then is the mirror's usual place, which does not exist on a clone-only machine).
    """
    if path is not None:
        return Path(path)
    env = os.environ.get("NESY_DATA")
    if env:
        return Path(env)
    return shared_data_root() or project_root().parent / "shared" / "data"


def line_of(text: str, needle: str, occurrence: int) -> int:
    """1-based line of the ``occurrence``-th (0-based) ``needle`` in ``text`` (1 if not found)."""
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.find(needle, pos + 1)
        if pos < 0:
            return 1
    return text.count("\n", 0, pos) + 1
