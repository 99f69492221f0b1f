"""Named setups (``-p setup=NAME``): per-model defaults filled before the parameters are resolved."""

from __future__ import annotations

import json

import pytest

from agents.llm import FakeModel
from evaluation.benchmarks import refinement  # noqa: F401  (registers the refinement benchmarks)
from evaluation.harness.benchmark import _REGISTRY, Benchmark
from evaluation.harness.errors import ParamError
from evaluation.harness.runner import run_benchmark

ACRE = _REGISTRY["refinement-acre"]
LIST_FUNCTIONS = _REGISTRY["refinement-list-functions"]


def test_auto_picks_the_setup_measured_best_for_the_model():
    small = ACRE.apply_setup({}, "default")
    assert (small["setup"], small["rule_form"], small["constrained"]) == ("small-model", "asp", True)
    qwen = ACRE.apply_setup({}, "qwen2.5-coder-1.5b")
    assert (qwen["setup"], qwen["rule_form"], qwen["constrained"]) == ("paper", "auto", False)
    assert qwen["dict_default"] == "undetermined" and (qwen["T"], qwen["N"]) == (3, 5)
    # A domain where no model was measured better off elsewhere: the paper's for every model.
    assert LIST_FUNCTIONS.apply_setup({}, "default")["setup"] == "paper"


def test_explicit_values_win_over_the_setup():
    p = ACRE.apply_setup({"setup": "auto", "constrained": False, "T": 1}, "default")
    assert (p["setup"], p["rule_form"], p["constrained"], p["T"]) == ("small-model", "asp", False, 1)
    assert ACRE.apply_setup({"setup": "paper"}, "default")["rule_form"] == "auto"


def test_an_unknown_setup_is_refused_with_the_valid_names():
    with pytest.raises(ParamError, match="no setup 'fast'.*auto, paper, small-model"):
        ACRE.apply_setup({"setup": "fast"}, "default")


def test_a_benchmark_without_setups_is_left_alone():
    class Plain(Benchmark):
        name = "plain"

    assert Plain.apply_setup({"x": 1}, "default") == {"x": 1}


def test_the_run_header_records_the_resolved_setup(tmp_path):
    model = FakeModel(lambda req, i: "on", spec="llamacpp/default")
    res = run_benchmark("refinement-acre", params={"method": "io", "n_tasks": 1}, model=model,
                        out=tmp_path / "run", limit=1)
    header = json.loads((tmp_path / "run" / "header.json").read_text())
    assert header["params"]["setup"] == "small-model" and header["params"]["rule_form"] == "asp"
    assert res["params"]["constrained"] is True
    # Resuming with the same arguments finds the same run (the resolved setup is part of its identity).
    again = run_benchmark("refinement-acre", params={"method": "io", "n_tasks": 1}, model=model,
                          out=tmp_path / "run", limit=1)
    assert again["metrics"] == res["metrics"]
