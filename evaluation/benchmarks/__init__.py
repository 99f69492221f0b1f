"""Benchmark modules; each registers itself with evaluation.harness.benchmark.register."""
