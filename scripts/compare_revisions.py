"""Run every smoke case at two git revisions and compare their metrics (a refactoring must not move them).

Usage::

    .venv/bin/python -m scripts.compare_revisions OLD_REV [NEW_REV] [--only NAME ...] [--out DIR]

Each revision is checked out into its own git worktree (``NEW_REV`` defaults to the working tree as
it is) and runs ``python -m evaluation.cli bench run smoke`` there, in a fresh process, with the same
``NESY_CACHE_DIR`` (trained models are shared, so both sides read the same classifiers) and the LLM
response cache off (each side decodes for itself). Metrics that measure time or speed are ignored;
every other metric must match to ``--rtol``. Exit status 1 when any differs or a case failed on one
side only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Words of metric names that measure time or speed (machine-dependent, never compared).
TIMING = {"s", "ms", "second", "seconds", "minute", "minutes", "time", "wall", "speedup", "throughput", "tps"}


#: Other measurements of the machine rather than results: speed ratios against a baseline loop and
#: peak memory per call (the allocator's rounding varies from process to process).
MEASURED = (re.compile(r"(^|_)ratio$"), re.compile(r"_over_fast$"), re.compile(r"peak_bytes"))


def is_timing(name: str) -> bool:
    """Whether a metric measures the machine (``wall_s``, ``tasks_per_minute``, ``gp_speedup``, ``*_ratio``...)."""
    return bool(TIMING & set(name.lower().split("_"))) or any(r.search(name) for r in MEASURED)


def run_smoke(tree: Path, out: Path, cache_dir: Path, only: list[str]) -> dict[str, dict[str, Any]]:
    """Run the smoke suite in ``tree`` into ``out``; return ``{benchmark: metrics}`` of the cases that ran."""
    env = dict(os.environ, NESY_CACHE_DIR=str(cache_dir), NESY_CACHE="off", PYTHONPATH=str(tree))
    cmd = [sys.executable, "-m", "evaluation.cli", "bench", "run", "smoke", "--out", str(out)]
    for name in only:
        cmd += ["--only", name]
    subprocess.run(cmd, cwd=tree, env=env, check=False)
    metrics = {}
    for res in sorted(out.glob("*/results.json")):
        metrics[res.parent.name] = json.loads(res.read_text()).get("metrics", {})
    return metrics


def compare(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], rtol: float) -> list[str]:
    """Differences between two ``{benchmark: metrics}`` maps, one line each (timing metrics skipped)."""
    lines = []
    for bench in sorted(set(old) | set(new)):
        if bench not in old or bench not in new:
            lines.append(f"{bench}: ran only at the {'new' if bench in new else 'old'} revision")
            continue
        a, b = old[bench], new[bench]
        for key in sorted(set(a) | set(b)):
            if is_timing(key):
                continue
            if key not in a or key not in b:
                lines.append(f"{bench}.{key}: only at the {'new' if key in b else 'old'} revision")
                continue
            x, y = a[key], b[key]
            same = (math.isclose(x, y, rel_tol=rtol, abs_tol=1e-12)
                    if isinstance(x, int | float) and isinstance(y, int | float) else x == y)
            if not same:
                lines.append(f"{bench}.{key}: {x!r} -> {y!r}")
    return lines


def worktree(rev: str, where: Path) -> Path:
    """A detached worktree of ``rev`` under ``where``."""
    path = where / rev.replace("/", "_")
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True,
                   capture_output=True)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", help="git revision before the change")
    ap.add_argument("new", nargs="?", default=None, help="git revision after it (default: the working tree)")
    ap.add_argument("--only", action="append", default=[], help="benchmark to run (repeatable; default: all)")
    ap.add_argument("--out", type=Path, default=None, help="folder for both runs (default: a temp folder)")
    ap.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance for numeric metrics")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="nesy-compare-"))
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = out / "cache"
    trees = out / "trees"
    trees.mkdir(exist_ok=True)
    made = [worktree(args.old, trees)]
    new_tree = ROOT if args.new is None else worktree(args.new, trees)
    if args.new is not None:
        made.append(new_tree)
    try:
        old = run_smoke(made[0], out / "old", cache_dir, args.only)
        new = run_smoke(new_tree, out / "new", cache_dir, args.only)
    finally:
        for path in made:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False,
                           capture_output=True)
    diffs = compare(old, new, args.rtol)
    compared = sorted(set(old) & set(new))
    print(f"compared {len(compared)} smoke cases: {', '.join(compared)}")
    print("\n".join(diffs) if diffs else "all metrics identical (timings, speed ratios and peak memory not compared)")
    (out / "comparison.json").write_text(json.dumps({"old": args.old, "new": args.new or "working tree",
                                                     "compared": compared, "differences": diffs}, indent=2))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
