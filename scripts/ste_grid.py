"""Print STE run results beside the paper's table (wellformed / API match / correct, %).

Usage: ``python scripts/ste_grid.py RUN_DIR [RUN_DIR ...]``; each folder is a ``nesy bench run ste`` run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evaluation.benchmarks.ste import PAPER


def _fmt(metrics: dict, key: str) -> str:
    value, err = metrics.get(key), metrics.get(f"{key}_stderr")
    if value is None:
        return "-"
    return f"{100 * value:.1f}" + (f" ± {100 * err:.1f}" if err is not None else "")


def main(argv: list[str]) -> int:
    """Print one row per run folder, then the paper's rows."""
    print("| run | phase | model | queries (APIs) | wellformed | API match | correct |")
    print("|---|---|---|---|---|---|---|")
    for folder in map(Path, argv):
        res = json.loads((folder / "results.json").read_text())
        header = json.loads((folder / "header.json").read_text()) if (folder / "header.json").exists() else {}
        m = res["metrics"]
        print(f"| {folder.name} | {res['params']['phase']} | {header.get('model', '?')} | {m.get('n_queries')} "
              f"({m.get('n_apis')}) | {_fmt(m, 'wellformed')} | {_fmt(m, 'api_match')} | {_fmt(m, 'correct')} |")
    for model, rows in PAPER.items():
        for phase, (wf, am, co) in rows.items():
            print(f"| paper | {phase} | {model} | 750 (50) | {wf} | {am} | {co} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
