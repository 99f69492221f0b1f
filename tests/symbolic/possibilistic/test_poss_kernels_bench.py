"""The possibilistic-kernels benchmark: its NumPy baselines agree with the kernels, and a tiny run works."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evaluation.benchmarks.possibilistic_kernels import np_lowest_solution, np_minmax, np_nabla_rows
from evaluation.harness.runner import run_benchmark
from symbolic.possibilistic import chebyshev_rows, lowest_solution, minmax_product


def test_numpy_baselines_match_kernels() -> None:
    rng = np.random.default_rng(0)
    A, y, x = rng.random((5, 300, 6)), rng.random((5, 300)), rng.random((5, 6))
    np.testing.assert_array_equal(np_minmax(A, x), minmax_product(A, x))
    np.testing.assert_array_equal(np_lowest_solution(A, y), lowest_solution(A, y))
    np.testing.assert_array_equal(np_nabla_rows(A, y), chebyshev_rows(A, y, method="literal"))


def test_tiny_run(tmp_path) -> None:
    res = run_benchmark("possibilistic-kernels", {"sizes": "64x10x4", "repeats": 1, "big_rows": 3000,
                                                  "big_cols": 6, "literal_rows": 300, "threads": 0},
                        out=tmp_path / "run", progress=False)
    m = res["metrics"]
    assert m["all_agree"] == 1.0
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert {row["kernel"] for row in saved["kernels"]} == {"minmax", "lowest_solution", "nabla"}
    # every ratio is the two measured times divided, recomputed here from the table and the samples
    minmax = next(row for row in saved["kernels"] if row["kernel"] == "minmax")
    assert m["minmax_64x10x4_ratio"] == pytest.approx(minmax["numpy_loop_ms"] / minmax["torch_ms"])
    assert minmax["systems_per_s"] == pytest.approx(64 / (minmax["torch_ms"] / 1e3))
    assert minmax["max_abs_diff"] == 0.0
    assert m["nabla_literal_rows"] == 300 and m["nabla_big_rows"] == 3000
    literal, fast = m["nabla_literal_seconds"], m["nabla_fast_same_system_seconds"]
    assert m["nabla_literal_over_fast"] == pytest.approx(literal / fast)
    assert m["nabla_literal_extrapolated_big_seconds"] == pytest.approx(literal * (3000 / 300) ** 2)
