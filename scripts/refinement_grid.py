"""Qiu et al.'s whole grid (methods x domains) for one model, printed beside the paper's figures.

Usage::

    .venv/bin/python -m scripts.refinement_grid --model default --limit 10 --threads 1 --methods io,t3n5
    .venv/bin/python -m scripts.refinement_grid --model vllm/Qwen/Qwen2.5-7B-Instruct --limit 100

Each cell is one run folder under ``--out`` (``<domain>-<method>``); rerunning resumes them. Cells are
"raw / task" accuracy in %, as in the paper, each with its standard error over tasks, and the task
accuracy also as a count ("3 of 20"). The paper's rows are read from the repository of Qiu et al.
(linlu-qiu/lm-inductive-reasoning, output files' ``metrics``; see the README, "Hypothesis refinement"); ``n/a`` where
the file is not in the repository.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evaluation.harness.report import percent_cell

DOMAINS = {"acre": "refinement-acre", "miniscan": "refinement-miniscan",
           "list_functions": "refinement-list-functions", "arc": "refinement-arc"}

#: name -> (label, parameters): the paper's methods and its T/N ablations.
GRID: dict[str, tuple[str, dict[str, Any]]] = {
    "io": ("IO", {"method": "io"}),
    "sc": ("SC (n=5)", {"method": "sc"}),
    "sr": ("SR (T=3, N=5)", {"method": "sr", "T": 3, "N": 5}),
    "t1n1": ("rule T=1, N=1", {"method": "refine", "T": 1, "N": 1, "temperature": 0.0}),
    "t1n5": ("rule T=1, N=5", {"method": "refine", "T": 1, "N": 5}),
    "t3n1": ("rule T=3, N=1", {"method": "refine", "T": 3, "N": 1, "temperature": 0.0}),
    "t3n5": ("rule T=3, N=5", {"method": "refine", "T": 3, "N": 5}),
    # ACRE only: the rule form with the default for unmentioned objects held equal (both: off)
    "t3n5-asp": ("rule T=3, N=5, ASP rules", {"method": "refine", "T": 3, "N": 5, "rule_form": "asp"}),
    "t3n5-dict-off": ("rule T=3, N=5, dict rules, unmentioned off",
                      {"method": "refine", "T": 3, "N": 5, "rule_form": "dict", "dict_default": "off"}),
}
#: Grid entries that exist for some domains only (their parameters are the domain's own).
ONLY: dict[str, set[str]] = {"t3n5-asp": {"acre"}, "t3n5-dict-off": {"acre"}}

# Raw / task accuracy (%) from agent-seeds.md §B (ACRE, MiniSCAN, List Functions, MiniARC).
PAPER: dict[str, tuple[str, str, str, str]] = {
    "GPT-4 IO": ("64.0 / 28.0", "61.7 / 0.0", "65.1 / 39.6", "33.1 / 13.8"),
    "GPT-4 SC (n=5)": ("64.8 / 28.0", "61.1 / 0.0", "64.9 / 38.0", "31.0 / 13.1"),
    "GPT-4 SR (T=3, N=5)": ("n/a", "n/a", "n/a", "n/a"),
    "GPT-4 rule T=1, N=1": ("78.2 / 45.0", "77.0 / 46.0", "51.6 / 42.4", "5.9 / 3.8"),
    "GPT-4 rule T=1, N=5": ("79.8 / 48.0", "86.6 / 70.0", "62.4 / 52.4", "12.8 / 9.2"),
    "GPT-4 rule T=3, N=1": ("77.8 / 47.0", "98.2 / 95.0", "61.7 / 52.8", "10.1 / 6.9"),
    "GPT-4 rule T=3, N=5": ("82.5 / 59.0", "93.3 / 85.0", "n/a (python: 72.5 / 65.6)", "n/a"),
    "GPT-3.5 IO": ("56.2 / 12.0", "14.3 / 0.0", "55.1 / 27.6", "18.6 / 8.5"),
    "GPT-3.5 rule T=3, N=5": ("71.5 / 44.0", "n/a", "n/a", "n/a"),
    "Claude-2 IO": ("51.7 / 6.0", "23.4 / 0.0", "51.4 / 24.4", "24.7 / 10.8"),
    "Claude-2 rule T=3, N=5": ("79.2 / 55.0", "41.2 / 13.0", "n/a", "n/a"),
}


def run_grid(model: str, limit: int | None, out: Path, methods: list[str], domains: list[str],
             extra: dict[str, Any], seed: int = 0,
             model_options: dict[str, Any] | None = None) -> dict[tuple[str, str], dict[str, Any] | str]:
    """Run every (method, domain) cell; a cell that fails holds its error message."""
    from evaluation.harness.runner import run_benchmark

    cells: dict[tuple[str, str], dict[str, Any] | str] = {}
    for name in methods:
        for domain in domains:
            if name in ONLY and domain not in ONLY[name]:
                continue  # shown as "-": the condition does not exist in this domain
            params = dict(GRID[name][1]) | extra
            try:
                cells[(name, domain)] = run_benchmark(DOMAINS[domain], params=params, model=model,
                                                      model_options=model_options, limit=limit,
                                                      out=out / f"{domain}-{name}", seed=seed, progress=False)
            except Exception as exc:  # one failing cell must not hide the rest of the grid
                cells[(name, domain)] = f"{type(exc).__name__}: {exc}"
    return cells


def cell_text(res: dict[str, Any] | str | None) -> str:
    """One grid cell: ``raw ± se / task ± se (solved of n)`` in %, standard errors over tasks.

    With 10-20 tasks a cell's standard error is several points, so the table shows it; task accuracy
    also comes as a count, since 15 % of 20 tasks is 3 tasks.
    """
    if res is None:
        return "-"
    if isinstance(res, str):
        return "error"
    m = res["metrics"]
    if "raw_accuracy" not in m:
        return "error"
    n = m.get("n_tasks")
    solved = m.get("tasks_solved")
    if solved is None and n is not None:  # runs from before tasks_solved: the mean times the count
        solved = round(m["task_accuracy"] * n)
    count = f" ({solved} of {n})" if n is not None else ""

    # the standard error is absent in results that carry no per-task spread
    return f"{percent_cell(m, 'raw_accuracy')} / {percent_cell(m, 'task_accuracy')}{count}"


def format_table(model: str, cells: dict[tuple[str, str], Any], methods: list[str], domains: list[str],
                 limit: int | None) -> str:
    """Markdown: this model's rows, then the paper's."""
    head = ["model / method", "ACRE", "MiniSCAN", "List Fns", "ARC (smallest; paper: MiniARC)"]
    col = {"acre": 1, "miniscan": 2, "list_functions": 3, "arc": 4}
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in methods:
        row = [f"{model} {GRID[name][0]}"] + ["-"] * 4
        for domain in domains:
            row[col[domain]] = cell_text(cells.get((name, domain)))
        lines.append("| " + " | ".join(row) + " |")
    for label, figures in PAPER.items():
        lines.append("| " + " | ".join([f"paper: {label}", *figures]) + " |")
    n = f"first {limit} tasks per domain" if limit else "all tasks"
    lines.append(f"\nraw / task accuracy in % ± standard error over tasks (tasks solved of tasks run); {model}: {n}. "
                 "Paper: 100 ACRE, 100 MiniSCAN, 250 List Functions, 130 MiniARC tasks.")
    errors = [f"- {GRID[name][0]} on {domain}: {res}" for (name, domain), res in cells.items() if isinstance(res, str)]
    if errors:
        lines.append("\nFailed cells:\n" + "\n".join(errors))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="default", help="model spec (default: SmolLM2-135M on llama.cpp)")
    ap.add_argument("--limit", type=int, default=None, help="tasks per domain (default: all)")
    ap.add_argument("--out", type=Path, default=Path("runs/refinement-grid"))
    ap.add_argument("--methods", default=",".join(GRID),
                    help="comma-separated, from: " + ", ".join(f"{k} ({v[0]})" for k, v in GRID.items()))
    ap.add_argument("--domains", default=",".join(DOMAINS), help=f"comma-separated, from: {', '.join(DOMAINS)}")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: backend default)")
    ap.add_argument("--constrained", action="store_true", help="structured decoding of rules and outputs")
    ap.add_argument("--max-tokens", type=int, default=0, help="tokens per rule (0: the rule form's default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    domains = [d.strip() for d in args.domains.split(",") if d.strip()]
    bad = [m for m in methods if m not in GRID] + [d for d in domains if d not in DOMAINS]
    if bad:
        ap.error(f"unknown method or domain {bad[0]!r}; methods: {', '.join(GRID)}; domains: {', '.join(DOMAINS)}")
    # The grid is the paper's configuration and its ablations, whatever the model (no per-model setup).
    extra = {"setup": "paper", "constrained": args.constrained, "max_tokens": args.max_tokens}
    options = {"n_threads": args.threads} if args.threads else {}
    cells = run_grid(args.model, args.limit, args.out, methods, domains, extra, seed=args.seed, model_options=options)
    print(format_table(args.model, cells, methods, domains, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
