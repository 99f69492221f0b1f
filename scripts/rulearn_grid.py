"""The RULEARN grid (conditions x worlds) for one model, printed beside the paper's table.

Usage::

    .venv/bin/python -m scripts.rulearn_grid --model default --limit 9 --threads 1 --structured
    .venv/bin/python -m scripts.rulearn_grid --model vllm/Qwen/Qwen2.5-7B-Instruct --round 1

Each condition is one run folder under ``--out`` (``<condition>[-structured]``) over all three worlds
(puzzles interleaved, so ``--limit`` takes a mix); rerunning resumes it. Cells are success rates in %
with their standard errors. The paper's rows (100 puzzles per cell, five rounds) are from
``../shared/docs/research/agent-seeds.md`` §A, read from the authors' ``data_analysis.ipynb``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evaluation.harness.report import percent_cell

CONDITIONS = ("oracle", "baseline", "idea")
WORLDS = ("function_operator", "escape_room", "reactor")
LABELS = {"oracle": "Oracle (Level 1)", "baseline": "Baseline", "idea": "IDEA"}

#: Success rate (%): All, Function Operator, Escape Room, Reactor (agent-seeds.md §A).
PAPER: dict[str, tuple[str, str, str, str]] = {
    "GPT-4o Oracle": ("66.0", "77", "91", "30"),
    "GPT-4o Baseline": ("43.3", "62", "45", "23"),
    "GPT-4o IDEA": ("50.3", "73", "51", "27"),
    "Llama-3-70B Oracle": ("32.7", "33", "48", "17"),
    "Llama-3-70B Baseline": ("19.7", "33", "17", "9"),
    "Llama-3-70B IDEA": ("29.0", "41", "35", "11"),
    "GPT-3.5 Oracle": ("6.3", "7", "11", "1"),
    "GPT-3.5 Baseline": ("5.3", "13", "3", "0"),
    "GPT-3.5 IDEA": ("7.3", "18", "3", "1"),
    "Llama-3-8B Oracle": ("5.7", "1", "14", "2"),
    "Llama-3-8B Baseline": ("1.7", "0", "5", "0"),
    "Llama-3-8B IDEA": ("4.3", "7", "5", "1"),
    "Gemma-7B Oracle": ("1.7", "0", "5", "0"),
    "Gemma-7B Baseline": ("0.3", "0", "0", "1"),
    "Gemma-7B IDEA": ("0.3", "0", "1", "0"),
    "Humans (Level 2, IDEA-style)": ("63.3", "66", "56", "68"),
}


def run_grid(model: str, limit: int | None, out: Path, conditions: list[str], *, structured: bool,
             round_: int, seed: int = 0, model_options: dict[str, Any] | None = None,
             extra: dict[str, Any] | None = None) -> dict[str, dict[str, Any] | str]:
    """Run every condition over all worlds; a condition that fails holds its error message."""
    from evaluation.harness.runner import run_benchmark

    cells: dict[str, dict[str, Any] | str] = {}
    for cond in conditions:
        params = {"world": "all", "condition": cond, "structured": structured, "round": round_} | (extra or {})
        name = cond + ("-structured" if structured else "")
        try:
            cells[cond] = run_benchmark("rulearn", params=params, model=model, model_options=model_options,
                                        limit=limit, out=out / name, seed=seed, progress=False)
        except Exception as exc:  # one failing condition must not hide the rest of the grid
            cells[cond] = f"{type(exc).__name__}: {exc}"
    return cells


def format_table(model: str, cells: dict[str, Any], conditions: list[str], limit: int | None,
                 structured: bool) -> str:
    """Markdown: this model's rows (success %, ± standard error), then the paper's."""
    head = ["model / condition", "All", "Function Op", "Escape Room", "Reactor", "steps", "format failures"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    tag = " (structured)" if structured else ""
    for cond in conditions:
        res = cells.get(cond)
        row = [f"{model} {LABELS[cond]}{tag}"]
        if not isinstance(res, dict):
            row += ["error" if isinstance(res, str) else "-"] * 6
        else:
            m = res["metrics"]
            row += [percent_cell(m, "success_rate")] + [percent_cell(m, f"success_rate_{w}") for w in WORLDS]
            row += [f"{m['steps']:.1f}" if "steps" in m else "-",
                    f"{m['format_failures']:.1f}" if "format_failures" in m else "-"]
        lines.append("| " + " | ".join(row) + " |")
    for label, figures in PAPER.items():
        lines.append("| " + " | ".join([f"paper: {label}", *figures, "", ""]) + " |")
    n = f"first {limit} puzzles (interleaved over the worlds)" if limit else "all puzzles of the round"
    lines.append(f"\nsuccess rate in % (± standard error); {model}: {n}. Paper: 100 puzzles per world and condition.")
    errors = [f"- {LABELS[c]}: {res}" for c, res in cells.items() if isinstance(res, str)]
    if errors:
        lines.append("\nFailed conditions:\n" + "\n".join(errors))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="default", help="model spec (default: SmolLM2-135M on llama.cpp)")
    ap.add_argument("--limit", type=int, default=None, help="puzzles per condition (default: the whole round)")
    ap.add_argument("--round", type=int, default=1, help="puzzle round 1-5 (0: all five)")
    ap.add_argument("--out", type=Path, default=Path("runs/rulearn-grid"))
    ap.add_argument("--conditions", default=",".join(CONDITIONS),
                    help=f"comma-separated, from: {', '.join(CONDITIONS)}")
    ap.add_argument("--structured", action="store_true", help="structured decoding of action indices and inputs")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: backend default)")
    ap.add_argument("--max-tokens", type=int, default=160, help="tokens of an action-choice or hypothesis reply")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    bad = [c for c in conditions if c not in CONDITIONS]
    if bad:
        ap.error(f"unknown condition {bad[0]!r}; conditions: {', '.join(CONDITIONS)}")
    options = {"n_threads": args.threads} if args.threads else {}
    cells = run_grid(args.model, args.limit, args.out, conditions, structured=args.structured, round_=args.round,
                     seed=args.seed, model_options=options, extra={"max_tokens": args.max_tokens})
    print(format_table(args.model, cells, conditions, args.limit, args.structured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
