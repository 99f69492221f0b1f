"""Each benchmark without a test of its own runs its smoke case end to end through the harness."""

import json

import pytest

from evaluation.harness import registry
from evaluation.harness.runner import run_benchmark


def run_smoke(name, out):
    """The benchmark's class and the result of its smoke case, run into ``out``."""
    cls = registry.get(name)
    return cls, run_benchmark(name, dict(cls.smoke_params), limit=cls.smoke_limit, out=out, progress=False)


@pytest.mark.slow
def test_activation_discovery_smoke_case(tmp_path):
    _, res = run_smoke("activation-discovery", tmp_path)
    m = res["metrics"]
    for key in ("gp_speedup_vs_gplearn", "gp_fitness_ours", "gp_fitness_gplearn"):
        assert key in m and m[key] > 0
    assert list((tmp_path / "artifacts").glob("*.png"))
    lines = (tmp_path / "samples.jsonl").read_text().splitlines()
    assert len(lines) == res["timing"]["n_samples"] and json.loads(lines[0])["score"]


@pytest.mark.slow
def test_possibilistic_kernels_smoke_case(tmp_path):
    _, res = run_smoke("possibilistic-kernels", tmp_path)
    m = res["metrics"]
    assert m["all_agree"] == 1.0  # every batched kernel equals the NumPy loop on the same systems
    assert m["nabla_big_seconds"] > 0 and m["nabla_literal_over_fast"] > 1


@pytest.mark.slow
def test_shift_abduction_smoke_case(tmp_path):
    cls, res = run_smoke("shift-abduction", tmp_path)
    m = res["metrics"]
    assert "f1_gain_vs_best_single" in m and "accuracy_gain_vs_best_single" in m
    rows = res["per_test_set"]
    assert len(rows) == cls.smoke_params["n_test_sets"]
    assert list((tmp_path / "artifacts").glob("*.png"))
