"""The possibilistic-kernels benchmark: its NumPy baselines agree with the kernels, and a tiny run works."""

from __future__ import annotations

import json

import numpy as np

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
    assert m["minmax_64x10x4_ratio"] > 0 and m["nabla_big_seconds"] > 0
    assert m["nabla_literal_rows"] == 300 and m["nabla_literal_over_fast"] > 0
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert {row["kernel"] for row in saved["kernels"]} == {"minmax", "lowest_solution", "nabla"}
