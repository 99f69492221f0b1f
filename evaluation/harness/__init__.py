"""The benchmark harness: the benchmark contract, the runner (which owns the model), executors, run
folders, parameters, the registry, reports, provenance, caches, errors and ``nesy doctor``."""
