"""Benchmark modules; each registers itself with evaluation.benchmark.register."""
