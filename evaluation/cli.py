"""The ``nesy`` command line (typer)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="nesykit: neuro-symbolic reasoning and LLM agents.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
bench_app = typer.Typer(help="List and run benchmarks.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
out = Console(soft_wrap=True)  # long lines stay whole when piped (grep-able listings)
err = Console(stderr=True)


def _version() -> str:
    import importlib.metadata as md
    try:
        return md.version("nesykit")
    except md.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"nesykit {_version()}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """nesykit: neuro-symbolic reasoning and LLM agents."""


@app.command()
def doctor() -> None:
    """Show what is installed and usable; exit 0 when the core works."""
    from evaluation.harness import registry
    from evaluation.harness.doctor import run_checks

    checks = run_checks()
    table = Table(title=f"nesykit {_version()}")
    for col in ("component", "status", "detail", "to fix"):
        table.add_column(col, overflow="fold")
    for c in checks:
        status = "[green]ok[/green]" if c.ok else ("[red]missing[/red]" if c.core else "[yellow]optional[/yellow]")
        table.add_row(c.name, status, c.detail, "" if c.ok else c.fix)
    out.print(table)
    benches = registry.load_all()
    out.print(f"benchmarks: {len(benches)} registered ({', '.join(benches)})")
    for name, why in registry.BROKEN.items():
        out.print(f"[red]benchmark module {name} failed to import:[/red] {why}")
    bad = [c.name for c in checks if c.core and not c.ok]
    if bad or registry.BROKEN:
        err.print(f"core pieces missing: {', '.join(bad + list(registry.BROKEN))}")
        raise typer.Exit(1)


@bench_app.command("list")
def bench_list(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List benchmarks: name, description, parameters with defaults."""
    from evaluation.harness import registry

    benches = registry.load_all()
    if as_json:
        out.print_json(json.dumps([c.describe() for c in benches.values()]))
        return
    for name, cls in benches.items():
        out.print(f"[bold]{name}[/bold]  {cls.description}")
        for p in cls.params:
            out.print(f"    {p.name} = {p.default!r}   ({p.allowed()}){'  ' + p.help if p.help else ''}")
    for suite, text in registry.SUITES.items():
        out.print(f"[bold]{suite}[/bold] (suite)  {text}")
    for name, why in registry.BROKEN.items():
        out.print(f"[red]unavailable[/red] module {name}: {why}")


@bench_app.command("run")
def bench_run(
    name: Annotated[str, typer.Argument(help="Benchmark or suite name (see `nesy bench list`).")],
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="key=value, repeatable.")] = None,
    limit: Annotated[int | None, typer.Option(help="Run only the first N samples.")] = None,
    seed: Annotated[int, typer.Option(help="Run seed.")] = 0,
    model: Annotated[str | None, typer.Option(help="Model spec for agent benchmarks.")] = None,
    model_option: Annotated[list[str] | None, typer.Option(
        "-M", "--model-option", help="Backend option key=value (n_threads, n_ctx, gpu_memory_utilization...).")] = None,
    threads: Annotated[int | None, typer.Option(
        help="CPU threads for torch and llama.cpp (default: the libraries'; 1 is fastest on a busy machine).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run folder (resumed if it exists).")] = None,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    workers: Annotated[int | None, typer.Option(help="Worker processes / episodes in flight.")] = None,
    ray_address: Annotated[str | None, typer.Option(help="Existing Ray cluster address.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Bypass the LLM response cache.")] = False,
    only: Annotated[list[str] | None, typer.Option(help="With a suite: run only these benchmarks.")] = None,
) -> None:
    """Run (or resume) a benchmark or a suite into a run folder."""
    from evaluation.harness import registry
    from evaluation.harness.params import parse_assignments
    from evaluation.harness.runner import Interrupted, run_benchmark, run_suite

    options = parse_assignments(model_option or [], what="-M")
    if name in registry.SUITES:
        if param:
            raise typer.BadParameter("suites take no -p parameters", param_hint="-p")
        res = run_suite(name, seed=seed, out=out_dir, model=model, model_options=options, cache=not no_cache,
                        threads=threads, executor=executor, workers=workers, only=only)
        if res["report"] is not None:
            out.print(f"report: {res['report'] / 'report.html'}")
        for bench in res.get("skipped", {}):
            err.print(f"skipped {bench}: its data is not on this machine (see the line above for how to fetch it)",
                      highlight=False)
        if res["failed"]:
            for bench, why in res["failed"].items():
                err.print(f"[red]failed[/red] {bench}: {why}")
            raise typer.Exit(1)
        return
    try:
        results = run_benchmark(name, parse_assignments(param or []), seed=seed, limit=limit, model=model,
                                model_options=options, cache=not no_cache, threads=threads, out=out_dir,
                                executor=executor, workers=workers, ray_address=ray_address)
    except Interrupted as exc:  # click would print a bare "Aborted!": say what was saved instead
        err.print(str(exc), highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    table = Table(title=f"{name} ({results['timing']['n_samples']} samples, "
                        f"{results['timing']['wall_s']:.1f} s)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    metrics = results["metrics"]
    for key, value in metrics.items():
        if key.endswith("_stderr"):
            continue
        se = metrics.get(f"{key}_stderr")
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        table.add_row(key, text + (f" ± {se:.2g}" if isinstance(se, float) and se else ""))
    out.print(table)


@app.command()
def report(
    dirs: Annotated[list[Path], typer.Argument(
        help="Run folders to compare, or suite folders (holding suite.json) for all their runs.")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Where to write the report (default: <folder>/report for one folder, else runs/report).")] = None,
) -> None:
    """Write a Markdown summary, PNG plots and one self-contained HTML page comparing runs."""
    from evaluation.harness.report import default_report_dir, write_report

    # write_report checks every folder before it creates the report folder, and removes a folder it
    # created when writing fails: a failed report leaves nothing behind.
    paths = write_report(list(dirs), out_dir or default_report_dir(dirs))
    # Paths as plain text: rich would take a [bracketed] folder name for markup and drop it.
    out.print(f"wrote {paths['markdown']} and {paths['html']}", markup=False, highlight=False)


data_app = typer.Typer(help="Data sets no package ships (List Functions, STE): where they are, fetch them.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("list")
def data_list() -> None:
    """Each fetchable data set: the copy the loaders use (argument/$NESY_DATA/mirror/cache) or how to get it."""
    from evaluation.harness import data

    table = Table()
    for col in ("name", "status", "where", "source", "to fetch"):
        table.add_column(col, overflow="fold")
    for ds, loc in data.iter_status():
        if loc is None:
            table.add_row(ds.name, "[yellow]missing[/yellow]", "", f"{ds.source} ({ds.size})", ds.fetch_command)
        else:
            table.add_row(ds.name, f"[green]{loc.kind}[/green]", str(loc.path), ds.source, "")
    out.print(table)


@data_app.command("fetch")
def data_fetch(
    names: Annotated[list[str], typer.Argument(help="Data sets to fetch (see `nesy data list`).")],
    source: Annotated[str | None, typer.Option(
        "--from", help="Local copy instead of the network: the bigbench-1.0.0.tar.gz sdist (path or URL) or "
                       "a folder holding the files.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Fetch again even if the cache has a copy.")] = False,
    if_missing: Annotated[bool, typer.Option(
        "--if-missing", help="Do nothing when $NESY_DATA, the local mirror or the cache has a copy.")] = False,
) -> None:
    """Download data sets into the nesykit cache, checked against pinned SHA-256 sums."""
    from evaluation.harness import data

    for name in names:
        data.dataset(name)  # an unknown name fails before any download starts
    for name in names:
        # The List Functions sdist is 358 MB: a line every 50 MB on stderr shows a slow download is alive.
        shown = [0]

        def progress(n_bytes: int, name: str = name, shown: list[int] = shown) -> None:
            if n_bytes >= shown[0] + 50_000_000:
                shown[0] = n_bytes
                err.print(f"{name}: {n_bytes / 1e6:.0f} MB read", highlight=False)

        res = data.fetch(name, source=source, force=force, if_missing=if_missing, progress=progress)
        if not res.fetched:
            out.print(f"{name}: {res.source}: {res.path}")
            continue
        size = f", {res.n_bytes / 1e6:.0f} MB read" if res.n_bytes else ""
        out.print(f"{name}: fetched from {res.source} into {res.path} ({res.seconds:.1f} s{size}, "
                  "SHA-256 checked)")


def _mount_optional() -> None:
    # Sub-apps from agents/ (LLM interface, cache, sandbox). A missing optional piece must not take
    # down the rest of the CLI, so an import failure leaves a command that explains it.
    for module, attr, name in (("agents.llm.cli", "llm_app", "llm"), ("agents.llm.cli", "cache_app", "cache"),
                               ("agents.llm.cli", "models_app", "models"),
                               ("agents.sandbox.cli", "sandbox_app", "sandbox")):
        try:
            sub = getattr(__import__(module, fromlist=[attr]), attr)
        except Exception as exc:  # noqa: BLE001 - reported when the command is used
            reason = f"{type(exc).__name__}: {exc}"
            sub = typer.Typer(help=f"(unavailable: {reason[:80]})")

            @sub.callback(invoke_without_command=True)
            def _unavailable(reason: str = reason, name: str = name) -> None:  # type: ignore[misc]
                err.print(f"error: `nesy {name}` is unavailable: {reason}")
                raise typer.Exit(1)
        app.add_typer(sub, name=name)


_mount_optional()

#: Errors whose message is the whole story for a user: printed without a traceback.
USER_ERRORS = (ValueError, LookupError, FileNotFoundError, ImportError, PermissionError, TimeoutError,
               ConnectionError)


def main() -> None:
    """Console-script entry point: user errors become one clear line and exit status 2."""
    from evaluation.harness.errors import NesyError

    try:
        app()
    except (NesyError, *USER_ERRORS) as exc:
        if os.environ.get("NESY_DEBUG"):
            raise
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        err.print("(set NESY_DEBUG=1 to see the traceback)", style="dim")
        sys.exit(2)


if __name__ == "__main__":
    main()
