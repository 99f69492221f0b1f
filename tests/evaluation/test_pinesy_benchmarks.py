"""The Π-NeSy benchmarks run their smoke cases end to end through the harness."""

from __future__ import annotations

import pytest

from evaluation.harness.registry import get as get_benchmark
from evaluation.harness.runner import run_benchmark


def _smoke(name: str, out):
    cls = get_benchmark(name)
    return run_benchmark(name, dict(cls.smoke_params), limit=cls.smoke_limit, out=out, progress=False)


@pytest.mark.slow
def test_mnist_add_smoke_case(tmp_path) -> None:
    res = _smoke("mnist-add", tmp_path / "add")
    m = res["metrics"]
    assert 0 <= m["accuracy"] <= 1 and m["test_examples"] == 500
    assert 0.5 < m["digit_accuracy"] <= 1 and m["reference_accuracy"] == m["digit_accuracy"] ** 4
    # a faithful engine predicts the sum of the CNN's arg-max digits
    assert m["agreement_with_all_digits_right"] >= 0.99
    assert set(res["extra"]["thresholds"]) == {"pair_tuples", "carry", "output_digits"}
    assert {row["rule_set"] for row in res["kept_samples"]} >= {"c_1", "c_2", "w_1", "y_0"}


@pytest.mark.slow
def test_visual_sudoku_smoke_case(tmp_path) -> None:
    m = _smoke("visual-sudoku", tmp_path / "sudoku")["metrics"]
    assert 0 <= m["accuracy"] <= 1 and 0 <= m["roc_auc"] <= 1
