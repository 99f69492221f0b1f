"""Print FIND results in the paper's layout: one row per method/model, one column per sub-family.

Usage::

    .venv/bin/python -m scripts.find_table RUN_DIR [RUN_DIR ...] [--format markdown|text]

Each ``RUN_DIR`` is a finished ``find`` or ``find-gp`` run (its ``results.json`` and ``header.json``).
Runs are grouped by family: numeric (code pass rate, NMSE < 0.1, on clean / noisy / corrupted / MLP
functions and all of them), strings (exact match on simple and composite functions, all, and the
description unit tests), entity neurons (unit tests on one- and two-concept neurons) and relation
neurons (unit tests on clean and corrupted neurons, and how often ``[DOMAIN]`` names the
corruption). A cell is ``mean ± standard error (n)``; a sub-family the run did not cover is ``–``.

The paper's own rows (GPT-4, GPT-3.5, Llama-2-13B/70B chat, with and without initialisation) are
printed beside ours as ``n/a``: ``shared/docs/research/agent-seeds.md`` §D records that neither the
FIND repository nor its notebooks contain the scores, so there is no figure to copy; only the
qualitative findings are known (GPT-4 best; corrupted intervals and noise missed even by GPT-4;
initialisation helps the neuron families). They are listed so the layout matches the paper's.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Columns per family: (header, subset of ``by_variant`` or a metric name, metric key).
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "numeric": [("clean", "clean", "code_pass_rate"), ("noisy", "noisy", "code_pass_rate"),
                ("corrupted", "corrupted", "code_pass_rate"), ("MLP", "mlp", "code_pass_rate"),
                ("all", "all", "code_pass_rate")],
    "strings": [("simple", "simple", "exact_match"), ("composite", "composite", "exact_match"),
                ("all", "all", "exact_match"), ("description unit tests", "metric", "unit_test_accuracy")],
    "entities": [("one concept", "one concept", "unit_test_accuracy"),
                 ("two concepts", "two concepts", "unit_test_accuracy"), ("all", "all", "unit_test_accuracy")],
    "relations": [("clean", "clean", "unit_test_accuracy"), ("corrupted", "corrupted", "unit_test_accuracy"),
                  ("all", "all", "unit_test_accuracy"), ("corruption named", "metric", "corruption_named")],
}
TITLES = {"numeric": "Numeric functions: code pass rate (NMSE < 0.1)",
          "strings": "String functions: code exact match; description unit tests (chance 1/3)",
          "entities": "Entity neurons: description unit tests (chance 1/3)",
          "relations": "Relation neurons: description unit tests (chance 1/3); [DOMAIN] names the corruption"}
#: The interpreters the paper reports; their scores are not published in a form that can be read.
PAPER_ROWS: tuple[str, ...] = ("GPT-4", "GPT-4 (with initialisation)", "GPT-3.5", "Llama-2-70B chat",
                               "Llama-2-13B chat")
PAPER_NOTE = ("paper rows: n/a — the FIND repository and notebooks hold no scores "
              "(shared/docs/research/agent-seeds.md §D); only the layout is the paper's")


def load_run(run_dir: str | Path) -> dict[str, Any]:
    """A run's results and header as one dict (``results``, ``header``, ``dir``).

    Raises:
        FileNotFoundError: the folder has no ``results.json`` (an unfinished or mistyped run).
        ValueError: the run is not of a FIND benchmark.
    """
    d = Path(run_dir)
    res_path = d / "results.json"
    if not res_path.exists():
        raise FileNotFoundError(f"{d}: no results.json (is the run finished?)")
    results = json.loads(res_path.read_text())
    header = json.loads((d / "header.json").read_text()) if (d / "header.json").exists() else {}
    if results.get("benchmark") not in ("find", "find-gp"):
        raise ValueError(f"{d}: benchmark {results.get('benchmark')!r} is not find or find-gp")
    return {"results": results, "header": header, "dir": str(d)}


def row_label(run: dict[str, Any]) -> str:
    """Method and model of a run, with the options that change the protocol."""
    res = run["results"]
    p = res.get("params", {})
    if res["benchmark"] == "find-gp":
        return (f"GP baseline (symbolic.gp, {p.get('gp_population')}x{p.get('gp_generations')}, "
                f"{p.get('max_rounds')} rounds)")
    model = res.get("model") or "?"
    name = model.split("/", 1)[-1]
    opts = [k for k in ("initialisation", "single_round") if p.get(k)]
    if p.get("fit_tool"):
        opts.append("FIT tool")
    return f"{name} interpreter" + (f" ({', '.join(opts)})" if opts else "")


def cell(run: dict[str, Any], subset: str, key: str) -> str:
    """``mean ± stderr (n)`` of one column, or ``–`` when the run has no such subset."""
    res = run["results"]
    if subset == "metric":
        m = res.get("metrics", {})
        if key not in m:
            return "–"
        return f"{m[key]:.3f} ± {m.get(key + '_stderr', 0.0):.3f} ({m.get('n_functions', '?')})"
    for row in res.get("by_variant", []):
        if row.get("subset") == subset and key in row:
            return f"{row[key]:.3f} ± {row.get(key + '_stderr', 0.0):.3f} ({row['n']})"
    return "–"


def speed(run: dict[str, Any]) -> str:
    """Functions per second of the run (``timing.samples_per_s``)."""
    v = run["results"].get("timing", {}).get("samples_per_s")
    return f"{v:.2f}" if isinstance(v, int | float) and math.isfinite(v) else "–"


def family_of(run: dict[str, Any]) -> str:
    return run["results"].get("params", {}).get("family", "numeric")


def tables(runs: Sequence[dict[str, Any]]) -> dict[str, list[list[str]]]:
    """Per family: header row, the paper's rows, then one row per run (in the order given)."""
    out: dict[str, list[list[str]]] = {}
    for fam, cols in COLUMNS.items():
        mine = [r for r in runs if family_of(r) == fam]
        if not mine:
            continue
        header = ["method / model", *[c[0] for c in cols], "functions/s"]
        rows = [header]
        rows += [[f"{name} (paper)", *["n/a"] * len(cols), "–"] for name in PAPER_ROWS]
        rows += [[row_label(r), *[cell(r, s, k) for _, s, k in cols], speed(r)] for r in mine]
        out[fam] = rows
    return out


def render(rows: list[list[str]], fmt: str = "markdown") -> str:
    """One table as Markdown or aligned plain text."""
    if fmt == "markdown":
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="finished find / find-gp run folders")
    ap.add_argument("--format", choices=("markdown", "text"), default="markdown")
    args = ap.parse_args(argv)
    try:
        runs = [load_run(d) for d in args.run_dirs]
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for fam, rows in tables(runs).items():
        print(f"{TITLES[fam]}\n")
        print(render(rows, args.format))
        print()
    print(PAPER_NOTE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
