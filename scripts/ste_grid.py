"""Print STE run results beside the paper's table (wellformed / API match / correct, %).

Usage: ``python scripts/ste_grid.py RUN_DIR [RUN_DIR ...]``; each folder is a ``nesy bench run ste`` run (or a
copy of its ``results.json`` and ``header.json``). Continual-learning runs also get a table per round: correct
on the first round's APIs (forgetting shows as a drop), on the round's new APIs, and the training speed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evaluation.benchmarks.ste import PAPER
from evaluation.harness.report import percent_cell


def _continual(folder: Path, res: dict) -> None:
    m, train = res["metrics"], res.get("extra", {}).get("train", {})
    print(f"\n{folder.name} (replay={res['params']['replay']}):\n")
    print("| round | trained on | examples/s | correct, round-1 APIs | correct, new APIs | correct, all seen |")
    print("|---|---|---|---|---|---|")
    r = 0
    while f"correct_round{r}" in m:
        t = train.get(str(r), {})
        mix = ", ".join(f"{api.split('%%')[-1]} {n}" for api, n in t.get("per_api", {}).items()) or "?"
        speed = f"{t['examples_per_s']:.2f}" if "examples_per_s" in t else "-"
        print(f"| {r + 1} | {mix} | {speed} | {percent_cell(m, f'correct_round{r}_batch0')} | "
              f"{percent_cell(m, f'correct_round{r}_new')} | {percent_cell(m, f'correct_round{r}')} |")
        r += 1


def main(argv: list[str]) -> int:
    """Print one row per run folder, then the paper's rows (and a table per continual run)."""
    print("| run | phase | model | queries (APIs) | wellformed | API match | correct |")
    print("|---|---|---|---|---|---|---|")
    runs = []
    for folder in map(Path, argv):
        res = json.loads((folder / "results.json").read_text())
        header = json.loads((folder / "header.json").read_text()) if (folder / "header.json").exists() else {}
        m = res["metrics"]
        runs.append((folder, res))
        print(f"| {folder.name} | {res['params']['phase']} | {header.get('model', '?')} | {m.get('n_queries')} "
              f"({m.get('n_apis')}) | " + " | ".join(percent_cell(m, k) for k in ("wellformed", "api_match", "correct"))
              + " |")
    for model, rows in PAPER.items():
        for phase, (wf, am, co) in rows.items():
            print(f"| paper | {phase} | {model} | 750 (50) | {wf} | {am} | {co} |")
    for folder, res in runs:
        if res["params"].get("phase") == "continual":
            _continual(folder, res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
