"""``nesy report``: compare run folders as Markdown, PNG plots and one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from evaluation.harness.errors import RunFolderError
from evaluation.harness.plotting import pyplot, save_figure
from evaluation.harness.runfolder import HEADER, RESULTS, RunFolder

MAX_PLOTTED_METRICS = 12
STANDARD_KEYS = {"benchmark", "params", "seed", "model", "metrics", "timing", "extra", "figures", "llm_cache"}


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "nan"
        return f"{value:.4g}"
    if isinstance(value, list | dict):
        text = json.dumps(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return str(value)


def _md_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    if not rows:
        return "_(empty)_\n"
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(c, "")).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines) + "\n"


def _html_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    if not rows:
        return "<p><em>(empty)</em></p>"
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def load_run(path: str | Path) -> dict[str, Any]:
    """Header, results and folder of one finished run.

    Raises:
        RunFolderError: when the folder has no header or results.
    """
    folder = RunFolder(path)
    if not (folder.path / HEADER).exists():
        raise RunFolderError(f"{folder.path}: not a run folder (no {HEADER})")
    if not (folder.path / RESULTS).exists():
        raise RunFolderError(f"{folder.path}: no {RESULTS}; the run has not finished (rerun it to resume)")
    return {"dir": folder.path, "header": folder.read_header(), "results": folder.read_results()}


def _metric_row(run: dict[str, Any]) -> dict[str, Any]:
    res = run["results"]
    metrics = res.get("metrics", {})
    row: dict[str, Any] = {"run": run["dir"].name, "seed": res.get("seed")}
    if res.get("model"):
        row["model"] = res["model"]
    for key, value in metrics.items():
        if key.endswith("_stderr") or not isinstance(value, int | float):
            continue
        err = metrics.get(f"{key}_stderr")
        row[key] = f"{_fmt(value)} ± {_fmt(err)}" if isinstance(err, int | float) and err else value
    if res.get("llm_cache"):
        row["cache_hit_rate"] = res["llm_cache"].get("hit_rate")
    row["samples"] = res.get("timing", {}).get("n_samples")
    row["wall_s"] = res.get("timing", {}).get("wall_s")
    return row


def _plot_group(bench: str, runs: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    plt = pyplot()

    paths: list[Path] = []
    # Bars compare runs; a single run's numbers are in its table (and its benchmark's own plots).
    keys = list(dict.fromkeys(k for r in runs for k, v in r["results"].get("metrics", {}).items()
                              if isinstance(v, int | float) and not k.endswith("_stderr") and math.isfinite(v)))
    keys = keys[:MAX_PLOTTED_METRICS]
    if keys and len(runs) > 1:
        n = len(keys)
        cols = min(3, n)
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
        labels = [r["dir"].name for r in runs]
        for ax, key in zip(axes.flat, keys, strict=False):
            vals = [r["results"]["metrics"].get(key, float("nan")) for r in runs]
            errs = [r["results"]["metrics"].get(f"{key}_stderr", 0.0) or 0.0 for r in runs]
            ax.bar(range(len(vals)), vals, yerr=errs, color="#4C72B0", capsize=3)
            ax.set_title(key, fontsize=9)
            ax.set_xticks(range(len(vals)), labels, rotation=30, ha="right", fontsize=7)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        fig.suptitle(bench)
        paths.append(save_figure(fig, out_dir / f"{bench}-metrics.png"))
    times = []
    for r in runs:
        folder = RunFolder(r["dir"])
        recs, _ = folder.read_samples()
        times.append([rec["timings"]["run_s"] for rec in recs if "timings" in rec])
    if any(len(t) > 1 for t in times):
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        for r, t in zip(runs, times, strict=True):
            if t:
                ax.hist(t, bins=min(30, max(5, len(t) // 2)), alpha=0.6, label=r["dir"].name)
        ax.set_xlabel("seconds per sample")
        ax.set_ylabel("samples")
        ax.legend(fontsize=7)
        ax.set_title(f"{bench}: time per sample")
        paths.append(save_figure(fig, out_dir / f"{bench}-sample-times.png"))
    return paths


def write_report(run_dirs: list[str | Path], out_dir: str | Path) -> dict[str, Path]:
    """Write ``report.md``, PNG plots and ``report.html`` comparing the given runs.

    Returns:
        Paths of the Markdown file, the HTML page and the plot folder.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [load_run(d) for d in run_dirs]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[run["results"]["benchmark"]].append(run)

    md = ["# nesykit report", "", f"{len(runs)} run(s): " + ", ".join(str(r["dir"]) for r in runs), ""]
    parts = ["<h1>nesykit report</h1>"]
    for bench, group in groups.items():
        md += [f"## {bench}", ""]
        parts.append(f"<h2>{html.escape(bench)}</h2>")
        rows = [_metric_row(r) for r in group]
        if len(rows) == 1:
            # One run: metrics read better as a column than as one very wide row.
            rows = [{"metric": k, "value": v} for k, v in rows[0].items()]
        md.append(_md_table(rows))
        parts.append(_html_table(rows))
        params = [{"run": r["dir"].name, **r["results"].get("params", {})} for r in group]
        md += ["Parameters:", "", _md_table(params)]
        parts += ["<h3>Parameters</h3>", _html_table(params)]
        for run in group:
            for key, value in run["results"].items():
                if key in STANDARD_KEYS or not isinstance(value, list) or not value or not isinstance(value[0], dict):
                    continue
                title = f"{run['dir'].name}: {key}"
                md += [f"### {title}", "", _md_table(value)]
                parts += [f"<h3>{html.escape(title)}</h3>", _html_table(value)]
        images = _plot_group(bench, group, out_dir)
        for run in group:
            images += sorted((run["dir"] / "artifacts").glob("*.png"))
        for img in images:
            rel = img.name if img.parent == out_dir else str(img.resolve())
            md.append(f"![{img.stem}]({rel})\n")
            data = base64.b64encode(img.read_bytes()).decode()
            parts.append(f'<figure><img alt="{html.escape(img.stem)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(img.stem)}</figcaption></figure>")
    md_path = out_dir / "report.md"
    md_path.write_text("\n".join(md))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;"
             "margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}th{background:#eee}"
             "img{max-width:100%}")
    html_path = out_dir / "report.html"
    html_path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>nesykit report</title>"
                         f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    return {"markdown": md_path, "html": html_path, "dir": out_dir}
