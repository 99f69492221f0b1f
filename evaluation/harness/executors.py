"""Executors run a benchmark's pending samples: in-process, in a process pool, or on Ray.

Every executor turns a sample into the same record through :func:`execute_sample`, which seeds
Python, NumPy and torch from ``ctx.sample_seed(sample.id)`` first; so for a given run seed the
results do not depend on the executor, the number of workers, or the order samples finish in.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import multiprocessing as mp
import os
import random
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from evaluation.harness.benchmark import Benchmark, RunContext, Sample

Record = dict[str, Any]
EXECUTORS = ("local", "ray")


def _seed(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy as np
        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy is a core dependency
        pass
    try:
        import torch
        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover
        pass


def _record(sample: Sample, outputs: dict[str, Any], score: dict[str, float], run_s: float,
            score_s: float, seed: int) -> Record:
    outputs = dict(outputs)
    transcript = outputs.pop("transcript", None)
    rec: Record = {"id": sample.id, "inputs": sample.inputs, "outputs": outputs, "score": score,
                   "timings": {"run_s": run_s, "score_s": score_s}, "seed": seed}
    if transcript is not None:
        rec["transcript"] = transcript
    return rec


def _error_record(sample: Sample, exc: BaseException) -> Record:
    return {"id": sample.id, "inputs": sample.inputs, "error": f"{type(exc).__name__}: {exc}",
            "traceback": "".join(traceback.format_exception(exc))}


def execute_sample(bench: Benchmark, sample: Sample, ctx: RunContext) -> Record:
    """Run and score one sample; an exception becomes an error record instead of ending the run."""
    seed = ctx.sample_seed(sample.id)
    _seed(seed)
    try:
        t0 = time.perf_counter()
        outputs = bench.run_sample(sample, ctx)
        t1 = time.perf_counter()
        score = bench.score(sample, outputs, ctx)
        t2 = time.perf_counter()
    except Exception as exc:  # the harness records it; the sample is retried on resume
        return _error_record(sample, exc)
    return _record(sample, outputs, score, t1 - t0, t2 - t1, seed)


async def aexecute_sample(bench: Benchmark, sample: Sample, ctx: RunContext) -> Record:
    """Async twin of :func:`execute_sample` for agent benchmarks (``arun_sample``)."""
    seed = ctx.sample_seed(sample.id)
    try:
        t0 = time.perf_counter()
        outputs = await bench.arun_sample(sample, ctx)  # type: ignore[attr-defined]
        t1 = time.perf_counter()
        score = bench.score(sample, outputs, ctx)
        t2 = time.perf_counter()
    except Exception as exc:
        return _error_record(sample, exc)
    return _record(sample, outputs, score, t1 - t0, t2 - t1, seed)


def _run_any(bench: Benchmark, sample: Sample, ctx: RunContext) -> Record:
    if bench.is_async:
        return asyncio.run(aexecute_sample(bench, sample, ctx))
    return execute_sample(bench, sample, ctx)


# --- process pool -------------------------------------------------------------------------------
_WORKER: tuple[Benchmark, RunContext] | None = None


def _init_worker(bench: Benchmark, ctx: RunContext) -> None:
    global _WORKER
    _WORKER = (bench, ctx)
    try:
        import torch
        torch.set_num_threads(1)  # one worker per core; threads inside each would oversubscribe
    except ImportError:  # pragma: no cover
        pass


def _worker_run(sample: Sample) -> Record:
    assert _WORKER is not None, "worker not initialised"
    bench, ctx = _WORKER
    return execute_sample(bench, sample, ctx)


def run_local(bench: Benchmark, ctx: RunContext, pending: Sequence[Sample],
              workers: int) -> Iterator[Record]:
    """Yield records as samples finish: asyncio for agents, a process pool for CPU-bound work."""
    if bench.is_async:
        yield from _run_async(bench, ctx, pending, workers)
    elif workers <= 1 or not bench.parallel or len(pending) <= 1:
        for sample in pending:
            yield execute_sample(bench, sample, ctx)
    else:
        # spawn, not fork: forking a process that already runs torch/OpenMP threads can deadlock.
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                    initializer=_init_worker, initargs=(bench, ctx)) as pool:
            futures = [pool.submit(_worker_run, s) for s in pending]
            for fut in cf.as_completed(futures):
                yield fut.result()


def _run_async(bench: Benchmark, ctx: RunContext, pending: Sequence[Sample], concurrency: int) -> Iterator[Record]:
    # All episodes are in flight together (bounded by `concurrency`) so the model backend can batch
    # whatever is pending; records are handed back through a thread-safe queue as they finish.
    import queue
    import threading

    out: queue.Queue = queue.Queue()
    done = object()

    async def main() -> None:
        sem = asyncio.Semaphore(max(1, concurrency))

        async def one(sample: Sample) -> None:
            async with sem:
                out.put(await aexecute_sample(bench, sample, ctx))

        try:
            await asyncio.gather(*(one(s) for s in pending))
        finally:
            closer = getattr(bench, "aclose", None)
            if closer is not None:
                await closer()

    error: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced in the caller's thread below
            error.append(exc)
        finally:
            out.put(done)

    thread = threading.Thread(target=target, name="nesy-agents", daemon=True)
    thread.start()
    while (item := out.get()) is not done:
        yield item
    thread.join()
    if error:
        raise error[0]


# --- Ray ----------------------------------------------------------------------------------------
def run_ray(bench: Benchmark, ctx: RunContext, pending: Sequence[Sample], workers: int,
            address: str | None = None) -> Iterator[Record]:
    """Yield records from Ray tasks (``ray.init(address)``, or a local Ray started on demand)."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError("the Ray executor needs Ray: pip install 'nesykit[dist]'") from exc
    address = address or os.environ.get("RAY_ADDRESS")
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(_run_any)
        bench_ref, ctx_ref = ray.put(bench), ray.put(ctx)
        futures = [remote.remote(bench_ref, s, ctx_ref) for s in pending]
        while futures:
            ready, futures = ray.wait(futures, num_returns=1)
            yield ray.get(ready[0])
    finally:
        if started_here:
            ray.shutdown()


def run_pending(bench: Benchmark, ctx: RunContext, pending: Sequence[Sample], *, executor: str,
                workers: int, address: str | None = None,
                on_record: Callable[[Record], None] | None = None) -> list[Record]:
    """Run ``pending`` with the named executor; call ``on_record`` as each record arrives."""
    if executor == "local":
        stream = run_local(bench, ctx, pending, workers)
    elif executor == "ray":
        stream = run_ray(bench, ctx, pending, workers, address)
    else:
        from evaluation.harness.errors import ParamError
        raise ParamError(f"unknown executor '{executor}'; choose one of {', '.join(EXECUTORS)}")
    records = []
    for rec in stream:
        records.append(rec)
        if on_record is not None:
            on_record(rec)
    return records
