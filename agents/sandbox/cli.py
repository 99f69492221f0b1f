"""CLI sub-app: ``nesy sandbox bench`` (mounted by evaluation/cli.py)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import typer

sandbox_app = typer.Typer(help="The sandbox for model-written code.", no_args_is_help=True)

SMALL_FN = "def f(x):\n    return 2 * x + 1\n"


def bench_sandbox(workers: int = 2, inputs: int = 20_000, batch: int = 1000, calls: int = 200) -> dict[str, Any]:
    """Applications/s of a small function in batches (all workers busy), and per-call overhead.

    The machine's 1-minute load average at the start is recorded beside the figures (``load_avg_1m``,
    with ``cpu_count``): on a shared machine it explains most of the spread between runs.
    """
    import os

    from agents.sandbox import Sandbox

    res: dict[str, Any] = {"workers": workers, "inputs": inputs, "batch": batch, "calls": calls,
                           "cpu_count": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
    with Sandbox(workers=workers, timeout=2.0) as sb:
        t = time.perf_counter()
        sb.run("result = 1")
        res["worker_start_s"] = time.perf_counter() - t
        chunks = [list(range(i, min(i + batch, inputs))) for i in range(0, inputs, batch)]

        async def batched() -> int:
            sem = asyncio.Semaphore(workers)

            async def one(xs: list[int]) -> int:
                async with sem:
                    out = await sb.aapply(SMALL_FN, "f", xs)
                    assert all(r.ok for r in out)
                    return len(out)

            return sum(await asyncio.gather(*(one(c) for c in chunks)))

        asyncio.run(batched())  # warm every worker
        rates = []
        for _ in range(3):
            t = time.perf_counter()
            n = asyncio.run(batched())
            rates.append(n / (time.perf_counter() - t))
        res["batched_apps_per_s"] = statistics.median(rates)
        lat = []
        for i in range(calls):
            t = time.perf_counter()
            [r] = sb.apply(SMALL_FN, "f", [i])
            lat.append(time.perf_counter() - t)
        res["per_call_ms"] = statistics.median(lat) * 1e3
        res["unbatched_apps_per_s"] = 1.0 / statistics.median(lat)
    return res


@sandbox_app.command("bench")
def bench(
    workers: int = typer.Option(2, help="worker processes"),
    inputs: int = typer.Option(20_000, help="applications per measurement"),
    batch: int = typer.Option(1000, help="inputs per round trip"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Function applications per second (batched) and the overhead of one call."""
    res = bench_sandbox(workers, inputs, batch)
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    typer.echo(f"sandbox, {workers} workers, batches of {batch}:")
    typer.echo(f"  batched        {res['batched_apps_per_s']:10.0f} applications/s")
    typer.echo(f"  one per call   {res['unbatched_apps_per_s']:10.0f} applications/s "
               f"({res['per_call_ms']:.2f} ms per call)")
    typer.echo(f"  worker start   {res['worker_start_s'] * 1e3:10.0f} ms")
    typer.echo(f"  machine        {res['cpu_count']} CPUs, load average {res['load_avg_1m']:.1f} at the start")
