"""``find-gp`` (the GP baseline, no model) and ``find -p fit_tool=true`` through the harness."""

from __future__ import annotations

import json
import re

import pytest

from agents.llm import FakeModel
from evaluation.harness.errors import ParamError
from evaluation.harness.runner import run_benchmark

_CODE = re.compile(r"```python\n(.*?)```", re.S)
SMALL = {"gp_population": 100, "gp_generations": 6}


def _records(folder):
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def test_gp_baseline_scores_each_function_with_the_nmse_rule(tmp_path):
    res = run_benchmark("find-gp", {"variant": "clean", "n_functions": 60, **SMALL}, limit=6, out=tmp_path,
                        progress=False)
    m, recs = res["metrics"], _records(tmp_path)
    assert res["model"] is None and m["n_functions"] == 6 and m["runs"] == 20.0
    assert m["inputs"] == 17 + 19 * 10  # the design: exemplars, then 19 rounds of 10 integers
    passes = [r["score"]["code_pass_rate"] for r in recs]
    assert m["code_pass_rate"] == pytest.approx(sum(passes) / 6) and m["code_pass_rate_clean"] == m["code_pass_rate"]
    for r in recs:
        o = r["outputs"]
        assert r["score"]["code_pass_rate"] == float(o["code_score"]["pass"])
        assert o["code_score"]["pass"] == int(o["code_score"]["nmse"] is not None and o["code_score"]["nmse"] < 0.1)
        assert o["code"].startswith("import math") and o["gp_s"] > 0
    assert [row["subset"] for row in res["by_variant"]] == ["clean", "all"] and res["timing"]["samples_per_s"] > 0


def test_gp_baseline_fits_a_line_exactly(tmp_path):
    res = run_benchmark("find-gp", {"variant": "clean", "n_functions": 30, "max_rounds": 4, **SMALL},
                        limit=30, out=tmp_path, progress=False)
    recs = {r["id"]: r for r in _records(tmp_path)}
    line = recs["f00025"]  # a linear function (see test_find_benchmark)
    assert line["inputs"]["family"] == "linear" and line["score"]["code_pass_rate"] == 1.0
    assert line["outputs"]["train_nmse"] < 1e-6 and res["metrics"]["runs"] == 4.0


def test_gp_baseline_refuses_model_options_and_strings(tmp_path):
    with pytest.raises(ParamError):
        run_benchmark("find-gp", {"family": "strings"}, limit=1, out=tmp_path / "a", progress=False)
    with pytest.raises(ParamError):
        run_benchmark("find-gp", {}, model_options={"n_threads": 1}, limit=1, out=tmp_path / "b", progress=False)


def test_interpreter_with_the_fit_tool_through_the_harness(tmp_path):
    def fake(req, i):
        turn = len(req.messages) // 2
        if turn == 0:
            return "FIT()"  # the exemplars are already seen with initialisation
        code = _CODE.search(req.messages[-1]["content"]).group(1)
        return f"[DESCRIPTION]: as fitted\n[DOMAIN]: all reals\n[CODE]:\n```python\n{code}```"

    res = run_benchmark("find", {"variant": "clean", "initialisation": True, "fit_tool": True, "n_functions": 30,
                                 **SMALL}, model=FakeModel(fake), limit=2, out=tmp_path, progress=False)
    m = res["metrics"]
    assert m["fits"] == 1.0 and m["rounds"] == 2.0 and m["code_present"] == 1.0
    rec = _records(tmp_path)[0]
    assert [e["type"] for e in rec["transcript"]] == ["run", "chat", "fit", "chat"]
    with pytest.raises(ParamError, match="numeric"):
        run_benchmark("find", {"family": "strings", "fit_tool": True}, model=FakeModel(fake), limit=1,
                      out=tmp_path / "bad", progress=False)
