"""Where benchmarks keep work that outlives a run (trained models, their predictions)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root(*parts: str) -> Path:
    """``$NESY_CACHE_DIR`` (default ``~/.cache/nesykit``) joined with ``parts``, created if needed.

    One root for every nesykit cache, so ``NESY_CACHE_DIR=/tmp/x`` gives a run a clean slate.
    """
    root = os.environ.get("NESY_CACHE_DIR")
    path = (Path(root).expanduser() if root else Path.home() / ".cache" / "nesykit").joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
