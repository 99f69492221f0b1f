"""Benchmark ``possibilistic-kernels``: throughput of the min–max kernels of ``symbolic.possibilistic``.

Each sample times one kernel on a batch of random systems A □ x = y (A: B × N × M), batched in torch,
against a plain NumPy implementation that loops over the systems (median of repeats, same process),
checks that both give the same numbers, and measures memory per system. Two more samples time the
fast Chebyshev distance ∇ on one large system (default 510,000 × 40, the size Π-NeSy's threshold
search stacks at k = 1) with real and with 0/1 right-hand sides, and the literal O(N²M) evaluation on
a smaller one beside the fast kernel on that same system.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch

from evaluation.harness.benchmark import Benchmark, RunContext, Sample, register
from evaluation.harness.errors import ParamError
from evaluation.harness.params import Param
from symbolic.possibilistic.kernels import chebyshev_rows, epsilon_product, minmax_product

KERNELS = ("minmax", "lowest_solution", "nabla")
_DTYPES = {"float32": (torch.float32, np.float32), "float64": (torch.float64, np.float64)}


# ---------------------------------------------------------------------------------------- NumPy baselines
def np_minmax(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Loop over systems; each system's product in NumPy."""
    return np.stack([np.maximum(A[b], x[b][None, :]).min(axis=1) for b in range(A.shape[0])])


def np_lowest_solution(A: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Loop over systems; x_j = max_k (a_kj ε y_k) in NumPy."""
    return np.stack([np.where(A[b] < y[b][:, None], y[b][:, None], 0).max(axis=0) for b in range(A.shape[0])])


def np_nabla_rows(A: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Loop over systems; the closed form of ∇_k as written (O(N²M) per system), in NumPy."""
    out = np.empty(y.shape, dtype=A.dtype)
    for b in range(A.shape[0]):
        a, v = A[b], y[b]
        w = np.maximum(v[:, None] - a, 0)                                    # (N_l, M)
        for k0 in range(0, len(v), 256):
            vk = v[k0:k0 + 256]
            d = np.maximum(v[None, :] - vk[:, None], 0) / 2                  # (K, N_l)
            t = np.minimum(d[:, :, None], w[None, :, :]).max(axis=1)         # (K, M)
            own = np.maximum(a[k0:k0 + 256] - vk[:, None], 0)
            out[b, k0:k0 + 256] = np.maximum(own, t).min(axis=1)
    return out


# ---------------------------------------------------------------------------------------- measurement
def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def median_seconds(fn: Callable[[], Any], repeats: int, device: str = "cpu", budget_s: float = 20.0) -> float:
    """Median wall time of ``fn`` after one warm-up call; fewer repeats when a call is slow."""
    t0 = time.perf_counter()
    fn()
    _sync(device)
    first = time.perf_counter() - t0
    times = [first]
    n = max(0, min(repeats, int(budget_s / max(first, 1e-9))) - 1) if first > 0 else repeats
    for _ in range(n if first < budget_s else 0):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    if len(times) > 1:
        times = times[1:]  # drop the warm-up
    return statistics.median(times)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (the profiler's C++ side prints a line at each start and stop)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_bytes(fn: Callable[[], Any], device: str) -> int:
    """Extra memory a call needs at its peak.

    CUDA: the caching allocator's peak above what was allocated before. CPU: the peak of the running
    sum of torch's allocations and frees in call order (torch profiler), plus the peak of NumPy
    buffers (tracemalloc; the CPU kernels use NumPy for the suffix maximum and long binary searches).
    The sum of the two peaks is an upper bound when both kinds of buffers are alive together.
    """
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return int(torch.cuda.max_memory_allocated() - base)
    import tracemalloc

    from torch.profiler import ProfilerActivity, profile

    tracemalloc.start()
    try:
        with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            fn()
        numpy_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Self usage: an op's own allocations net of its own frees, so nested ops are not counted twice.
    deltas = sorted((e.time_range.start, e.self_cpu_memory_usage) for e in prof.events() if e.self_cpu_memory_usage)
    running = peak = 0
    for _, delta in deltas:
        running += delta
        peak = max(peak, running)
    return int(peak + numpy_peak)


def parse_size(text: str) -> tuple[int, int, int]:
    """``"BxNxM"`` → (B, N, M)."""
    try:
        b, n, m = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError("not BxNxM (e.g. 256x100x42)") from None
    if min(b, n, m) < 1:
        raise ValueError("a dimension is zero")
    return b, n, m


@register
class PossibilisticKernels(Benchmark):
    """Min–max product, lowest solution and Chebyshev distance: torch batched vs a NumPy loop."""

    name = "possibilistic-kernels"
    description = ("Throughput of min–max kernels (product, lowest solution, Chebyshev distance) on batches of "
                   "random systems vs a NumPy loop, memory per system, and fast ∇ on a 510,000 × 40 system "
                   "beside the literal O(N²M) evaluation.")
    params = (
        Param("sizes", str, ["2048x16x8", "512x100x42", "32x1000x42"], "batches BxNxM of random systems",
              multiple=True, check=parse_size),
        Param("kernels", str, list(KERNELS), "kernels to time", choices=KERNELS, multiple=True),
        Param("repeats", int, 5, "timed repeats per measurement (median)", min=1, max=100),
        Param("big_rows", int, 510_000, "rows of the large system for the fast ∇ (0 skips)", min=0),
        Param("big_cols", int, 40, "columns of the large system", min=1),
        Param("literal_rows", int, 5000, "rows of the system for the literal O(N²M) ∇ (0 skips)", min=0),
        Param("dtype", str, "float32", "floating type", choices=tuple(_DTYPES)),
        Param("device", str, "cpu", "torch device (cpu or cuda)"),
        Param("threads", int, 1, "torch CPU threads (0: torch's default); 1 avoids OpenMP stalls on a busy machine",
              min=0, max=256),
        Param("measure_memory", bool, True, "measure peak memory per call (one extra call each)"),
    )
    smoke_params = {"sizes": ["256x16x8", "32x100x42"], "repeats": 3, "big_rows": 100_000, "literal_rows": 1500}
    parallel = False  # timings must not compete with each other
    measure_memory = False

    def check(self, ctx: RunContext) -> None:
        if ctx.params["device"].startswith("cuda") and not torch.cuda.is_available():
            raise ParamError("parameter 'device': cuda requested but torch sees no CUDA device")

    def setup(self, ctx: RunContext) -> None:
        device = ctx.params["device"]
        if ctx.params["threads"]:
            torch.set_num_threads(ctx.params["threads"])
        ctx.extra["torch_threads"] = torch.get_num_threads()
        self.measure_memory = ctx.params["measure_memory"]
        if self.measure_memory:
            peak_bytes(lambda: torch.zeros(1), device)  # the profiler's first use allocates for itself
        ctx.extra["device_name"] = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"

    def samples(self, ctx: RunContext) -> Iterable[Sample]:
        p = ctx.params
        for size in p["sizes"]:
            b, n, m = parse_size(size)
            for kernel in p["kernels"]:
                yield Sample(id=f"{kernel}-{b}x{n}x{m}", inputs={"kind": "batch", "kernel": kernel,
                                                                "batch": b, "rows": n, "cols": m})
        if p["big_rows"]:
            for binary in (False, True):
                yield Sample(id=f"nabla-big-{p['big_rows']}x{p['big_cols']}{'-binary' if binary else ''}",
                             inputs={"kind": "big", "rows": p["big_rows"], "cols": p["big_cols"], "binary": binary})
        if p["literal_rows"]:
            yield Sample(id=f"nabla-literal-{p['literal_rows']}x{p['big_cols']}",
                         inputs={"kind": "literal", "rows": p["literal_rows"], "cols": p["big_cols"]})

    def _data(self, shape: tuple[int, ...], seed: int, dtype: str, binary: bool = False) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng(seed)
        np_dtype = _DTYPES[dtype][1]
        A = rng.random(shape, dtype=np.float64).astype(np_dtype)
        y = rng.random(shape[:-1]).astype(np_dtype)
        if binary:
            y = (y < 0.1).astype(np_dtype)
        x = rng.random(shape[:-2] + shape[-1:]).astype(np_dtype)
        return A, y, x

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        p = ctx.params
        device, repeats = p["device"], p["repeats"]
        seed = ctx.sample_seed(sample.id)
        inp = sample.inputs
        if inp["kind"] == "batch":
            return self._run_batch(inp, seed, p["dtype"], device, repeats)
        if inp["kind"] == "big":
            A, y, _ = self._data((inp["rows"], inp["cols"]), seed, p["dtype"], inp["binary"])
            At, yt = torch.from_numpy(A).to(device), torch.from_numpy(y).to(device)
            method = "auto" if inp["binary"] else "fast"
            rows = chebyshev_rows(At, yt, method=method)
            seconds = median_seconds(lambda: chebyshev_rows(At, yt, method=method), min(repeats, 3), device)
            mem = peak_bytes(lambda: chebyshev_rows(At, yt, method=method), device) if self.measure_memory else None
            return {"kernel": "nabla_fast" + ("_binary" if inp["binary"] else ""), "rows": inp["rows"],
                    "cols": inp["cols"], "seconds": seconds, "nabla": float(rows.max()),
                    "peak_bytes": mem, "input_bytes": A.nbytes + y.nbytes}
        A, y, _ = self._data((inp["rows"], inp["cols"]), seed, p["dtype"])
        At, yt = torch.from_numpy(A).to(device), torch.from_numpy(y).to(device)
        fast = chebyshev_rows(At, yt, method="fast")
        literal = chebyshev_rows(At, yt, method="literal")
        # Both forms get the same protocol: a warm-up call, then the median of the timed repeats (the
        # literal form's repeats shrink to fit the time budget, so a slow literal run stays bounded).
        literal_s = median_seconds(lambda: chebyshev_rows(At, yt, method="literal"), repeats, device, budget_s=60.0)
        fast_s = median_seconds(lambda: chebyshev_rows(At, yt, method="fast"), repeats, device)
        return {"kernel": "nabla_literal", "rows": inp["rows"], "cols": inp["cols"], "literal_seconds": literal_s,
                "fast_seconds": fast_s, "speedup": literal_s / fast_s,
                "max_abs_diff": float((fast - literal).abs().max())}

    def _run_batch(self, inp: dict[str, Any], seed: int, dtype: str, device: str, repeats: int) -> dict[str, Any]:
        b, n, m = inp["batch"], inp["rows"], inp["cols"]
        A, y, x = self._data((b, n, m), seed, dtype)
        At, yt, xt = (torch.from_numpy(v).to(device) for v in (A, y, x))
        kernel = inp["kernel"]
        if kernel == "minmax":
            def torch_fn():
                return minmax_product(At, xt)

            def numpy_fn():
                return np_minmax(A, x)
        elif kernel == "lowest_solution":
            def torch_fn():
                return epsilon_product(At, yt)

            def numpy_fn():
                return np_lowest_solution(A, y)
        else:
            def torch_fn():
                return chebyshev_rows(At, yt, method="fast")

            def numpy_fn():
                return np_nabla_rows(A, y)
        ours = torch_fn().cpu().numpy()
        ref = numpy_fn()
        torch_s = median_seconds(torch_fn, repeats, device)
        numpy_s = median_seconds(numpy_fn, repeats, "cpu")
        mem = peak_bytes(torch_fn, device) if self.measure_memory else None
        return {"kernel": kernel, "batch": b, "rows": n, "cols": m, "torch_seconds": torch_s, "numpy_seconds": numpy_s,
                "ratio": numpy_s / torch_s, "systems_per_second": b / torch_s,
                "max_abs_diff": float(np.abs(ours - ref).max()),
                "input_bytes_per_system": (A.nbytes + y.nbytes + x.nbytes) // b,
                "peak_bytes_per_system": None if mem is None else mem / b}

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        tol = 1e-5 if ctx.params["dtype"] == "float32" else 1e-12
        if "max_abs_diff" in outputs:
            return {"agrees": float(outputs["max_abs_diff"] <= tol)}
        return {}

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        agree = [r["score"]["agrees"] for r in records if "agrees" in (r.get("score") or {})]
        metrics["all_agree"] = float(all(a == 1.0 for a in agree)) if agree else None
        for r in records:
            o = r["outputs"]
            if o["kernel"] in KERNELS:
                key = f"{o['kernel']}_{o['batch']}x{o['rows']}x{o['cols']}"
                metrics[f"{key}_ratio"] = o["ratio"]
                metrics[f"{key}_systems_per_s"] = o["systems_per_second"]
                metrics[f"{key}_peak_bytes_per_system"] = o["peak_bytes_per_system"]
            elif o["kernel"] == "nabla_fast":
                metrics["nabla_big_rows"] = o["rows"]
                metrics["nabla_big_cols"] = o["cols"]
                metrics["nabla_big_seconds"] = o["seconds"]
                metrics["nabla_big_peak_bytes"] = o["peak_bytes"]
            elif o["kernel"] == "nabla_fast_binary":
                metrics["nabla_big_binary_seconds"] = o["seconds"]
            elif o["kernel"] == "nabla_literal":
                metrics["nabla_literal_rows"] = o["rows"]
                metrics["nabla_literal_seconds"] = o["literal_seconds"]
                metrics["nabla_fast_same_system_seconds"] = o["fast_seconds"]
                metrics["nabla_literal_over_fast"] = o["speedup"]
        if "nabla_literal_seconds" in metrics and "nabla_big_rows" in metrics:
            scale = (metrics["nabla_big_rows"] / metrics["nabla_literal_rows"]) ** 2
            metrics["nabla_literal_extrapolated_big_seconds"] = metrics["nabla_literal_seconds"] * scale
        return metrics

    def tables(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
        rows = []
        for r in records:
            o = r["outputs"]
            if o["kernel"] in KERNELS:
                rows.append({"kernel": o["kernel"], "systems": f"{o['batch']} × {o['rows']}×{o['cols']}",
                             "torch_ms": 1e3 * o["torch_seconds"], "numpy_loop_ms": 1e3 * o["numpy_seconds"],
                             "ratio": o["ratio"], "systems_per_s": o["systems_per_second"],
                             "peak_bytes_per_system": o["peak_bytes_per_system"],
                             "input_bytes_per_system": o["input_bytes_per_system"],
                             "max_abs_diff": o["max_abs_diff"]})
        big = [{"kernel": r["outputs"]["kernel"], **{k: v for k, v in r["outputs"].items() if k != "kernel"}}
               for r in records if r["outputs"]["kernel"].startswith("nabla_")]
        return {"kernels": rows, "nabla": big}
