"""Runs a benchmark into a run folder: resume, execute, aggregate, report.

Python API::

    from evaluation.harness.runner import run_benchmark
    results = run_benchmark("mnist-digits", params={"epochs": 2}, seed=0, out="runs/digits")
    results["metrics"]["accuracy"]
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evaluation.harness import registry
from evaluation.harness.benchmark import RunContext
from evaluation.harness.errors import DataNotFoundError, NesyError, ParamError
from evaluation.harness.executors import EXECUTORS, Record, run_pending
from evaluation.harness.models import choose_model, close_chosen, load_chosen
from evaluation.harness.params import resolve_params
from evaluation.harness.provenance import git_revision, machine, now_iso, package_versions
from evaluation.harness.runfolder import HEADER, RunFolder, to_jsonable, write_json

console = Console(stderr=True)


class SampleErrors(NesyError, RuntimeError):
    """Some samples raised; they are listed in the run folder's ``errors.jsonl``."""


def default_out(name: str, params: Mapping[str, Any], seed: int, model: str | None) -> Path:
    """A folder named after the run's identity, so repeating a command resumes its run."""
    key = json.dumps(to_jsonable({"p": params, "s": seed, "m": model}), sort_keys=True)
    return Path("runs") / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def run_benchmark(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    limit: int | None = None,
    model: Any = None,
    model_options: Mapping[str, Any] | None = None,
    cache: bool = True,
    threads: int | None = None,
    out: str | Path | None = None,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run (or resume) one benchmark and return its ``results.json`` content.

    Args:
        name: Registered benchmark name (see ``nesy bench list``).
        params: Parameter values (strings are parsed; unknown names are refused).
        seed: Run seed; each sample's seed derives from it and the sample id.
        limit: Run only the first ``limit`` samples (a later run with a larger limit continues).
        model: For benchmarks that use a model: a spec string (default ``default``) or an
            ``agents.llm.ChatModel`` the caller owns. The harness loads a spec once, hands the model
            to the benchmark as ``ctx.llm`` and closes it at the end.
        model_options: Backend options for a spec (``n_threads``, ``n_ctx``, ``gpu_memory_utilization``...;
            the CLI's ``-M key=value``); strings are converted to the backend's types.
        cache: Use the LLM response cache (the CLI's ``--no-cache`` sets it to False).
        threads: CPU threads for this run's torch work and, unless ``n_threads`` is given, for a
            llama.cpp model (``None``: the libraries' defaults). Recorded in ``header.json``.
        out: Run folder (default: ``runs/<name>-<hash of params, seed, model>``).
        executor: ``local`` or ``ray``.
        workers: Worker processes (local pool / Ray CPUs) or, for agents, episodes in flight.
        ray_address: Address of an existing Ray cluster (default: ``$RAY_ADDRESS`` or a local Ray).
        progress: Show progress bars.

    Raises:
        UnknownBenchmarkError, ParamError, RunFolderError, ModelSpecError: for bad input, with a clear
            message, before the run folder is touched.
        SampleErrors: when some samples failed (the others are saved; a rerun retries the failed).
    """
    import torch

    # Benchmarks may tune torch's thread count for their own work (tiny MLPs run faster on one
    # thread); a suite runs many benchmarks in one process, so each starts from the same setting.
    before = torch.get_num_threads()
    try:
        return _run_benchmark(name, params, seed=seed, limit=limit, model=model, model_options=model_options,
                              cache=cache, threads=threads, out=out, executor=executor, workers=workers,
                              ray_address=ray_address, progress=progress)
    finally:
        torch.set_num_threads(before)


def _split_model_params(cls: type, params: dict[str, Any], options: dict[str, Any]) -> None:
    """Move a benchmark's deprecated model parameters (``-p threads``) into the model options."""
    for old, new in getattr(cls, "deprecated_model_params", {}).items():
        if old not in params:
            continue
        value = params.pop(old)
        console.print(f"[yellow]deprecated:[/yellow] -p {old}={value} configures the model; use -M {new}={value} "
                      "(accepted for one more release)")
        if str(value) not in ("0", "", "None") and new not in options:
            options[new] = value


def _model_name(spec: str | None) -> str | None:
    """The model a spec names, without its backend (``llamacpp/default`` and ``vllm/default``: ``default``)."""
    if spec is None:
        return None
    from agents.llm import parse_spec

    return parse_spec(spec)[1]


def _run_benchmark(name: str, params: Mapping[str, Any] | None, *, seed: int, limit: int | None,
                   model: Any, model_options: Mapping[str, Any] | None, cache: bool, threads: int | None,
                   out: str | Path | None, executor: str, workers: int | None,
                   ray_address: str | None, progress: bool) -> dict[str, Any]:
    cls = registry.get(name)
    if executor not in EXECUTORS:
        raise ParamError(f"unknown executor '{executor}'; choose one of {', '.join(EXECUTORS)}")
    if limit is not None and limit < 1:
        raise ParamError(f"--limit must be >= 1, got {limit}")
    if workers is not None and workers < 1:
        raise ParamError(f"--workers must be >= 1, got {workers}")
    if threads is not None and threads < 1:
        raise ParamError(f"--threads must be >= 1, got {threads}")
    if threads is None:
        threads = cls.default_threads
    raw = dict(params or {})
    options = dict(model_options or {})
    if cls.uses_model:
        _split_model_params(cls, raw, options)
    choice = choose_model(cls.uses_model, model, options, cache, threads)
    spec = choice.spec if choice is not None else None
    # A named setup fills what -p leaves unset; ``auto`` picks the one measured best for this model.
    raw = cls.apply_setup(raw, _model_name(spec))
    resolved = resolve_params(name, cls.params, raw)
    run_dir = Path(out) if out is not None else default_out(name, resolved, seed, spec)
    header = {"benchmark": name, "params": resolved, "model": spec, "seed": seed,
              **(choice.header() if choice is not None else {}), "threads": threads,
              "versions": package_versions(), "git_revision": git_revision(), "machine": machine(),
              "start_time": now_iso(), "executor": executor, "workers": workers, "limit": limit}
    if executor == "ray":
        _check_ray()
    if threads is not None:
        import torch

        torch.set_num_threads(threads)  # run_benchmark restores the caller's setting afterwards
    bench = cls()
    bench.check(RunContext(benchmark=name, params=resolved, seed=seed, run_dir=run_dir, model=spec, limit=limit,
                           executor=executor))
    llm = load_chosen(choice) if choice is not None else None
    try:
        return _execute(bench, name, resolved, seed=seed, limit=limit, spec=spec, llm=llm, header=header,
                        run_dir=run_dir, executor=executor, workers=workers, ray_address=ray_address,
                        progress=progress)
    finally:
        if choice is not None:
            close_chosen(choice, llm)


def _check_ray() -> None:
    # Before setup: a run must not train for minutes and only then learn that Ray is missing.
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise ParamError("--executor ray needs Ray, which is not installed; install it with "
                         "`scripts/setup.sh dev` (or pip install 'nesykit[dist]')")


class Interrupted(NesyError, KeyboardInterrupt):
    """The user stopped a run (Ctrl-C); the message says what was saved and how to resume."""


def _execute(bench: Any, name: str, resolved: dict[str, Any], *, seed: int, limit: int | None, spec: str | None,
             llm: Any, header: dict[str, Any], run_dir: Path, executor: str, workers: int | None,
             ray_address: str | None, progress: bool) -> dict[str, Any]:
    folder = RunFolder(run_dir)
    fresh = not run_dir.exists()
    folder.open(header)
    try:
        return _execute_in(folder, bench, name, resolved, seed=seed, limit=limit, spec=spec, llm=llm,
                           run_dir=run_dir, executor=executor, workers=workers, ray_address=ray_address,
                           progress=progress)
    except KeyboardInterrupt:
        done, _ = folder.read_samples()
        raise Interrupted(f"interrupted: {len(done)} finished samples are saved in {run_dir}; "
                          "repeat the same command to resume") from None
    except BaseException:
        # A failure before any sample was saved (bad data found in setup, say) must not leave a folder
        # that looks like a run: remove what this call created, if it holds nothing else.
        if fresh and not folder.samples_path.exists():
            _remove_empty_run(run_dir)
        raise


def _remove_empty_run(run_dir: Path) -> None:
    leftovers = [p for p in run_dir.rglob("*") if p.is_file() and p.name != HEADER]
    if leftovers:
        return
    for path in sorted(run_dir.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    run_dir.rmdir()


def _execute_in(folder: RunFolder, bench: Any, name: str, resolved: dict[str, Any], *, seed: int,
                limit: int | None, spec: str | None, llm: Any, run_dir: Path, executor: str,
                workers: int | None, ray_address: str | None, progress: bool) -> dict[str, Any]:
    cache_before = llm.cache_stats() if llm is not None else None
    n_workers = workers or (256 if bench.is_async else 1)
    ctx = RunContext(benchmark=name, params=resolved, seed=seed, run_dir=run_dir, model=spec,
                     limit=limit, workers=n_workers, executor=executor, llm=llm)
    wall0 = time.perf_counter()
    if progress:
        console.print(f"[bold]{name}[/bold] → {run_dir}")
    bench.setup(ctx)
    setup_s = time.perf_counter() - wall0

    all_samples = list(bench.samples(ctx))
    ids = [s.id for s in all_samples]
    if len(set(ids)) != len(ids):
        raise ValueError(f"benchmark '{name}' yielded duplicate sample ids")
    samples = all_samples[:limit] if limit is not None else all_samples
    old, problems = folder.read_samples()
    for p in problems:
        console.print(f"[yellow]warning:[/yellow] {p}")
    done = {r["id"] for r in old}
    pending = [s for s in samples if s.id not in done]

    errors: list[Record] = []
    t0 = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Without a terminal (CI, nohup, a pipe) the bar is invisible: log a line every ~30 s instead.
    log_lines = progress and not console.is_terminal
    last_log = [time.perf_counter()]
    finished = [len(samples) - len(pending)]
    with Progress(*columns, console=console, disable=not progress, transient=True) as bar:
        task = bar.add_task(f"{name} samples", total=len(samples), completed=finished[0])

        def on_record(rec: Record) -> None:
            if "error" in rec:
                errors.append(rec)
                with (run_dir / "errors.jsonl").open("a") as fh:
                    fh.write(json.dumps(to_jsonable(rec)) + "\n")
            else:
                folder.append_sample(rec)
            bar.advance(task)
            finished[0] += 1
            now = time.perf_counter()
            if log_lines and (now - last_log[0] >= 30 or finished[0] == len(samples)):
                last_log[0] = now
                console.print(f"{name}: {finished[0]}/{len(samples)} samples ({len(errors)} failed), "
                              f"{now - t0:.0f} s", highlight=False)

        new = run_pending(bench, ctx, pending, executor=executor, workers=n_workers,
                          address=ray_address, on_record=on_record)
    samples_s = time.perf_counter() - t0

    # Results describe everything the folder holds: a resumed run with a smaller --limit must not
    # rewrite results.json with fewer samples than samples.jsonl keeps.
    wanted = {s.id: i for i, s in enumerate(all_samples)}
    by_id = {r["id"]: r for r in old + [r for r in new if "error" not in r]}
    records = sorted((r for i, r in by_id.items() if i in wanted), key=lambda r: wanted[r["id"]])
    if limit is not None and len(records) > limit:
        console.print(f"note: the folder holds {len(records)} finished samples, more than --limit {limit}; "
                      "results cover all of them", highlight=False)
    failed_ids = {r["id"] for r in errors}
    missing = [s.id for s in samples if s.id not in by_id]
    metrics = bench.aggregate(records, ctx) if records else {}
    run_times = [r["timings"]["run_s"] for r in records if "timings" in r]
    n_new = sum(1 for r in new if "error" not in r)
    results: dict[str, Any] = {
        "benchmark": name, "params": resolved, "seed": seed, "model": spec,
        "metrics": metrics,
        "timing": {"setup_s": setup_s, "samples_s": samples_s, "wall_s": time.perf_counter() - wall0,
                   "n_samples": len(records), "n_new": n_new, "n_errors": len(errors),
                   "samples_per_s": n_new / samples_s if samples_s > 0 and n_new else None,
                   "median_sample_s": statistics.median(run_times) if run_times else None},
        # A run with failed or missing samples is never averaged silently: reports show this.
        "complete": not missing,
        "n_expected": len(samples), "n_failed": len(failed_ids), "n_missing": len(missing),
    }
    results.update(bench.tables(records, ctx) if records else {})
    if cache_before is not None:
        after = llm.cache_stats()
        hits = after.get("hits", 0) - cache_before.get("hits", 0)
        misses = after.get("misses", 0) - cache_before.get("misses", 0)
        results["llm_cache"] = {"hits": hits, "misses": misses,
                                "hit_rate": hits / (hits + misses) if hits + misses else None,
                                "enabled": llm.cache is not None}
    if ctx.extra:
        results["extra"] = ctx.extra
    folder.write_results(results)
    if records:
        bench.finalize(results, records, ctx)
        write_json(folder.results_path, results)  # finalize may add figures/paths
    if errors:
        raise SampleErrors(f"{len(errors)} of {len(samples)} samples of '{name}' failed (first: "
                           f"{errors[0]['error']}); see {run_dir / 'errors.jsonl'}. Rerun to retry them.")
    return results


def run_suite(suite: str, *, seed: int = 0, out: str | Path | None = None, model: str | None = None,
              model_options: Mapping[str, Any] | None = None, cache: bool = True, threads: int | None = None,
              executor: str = "local", workers: int | None = None, progress: bool = True,
              only: list[str] | None = None) -> dict[str, Any]:
    """Run a suite (``smoke``: each benchmark's small case) into ``out/<benchmark>``, then report.

    Returns:
        ``{"runs": {name: run_dir}, "failed": {name: message}, "skipped": {name: why}, "report": report_dir}``;
        a benchmark whose data is missing (``DataNotFoundError``) is skipped, not failed.
    """
    from evaluation.harness.report import write_report

    if suite not in registry.SUITES:
        raise ParamError(f"unknown suite '{suite}'; valid suites: {', '.join(registry.SUITES)}")
    out = Path(out) if out is not None else Path("runs") / suite
    known = registry.load_all()
    unknown = [n for n in only or [] if n not in known]
    if unknown:
        raise ParamError(f"--only {unknown[0]}: no such benchmark; valid names: {', '.join(known)}")
    runs: dict[str, Path] = {}
    failed: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name, cls in registry.load_all().items():
        if only and name not in only:
            continue
        run_dir = out / name
        t0 = time.perf_counter()
        try:
            options = (dict(cls.smoke_model_options) | dict(model_options or {})) if cls.uses_model else None
            run_benchmark(name, dict(cls.smoke_params), seed=seed, limit=cls.smoke_limit,
                          model=model if cls.uses_model else None, model_options=options, cache=cache,
                          threads=threads, out=run_dir, executor=executor, workers=workers, progress=progress)
            runs[name] = run_dir
            console.print(f"[green]ok[/green] {name} ({time.perf_counter() - t0:.1f} s)")
        except DataNotFoundError as exc:
            # Data that this machine cannot fetch (STE lives only upstream on GitHub) is not a failure
            # of the code: the case is skipped, said so, and the message names the fetch command.
            skipped[name] = str(exc)
            console.print(f"[yellow]skipped[/yellow] {name}: {exc}", highlight=False)
        except Exception as exc:  # one failing benchmark must not hide the others' results
            failed[name] = f"{type(exc).__name__}: {exc}"
            console.print(f"[red]failed[/red] {name}: {failed[name]}")
    for name, why in registry.BROKEN.items():
        failed[f"module {name}"] = why
    report_dir: Path | None = out / "report"
    if runs:
        write_report(list(runs.values()), report_dir,
                     suite={"suite": suite, "seed": seed, "runs": runs, "failed": failed})
    else:
        report_dir = None  # nothing ran: no report is announced
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "suite.json", {"suite": suite, "seed": seed, "runs": runs, "failed": failed,
                                    "skipped": skipped, "report": report_dir})
    return {"runs": runs, "failed": failed, "skipped": skipped, "report": report_dir}
