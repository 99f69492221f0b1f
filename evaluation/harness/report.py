"""``nesy report``: compare run folders as Markdown, PNG plots and one self-contained HTML page.

The report folder holds ``report.md``, ``report.html`` and every image either links: the plots it
draws and copies of the runs' ``artifacts/*.png`` (each labelled with its run), linked by file name
only, so the folder can be moved or archived on its own. The HTML page embeds the images as well.
"""

from __future__ import annotations

import base64
import html
import json
import math
import shutil
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evaluation.harness.errors import RunFolderError
from evaluation.harness.plotting import label_image, pyplot, save_figure
from evaluation.harness.runfolder import HEADER, RESULTS, RunFolder

MAX_PLOTTED_METRICS = 12
#: A histogram of fewer sample times than this says nothing (1–3 bars of height 1): not drawn.
MIN_HISTOGRAM_SAMPLES = 4
#: What ``nesy bench run <suite>`` writes beside the suite's run folders.
SUITE_FILE = "suite.json"
#: Suites whose runs are small by design (a minute each): their numbers check the pipeline only.
SMOKE_SUITES = {"smoke"}
STANDARD_KEYS = {"benchmark", "params", "seed", "model", "metrics", "timing", "extra", "figures", "llm_cache"}
PM_NOTE = ("± is the standard error of the mean over a run's samples (sample standard deviation / √n, "
           "n = the run's finished samples, shown as n=…); plot error bars are the same. "
           "No ± is shown when it is 0 or n is 1.")
SMOKE_NOTE = ("smoke-sized: the run belongs to a suite named smoke (its folder is listed in a suite.json "
              "that says so), or its header.json records a --limit (only the first N samples ran). Its "
              "numbers show that the pipeline works, not what the benchmark measures at full size.")
CACHE_NOTE = ("cached: every LLM call of the run came from the response cache (llm_cache: hits > 0, "
              "misses = 0), so its times measure cache look-ups, not the model.")


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


def percent_cell(metrics: Mapping[str, Any], key: str, missing: str = "-") -> str:
    """``metrics[key]`` in % with its standard error when the run has one (``48.8 ± 4.6``); ``missing`` if absent.

    The grid scripts print their tables with it, so every table writes a share and its error alike.
    """
    if metrics.get(key) is None:
        return missing
    err = metrics.get(f"{key}_stderr")
    return f"{100 * metrics[key]:.1f}" + (f" ± {100 * err:.1f}" if err is not None else "")


def _md_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    if not rows:
        return "_(empty)_\n"
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = (_fmt(r.get(c, "")).replace("|", "\\|").replace("\n", " ") for c in columns)
        lines.append("| " + " | ".join(cells) + " |")
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

    Args:
        path: The run folder.

    Returns:
        ``{"dir", "header", "results"}``.

    Raises:
        RunFolderError: when the folder does not exist or has no header or results.
    """
    folder = RunFolder(path)
    if not folder.path.is_dir():
        raise RunFolderError(f"{folder.path}: no such folder")
    if not (folder.path / HEADER).exists():
        raise RunFolderError(f"{folder.path}: not a run folder (no {HEADER}) nor a suite folder (no {SUITE_FILE})")
    if not (folder.path / RESULTS).exists():
        raise RunFolderError(f"{folder.path}: no {RESULTS}; the run has not finished (rerun it to resume)")
    return {"dir": folder.path, "header": folder.read_header() or {}, "results": folder.read_results()}


def read_suite(path: str | Path) -> dict[str, Any] | None:
    """The ``suite.json`` of a suite folder with its run folders located, or None for another folder.

    A run is looked for in ``<suite folder>/<benchmark>`` first, where ``nesy bench run <suite>``
    puts it, and only then at the path ``suite.json`` recorded (which is relative to wherever that
    command ran): a suite folder that was moved or copied still finds its runs.

    Args:
        path: A folder that may hold ``suite.json``.

    Returns:
        The parsed file with ``runs`` mapped to existing-or-recorded paths and ``dir`` added.

    Raises:
        RunFolderError: when ``suite.json`` is not valid JSON.
    """
    path = Path(path)
    file = path / SUITE_FILE
    if not file.is_file():
        return None
    try:
        suite = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"{file}: unreadable ({exc})") from exc
    runs: dict[str, Path] = {}
    for name, recorded in (suite.get("runs") or {}).items():
        beside = path / name
        runs[name] = beside if (beside / HEADER).exists() else Path(recorded)
    return {**suite, "runs": runs, "failed": dict(suite.get("failed") or {}), "dir": path}


def expand_inputs(paths: Sequence[str | Path]) -> tuple[list[Path], list[dict[str, Any]]]:
    """Run folders to report from folders given on the command line.

    Args:
        paths: Run folders and suite folders (those holding ``suite.json``: all their runs).

    Returns:
        The run folders, in order and without repeats, and the suites read.
    """
    runs: list[Path] = []
    suites: list[dict[str, Any]] = []
    for p in paths:
        suite = read_suite(p)
        if suite is None:
            runs.append(Path(p))
        else:
            suites.append(suite)
            runs += suite["runs"].values()
    seen: set[Path] = set()
    unique = []
    for r in runs:
        key = r.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique, suites


def default_report_dir(paths: Sequence[str | Path]) -> Path:
    """Where ``nesy report`` writes without ``--out``: inside the one folder given, else ``runs/report``."""
    return Path(paths[0]) / "report" if len(paths) == 1 else Path("runs") / "report"


def _smoke_reason(run: dict[str, Any], suites: Sequence[dict[str, Any]]) -> str | None:
    # Decided from what a run folder records: header.json holds --limit but not which suite ran it,
    # so suite membership comes from suite.json files (those given, and the one beside the run).
    where = run["dir"].resolve()
    candidates = list(suites)
    beside = read_suite(run["dir"].parent) if (run["dir"].parent / SUITE_FILE).is_file() else None
    if beside is not None:
        candidates.append(beside)
    reasons = []
    for suite in candidates:
        if suite.get("suite") in SMOKE_SUITES and any(Path(p).resolve() == where for p in suite["runs"].values()):
            reasons.append(f"suite {suite['suite']}")
            break
    limit = run["header"].get("limit")
    if limit is not None:
        reasons.append(f"--limit {limit}")
    return ", ".join(reasons) or None


def _all_cached(results: Mapping[str, Any]) -> bool:
    cache = results.get("llm_cache") or {}
    return bool(cache.get("hits")) and cache.get("misses") == 0


def _labels(runs: Sequence[dict[str, Any]]) -> list[str]:
    # Suite runs are named after their benchmark, so two suites' runs share names: the parent
    # folder tells them apart, and an index as a last resort.
    names = [r["dir"].name for r in runs]
    labels = [n if names.count(n) == 1 else f"{r['dir'].parent.name}/{n}" for r, n in zip(runs, names, strict=True)]
    return [lab if labels.count(lab) == 1 else f"{lab}#{i}" for i, lab in enumerate(labels)]


def _n_samples(results: Mapping[str, Any]) -> int | None:
    n = (results.get("timing") or {}).get("n_samples")
    return n if isinstance(n, int) else None


def _metric_row(run: dict[str, Any]) -> dict[str, Any]:
    res = run["results"]
    metrics = res.get("metrics", {})
    n = _n_samples(res)
    row: dict[str, Any] = {"run": run["label"], "seed": res.get("seed")}
    if run["smoke"]:
        row["size"] = f"smoke-sized ({run['smoke']})"
    if res.get("model"):
        row["model"] = res["model"]
    for key, value in metrics.items():
        if key.endswith("_stderr") or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        err = metrics.get(f"{key}_stderr")
        if isinstance(err, int | float) and err and math.isfinite(err):
            row[key] = f"{_fmt(value)} ± {_fmt(err)}" + (f" (n={n})" if n is not None else "")
        else:
            row[key] = value
    if res.get("complete") is False:
        dropped = metrics.get("n_dropped_nonfinite")
        row["complete"] = (f"no: {res.get('n_failed', '?')} failed, {res.get('n_missing', '?')} missing "
                           f"of {res.get('n_expected', '?')}"
                           + (f", {_fmt(dropped)} seeds dropped (non-finite training)" if dropped else ""))
    if res.get("llm_cache"):
        row["cache_hit_rate"] = res["llm_cache"].get("hit_rate")
    row["samples"] = n
    row["wall_s"] = res.get("timing", {}).get("wall_s")
    if run["cached"]:
        row["timings"] = "from the LLM cache"
    return row


def _short_revision(rev: Any) -> str:
    if not isinstance(rev, str) or not rev:
        return "unknown"
    base, dirty, _ = rev.partition("-dirty")
    return base[:10] + ("-dirty" if dirty else "")


def _provenance_row(run: dict[str, Any]) -> dict[str, Any]:
    head = run["header"]
    mach = head.get("machine") or {}
    machine = ", ".join(str(x) for x in (
        mach.get("platform"), f"{mach['cpus']} CPUs" if mach.get("cpus") else None,
        f"Python {mach['python']}" if mach.get("python") else None,
        f"GPU {mach['cuda']}" if mach.get("cuda") else "no GPU") if x)
    resumed = [t for t in head.get("resumed_at") or [] if t]
    date = str(head.get("start_time") or "unknown") + (f" (resumed {len(resumed)}×, last {resumed[-1]})"
                                                       if resumed else "")
    model = head.get("model")
    options = head.get("model_options")
    return {"run": run["label"], "git revision": _short_revision(head.get("git_revision")),
            "nesykit": (head.get("versions") or {}).get("nesykit"), "date": date, "machine": machine,
            "threads": head.get("threads") or "library default", "executor": head.get("executor"),
            "model": "—" if model is None else model + (f" {json.dumps(options)}" if options else ""),
            "seed": head.get("seed")}


def _versions_rows(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    # Packages as rows, runs as columns: 16 packages read down a page better than across it. Runs
    # that agree on every version share one column, so a same-machine suite shows one.
    versions = [run["header"].get("versions") or {} for run in runs]
    if not versions:
        return []
    names = [k for k in dict.fromkeys(k for v in versions for k in v) if any(v.get(k) for v in versions)]
    if all(v == versions[0] for v in versions):
        return [{"package": k, "all runs": versions[0].get(k) or "—"} for k in names]
    return [{"package": k, **{run["label"]: v.get(k) or "—" for run, v in zip(runs, versions, strict=True)}}
            for k in names]


def _plot_group(bench: str, runs: list[dict[str, Any]], out_dir: Path) -> list[tuple[Path, str]]:
    plt = pyplot()
    paths: list[tuple[Path, str]] = []
    # Bars compare runs; a single run's numbers are in its table (and its benchmark's own plots).
    keys = list(dict.fromkeys(k for r in runs for k, v in r["results"].get("metrics", {}).items()
                              if isinstance(v, int | float) and not k.endswith("_stderr") and math.isfinite(v)))
    keys = keys[:MAX_PLOTTED_METRICS]
    if keys and len(runs) > 1:
        n = len(keys)
        cols = min(3, n)
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
        labels = [r["label"] for r in runs]
        for ax, key in zip(axes.flat, keys, strict=False):
            vals = [r["results"]["metrics"].get(key, float("nan")) for r in runs]
            errs = [r["results"]["metrics"].get(f"{key}_stderr", 0.0) or 0.0 for r in runs]
            ax.bar(range(len(vals)), vals, yerr=errs, color="#4C72B0", capsize=3)
            ax.set_title(key, fontsize=9)
            ax.set_xticks(range(len(vals)), labels, rotation=30, ha="right", fontsize=7)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        fig.suptitle(f"{bench} (error bars: ± standard error over samples)")
        path = save_figure(fig, out_dir / f"{bench}-metrics.png")
        paths.append((path, f"{bench}: metrics of {len(runs)} runs, ± standard error over samples"))
    times = []
    for r in runs:
        recs, _ = RunFolder(r["dir"]).read_samples()
        t = [rec["timings"]["run_s"] for rec in recs if "run_s" in (rec.get("timings") or {})]
        # A histogram of 1-3 values is 1-3 unit bars: it shows nothing the table does not.
        if len(t) >= MIN_HISTOGRAM_SAMPLES:
            times.append((r, t))
    if times:
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        for r, t in times:
            tag = ", from the LLM cache" if r["cached"] else ""
            ax.hist(t, bins=min(30, max(5, len(t) // 2)), alpha=0.6, label=f"{r['label']} (n={len(t)}{tag})")
        ax.set_xlabel("seconds per sample")
        ax.set_ylabel("samples")
        ax.legend(fontsize=7)
        # The title names the run(s), so the figure says whose it is even outside this report.
        names = ", ".join(r["label"] for r, _ in times)
        ax.set_title(f"{bench}: time per sample — {names}", fontsize=9)
        path = save_figure(fig, out_dir / f"{bench}-sample-times.png")
        paths.append((path, f"{bench}: time per sample ({names})"))
    return paths


def _copy_artifacts(run: dict[str, Any], out_dir: Path, taken: set[str]) -> list[tuple[Path, str]]:
    # Copies, not links to the run folder: the report folder must stand alone once moved. Each
    # copy carries the run's name in the image itself and in its file name.
    copies = []
    stem_prefix = run["label"].replace("/", "-").replace("#", "-")
    for src in sorted((run["dir"] / "artifacts").glob("*.png")):
        name = f"{stem_prefix}-{src.name}"
        i = 1
        while name in taken:
            i += 1
            name = f"{stem_prefix}-{src.stem}-{i}.png"
        taken.add(name)
        dst = label_image(src, out_dir / name, f"run {run['label']}: {src.stem}")
        copies.append((dst, f"{run['label']}: {src.stem}"))
    return copies


def _failed_rows(suites: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"suite": s.get("suite"), "benchmark": name, "error": why}
            for s in suites for name, why in (s.get("failed") or {}).items()]


def write_report(run_dirs: Sequence[str | Path], out_dir: str | Path,
                 suite: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write ``report.md``, PNG plots and ``report.html`` comparing the given runs.

    Every input is checked before anything is written, and a report folder this call created is
    removed again when writing fails, so a failed report leaves no empty folder behind.

    Args:
        run_dirs: Run folders, and suite folders (holding ``suite.json``) standing for all their runs.
        out_dir: The report folder (created when missing).
        suite: A suite's record (``{"suite", "failed", "runs"...}``, as in ``suite.json``) for a
            caller that has not written ``suite.json`` yet: its failures are listed and, for a
            smoke suite, the runs marked.

    Returns:
        Paths of the Markdown file, the HTML page and the report folder.

    Raises:
        RunFolderError: when a folder is neither a finished run nor a suite, or a suite has no runs.
    """
    out_dir = Path(out_dir)
    dirs, suites = expand_inputs(run_dirs)
    if suite is not None:
        suites.append({**suite, "runs": {k: Path(v) for k, v in (suite.get("runs") or {}).items()},
                       "failed": dict(suite.get("failed") or {})})
    if not dirs and not _failed_rows(suites):
        raise RunFolderError(f"nothing to report: {', '.join(map(str, run_dirs))} hold(s) no runs")
    runs = [load_run(d) for d in dirs]
    for run, label in zip(runs, _labels(runs), strict=True):
        run["label"] = label
        run["smoke"] = _smoke_reason(run, suites)
        run["cached"] = _all_cached(run["results"])
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _write(runs, suites, out_dir)
    except BaseException:
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _write(runs: list[dict[str, Any]], suites: list[dict[str, Any]], out_dir: Path) -> dict[str, Path]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[run["results"]["benchmark"]].append(run)
    failed = _failed_rows(suites)

    summary = f"{len(runs)} run(s): " + ", ".join(str(r["dir"]) for r in runs)
    md = ["# nesykit report", ""]
    parts = ["<h1>nesykit report</h1>"]
    for s in suites:
        where = f", {s['dir']}" if "dir" in s else ""
        line = (f"Suite {s.get('suite')} (seed {s.get('seed')}{where}): {len(s['runs'])} run(s), "
                f"{len(s['failed'])} failed.")
        md += [line, ""]
        parts.append(f"<p>{html.escape(line)}</p>")
    md += [summary, ""]
    parts.append(f"<p>{html.escape(summary)}</p>")
    notes = [PM_NOTE]
    if any(r["smoke"] for r in runs):
        notes.append(SMOKE_NOTE)
    if any(r["cached"] for r in runs):
        notes.append(CACHE_NOTE)
    md += [f"- {n}" for n in notes] + [""]
    parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    if failed:
        md += ["## Failed benchmarks", "", _md_table(failed)]
        parts += ["<h2>Failed benchmarks</h2>", _html_table(failed)]

    taken = {"report.md", "report.html"} | {f"{b}-{kind}.png" for b in groups for kind in ("metrics", "sample-times")}
    for bench, group in groups.items():
        smoke = " (smoke-sized)" if all(r["smoke"] for r in group) else ""
        md += [f"## {bench}{smoke}", ""]
        parts.append(f"<h2>{html.escape(bench + smoke)}</h2>")
        for run in group:
            if run["cached"]:
                cache = run["results"]["llm_cache"]
                text = (f"Run {run['label']}: all {cache.get('hits')} LLM calls came from the response cache; "
                        "its timings (wall_s, per-sample times, rates) came from the cache, not the model.")
                md += [f"> {text}", ""]
                parts.append(f"<p><strong>{html.escape(text)}</strong></p>")
        rows = [_metric_row(r) for r in group]
        if len(rows) == 1:
            # One run: metrics read better as a column than as one very wide row.
            rows = [{"metric": k, "value": v} for k, v in rows[0].items()]
        md.append(_md_table(rows))
        parts.append(_html_table(rows))
        params = [{"run": r["label"], **r["results"].get("params", {})} for r in group]
        md += ["Parameters:", "", _md_table(params)]
        parts += ["<h3>Parameters</h3>", _html_table(params)]
        for run in group:
            for key, value in run["results"].items():
                if key in STANDARD_KEYS or not isinstance(value, list) or not value or not isinstance(value[0], dict):
                    continue
                title = f"{run['label']}: {key}"
                md += [f"### {title}", "", _md_table(value)]
                parts += [f"<h3>{html.escape(title)}</h3>", _html_table(value)]
        images = _plot_group(bench, group, out_dir)
        for run in group:
            images += _copy_artifacts(run, out_dir, taken)
        for img, caption in images:
            # Linked by file name: every image lies beside report.md.
            md.append(f"![{caption}]({img.name})\n")
            data = base64.b64encode(img.read_bytes()).decode()
            parts.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    prov = [_provenance_row(r) for r in runs]
    versions = _versions_rows(runs)
    md += ["## Provenance", "", _md_table(prov), "Package versions:", "", _md_table(versions)]
    parts += ["<h2>Provenance</h2>", _html_table(prov), "<h3>Package versions</h3>", _html_table(versions)]

    md_path = out_dir / "report.md"
    md_path.write_text("\n".join(md))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;"
             "margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}th{background:#eee}"
             "img{max-width:100%}")
    html_path = out_dir / "report.html"
    html_path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>nesykit report</title>"
                         f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    return {"markdown": md_path, "html": html_path, "dir": out_dir}
