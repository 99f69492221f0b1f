"""Swappable ``map`` backends for fitness evaluation (DEAP's parallelism model).

The engine registers one of these as ``toolbox.map`` and maps :func:`evaluate_chunk` over chunks
of program codes. Each worker receives the fitness task once, through the pool initializer, so a
generation ships only tuples of names and floats.

- ``serial``: the built-in ``map`` in the calling process.
- ``process``: a :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method
  (safe with threads and torch in the parent, and works from notebooks because the worker
  functions live in this importable module).
- ``ray``: a :class:`ray.util.multiprocessing.Pool` (needs ``pip install "nesykit[dist]"``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

BACKENDS = ("serial", "process", "ray")

_TASK: Any = None


def _init_worker(task: Any) -> None:
    global _TASK
    _TASK = task
    setup = getattr(task, "setup_worker", None)
    if setup is not None:
        setup()


def evaluate_chunk(codes: Sequence[tuple]) -> list[float]:
    """Worker side: score a chunk of programs with the task installed by the initializer."""
    if _TASK is None:
        raise RuntimeError("evaluate_chunk called in a process whose pool initializer did not run")
    batch = getattr(_TASK, "evaluate_batch", None)
    return batch(codes) if batch is not None else [_TASK(c) for c in codes]


def resolve_n_jobs(n_jobs: int | None) -> int:
    """``None``/1 -> 1; ``-1`` -> all cores; other negatives count back from the core count."""
    cpus = os.cpu_count() or 1
    if n_jobs is None or n_jobs == 0:
        return 1
    if n_jobs < 0:
        return max(1, cpus + 1 + n_jobs)
    return int(n_jobs)


class Mapper:
    """A context manager that owns the worker pool and exposes ``map(func, iterable)``.

    Args:
        task: The fitness task (picklable for ``process`` and ``ray``).
        backend: One of :data:`BACKENDS`.
        n_jobs: Number of workers (``-1`` = all cores). ``n_jobs=1`` always runs serially.
    """

    def __init__(self, task: Any, backend: str = "process", n_jobs: int | None = 1) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} is not one of {BACKENDS}")
        self.task = task
        self.n_jobs = resolve_n_jobs(n_jobs)
        self.backend = "serial" if self.n_jobs == 1 else backend
        self._pool: Any = None

    def __enter__(self) -> Mapper:
        if self.backend == "process":
            self._pool = ProcessPoolExecutor(self.n_jobs, mp_context=mp.get_context("spawn"),
                                             initializer=_init_worker, initargs=(self.task,))
        elif self.backend == "ray":
            try:
                import ray
                from ray.util.multiprocessing import Pool
            except ImportError as exc:
                raise ImportError("backend='ray' needs Ray: pip install 'nesykit[dist]'") from exc
            if not ray.is_initialized():
                ray.init(num_cpus=self.n_jobs, include_dashboard=False, log_to_driver=False)
            self._pool = Pool(processes=self.n_jobs, initializer=_init_worker, initargs=(self.task,))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            if self.backend == "process":
                self._pool.shutdown(wait=True, cancel_futures=True)
            else:
                self._pool.terminate()
            self._pool = None

    @property
    def map(self) -> Callable[[Callable, Iterable], list]:
        """The ``map`` to register in a DEAP toolbox."""
        if self.backend == "serial":
            task = self.task

            def serial_map(func: Callable, items: Iterable) -> list:
                if func is evaluate_chunk:  # no pool: call the task directly
                    batch = getattr(task, "evaluate_batch", None)
                    return [batch(c) if batch else [task(x) for x in c] for c in items]
                return list(map(func, items))
            return serial_map
        if self._pool is None:
            raise RuntimeError("Mapper.map used outside its 'with' block")
        pool = self._pool
        return lambda func, items: list(pool.map(func, items))

    def evaluate(self, codes: Sequence[tuple]) -> list[float]:
        """Score programs, split into one chunk per worker."""
        if not codes:
            return []
        k = self.n_jobs if self.backend != "serial" else 1
        size = -(-len(codes) // k)
        chunks = [list(codes[i:i + size]) for i in range(0, len(codes), size)]
        return [f for chunk in self.map(evaluate_chunk, chunks) for f in chunk]
