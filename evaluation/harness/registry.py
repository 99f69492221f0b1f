"""Finds the benchmarks: every module in :mod:`evaluation.benchmarks` registers its own."""

from __future__ import annotations

import importlib
import pkgutil

from evaluation import benchmarks as _pkg
from evaluation.harness.benchmark import _REGISTRY, Benchmark
from evaluation.harness.errors import UnknownBenchmarkError

SUITES = {"smoke": "a small, fast case of every registered benchmark, then one report"}

#: Modules that failed to import, with the reason (shown by ``nesy bench list`` and ``nesy doctor``).
BROKEN: dict[str, str] = {}
_loaded = False


def load_all() -> dict[str, type[Benchmark]]:
    """Import every benchmark module once and return the registry (name -> class)."""
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(_pkg.__path__):
            if info.name.startswith("_"):
                continue
            try:
                importlib.import_module(f"{_pkg.__name__}.{info.name}")
            except Exception as exc:  # one broken optional module must not hide the others
                BROKEN[info.name] = f"{type(exc).__name__}: {exc}"
        _loaded = True
    return dict(sorted(_REGISTRY.items()))


def get(name: str) -> type[Benchmark]:
    """Look up a benchmark class by name.

    Raises:
        UnknownBenchmarkError: with the list of valid names.
    """
    registry = load_all()
    if name not in registry:
        valid = ", ".join(list(registry) + list(SUITES))
        raise UnknownBenchmarkError(f"unknown benchmark '{name}'; valid names: {valid}")
    return registry[name]
