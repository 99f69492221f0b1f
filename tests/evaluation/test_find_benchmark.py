"""The ``find`` benchmark through the harness with scripted models (control flow and scoring, no real model)."""

from __future__ import annotations

import json
import re

import pytest

from agents.llm import FakeModel
from evaluation.harness.errors import ParamError
from evaluation.harness.runner import run_benchmark

_PAIR = re.compile(r"\((-?[\d.e+-]+), (-?[\d.e+-]+|nan|inf|-inf)\)")


def _interpolating_interpreter(req, i):
    """Answers at once with code that interpolates the exemplar pairs of the first message."""
    found = _PAIR.findall(req.messages[0]["content"])
    pairs = [(float(x), float(y)) for x, y in found if y not in ("nan", "inf", "-inf")]
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    return ("[DESCRIPTION]: piecewise linear through the points\n[DOMAIN]: all reals; odd between 10 and 20\n"
            f"[CODE]:\n```python\nimport numpy as np\nXS = {xs}\nYS = {ys}\n\n\ndef f(x):\n"
            "    return float(np.interp(x, XS, YS))\n```")


def _records(folder):
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def test_numeric_run_scores_every_function(tmp_path):
    res = run_benchmark("find", {"family": "numeric", "variant": "clean", "initialisation": True, "n_functions": 60},
                        model=FakeModel(_interpolating_interpreter), limit=12, out=tmp_path, progress=False)
    m = res["metrics"]
    assert m["n_functions"] == 12 and m["code_present"] == 1.0 and m["rounds"] == 1.0
    assert 0.0 < m["code_pass_rate"] <= 1.0 and "code_pass_rate_stderr" in m and "code_pass_rate_clean" in m
    recs = {r["id"]: r for r in _records(tmp_path)}
    assert recs["f00025"]["score"]["code_pass_rate"] == 1.0  # a line is interpolated exactly
    assert recs["f00025"]["inputs"]["family"] == "linear" and recs["f00025"]["transcript"]
    [row] = res["by_variant"][:1]
    assert row["subset"] == "clean" and row["n"] == 12


def test_numeric_failures_are_recorded_not_crashes(tmp_path):
    replies = ["RUN(1, 2)", "I am not sure.", "[DESCRIPTION]: something\n[DOMAIN]: below 0\n[CODE]: none"]
    res = run_benchmark("find", {"family": "numeric", "variant": "corrupted", "max_rounds": 3, "n_functions": 20},
                        model=FakeModel(lambda req, i: replies[min(len(req.messages) // 2, 2)]), limit=2,
                        out=tmp_path, progress=False)
    m = res["metrics"]
    assert m["code_pass_rate"] == 0.0 and m["code_present"] == 0.0 and m["runs"] == 1.0
    assert "interval_iou" in m and "interval_detected" in m
    rec = _records(tmp_path)[0]
    assert rec["outputs"]["code_score"]["reason"] == "no code"


def test_mlp_functions_are_served_by_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("NESY_CACHE_DIR", str(tmp_path / "cache"))
    res = run_benchmark("find", {"family": "numeric", "variant": "mlp", "initialisation": True, "single_round": True,
                                 "mlp_steps": 30, "n_functions": 20},
                        model=FakeModel(_interpolating_interpreter), limit=1, out=tmp_path / "run", progress=False)
    assert res["metrics"]["requests"] == 1.0 and "code_pass_rate_mlp" in res["metrics"]
    assert list((tmp_path / "cache" / "find" / "mlp").glob("*.npz"))


def test_strings_run_with_the_unit_test_evaluator(tmp_path):
    def fake(req, i):
        if "Which of these" in req.messages[-1]["content"]:
            return "2"
        return "[DESCRIPTION]: reverses the string\n[CODE]:\n```python\ndef f(s):\n    return s[::-1]\n```"

    res = run_benchmark("find", {"family": "strings", "n_functions": 50}, model=FakeModel(fake), limit=4,
                        out=tmp_path, progress=False)
    m = res["metrics"]
    assert 0.0 <= m["exact_match"] <= 1.0 and 0.0 <= m["unit_test_accuracy"] <= 1.0
    assert m["requests"] == 1.0 and m["tokens_evaluator"] > 0
    assert {r["subset"] for r in res["by_variant"]} <= {"simple", "composite", "all"}
    with pytest.raises(ParamError):
        run_benchmark("find", {"family": "strings", "variant": "noisy"}, model=FakeModel(fake), limit=1,
                      out=tmp_path / "bad", progress=False)
