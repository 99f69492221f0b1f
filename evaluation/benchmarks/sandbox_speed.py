"""Benchmark ``sandbox-speed``: the figures of ``nesy sandbox bench`` as a harness run.

The README quotes the sandbox's throughput; a CLI's printout cannot be committed and rerun by
``scripts/reproduce_readme.py``, a harness run can. This benchmark is a thin shell around the CLI's own
measuring function, :func:`agents.sandbox.cli.bench_sandbox` (no copy of it): one sample calls it once
(it takes the median of its own three batched measurements and of ``calls`` single calls) and every
figure it returns becomes a metric.

Metrics: ``batched_apps_per_s``, ``unbatched_apps_per_s``, ``per_call_ms``, ``worker_start_s``, and as
context ``workers``, ``inputs``, ``batch``, ``calls``, ``cpu_count``, ``load_avg_1m``. There is no
process CPU share: the work runs in the sandbox's worker processes, not in this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agents.sandbox import cli as sandbox_cli
from evaluation.harness.benchmark import Benchmark, RunContext, Sample, numeric_metrics, register
from evaluation.harness.errors import ParamError
from evaluation.harness.params import Param


@register
class SandboxSpeed(Benchmark):
    """Applications per second of a small function in the sandbox, batched and one per call."""

    name = "sandbox-speed"
    description = ("Throughput of the code sandbox (what `nesy sandbox bench` prints): applications/s of a small "
                   "function in batches with every worker busy, one application per call, worker start time.")
    params = (
        Param("workers", int, 2, "sandbox worker processes", min=1, max=64),
        Param("inputs", int, 20_000, "applications per batched measurement", min=1, max=10_000_000),
        Param("batch", int, 1000, "inputs per round trip to a worker", min=1, max=1_000_000),
        Param("calls", int, 200, "single-input calls timed for the per-call overhead (median)", min=1,
              max=100_000),
    )
    smoke_params = {"workers": 1, "inputs": 2000, "batch": 500, "calls": 20}
    # Timings must not compete with other samples, and the sandbox starts its own worker processes.
    parallel = False

    def check(self, ctx: RunContext) -> None:
        p = ctx.params
        if p["batch"] > p["inputs"]:
            raise ParamError(f"parameter 'batch': {p['batch']} is larger than 'inputs' ({p['inputs']}); "
                             "a batch cannot hold more than all the inputs")

    def samples(self, ctx: RunContext) -> Iterable[Sample]:
        p = ctx.params
        yield Sample(id="bench", inputs={k: p[k] for k in ("workers", "inputs", "batch", "calls")})

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        inp = sample.inputs
        # Looked up on the module at call time, so the CLI and this benchmark run one function.
        return sandbox_cli.bench_sandbox(inp["workers"], inp["inputs"], inp["batch"], inp["calls"])

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        # One sample: its figures are the metrics as measured (no mean, no standard error over one value).
        [rec] = records
        return numeric_metrics(rec["outputs"])
