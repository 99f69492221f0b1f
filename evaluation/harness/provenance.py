"""What a run records about where it ran: package versions, git revision, machine."""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TRACKED = ("nesykit", "torch", "numpy", "scipy", "scikit-learn", "transformers", "llama_cpp_python",
           "vllm", "openai", "clingo", "PuLP", "highspy", "deap", "gplearn", "sympy", "ray")


def package_versions(names: tuple[str, ...] = TRACKED) -> dict[str, str | None]:
    """Installed version of each package (None when absent)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def git_revision(path: Path | None = None) -> str | None:
    """``HEAD`` of the source checkout (with ``-dirty`` when modified), or None outside git."""
    path = path or Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=path,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("-dirty" if dirty else "")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def machine() -> dict[str, Any]:
    """Processor, core count and Python of this machine."""
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpus": os.cpu_count()}
    try:
        import torch
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:  # pragma: no cover
        info["cuda"] = None
    return info
