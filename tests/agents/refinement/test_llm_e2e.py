"""End to end with the real default model (SmolLM2-135M on llama.cpp): one tiny ACRE task."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.llm, pytest.mark.slow]


def test_refine_and_io_run_end_to_end_with_the_default_model(tmp_path):
    from evaluation.harness.runner import run_benchmark

    common = {"setup": "paper", "threads": 1, "n_tasks": 1}  # dict rules (SmolLM2's auto setup uses ASP)
    res = run_benchmark("refinement-acre", params=common | {"method": "refine", "T": 1, "N": 2, "max_tokens": 24,
                                                          "constrained": True, "gap": False},
                        model="default", limit=1, out=tmp_path / "refine", progress=False)
    m = res["metrics"]
    [rec] = [json.loads(line) for line in (tmp_path / "refine" / "samples.jsonl").read_text().splitlines()]
    # the metric is the share of unseen examples the predictions get right, recomputed here from the record
    expected = rec["inputs"]["test_outputs"]
    right = [p == e for p, e in zip(rec["outputs"]["predictions"], expected, strict=True)]
    assert m["n_tasks"] == 1 and m["raw_accuracy"] == sum(right) / len(right)
    assert m["task_accuracy"] == float(all(right)) and m["tasks_solved"] == int(all(right))
    assert m["completion_tokens"] > 0
    chats = [e for e in rec["transcript"] if e["type"] == "chat"]
    assert chats[0]["purpose"] == "propose" and len(chats[0]["replies"]) == 2
    # constrained decoding: every proposal is a usable dictionary rule over the task's objects
    select = next(e for e in rec["transcript"] if e["type"] == "select")
    assert all(c["error"] is None for c in select["candidates"])

    res = run_benchmark("refinement-acre", params=common | {"method": "io", "output_max_tokens": 4},
                        model="default", limit=1, out=tmp_path / "io", progress=False)
    [rec] = [json.loads(line) for line in (tmp_path / "io" / "samples.jsonl").read_text().splitlines()]
    right = [p == e for p, e in zip(rec["outputs"]["predictions"], rec["inputs"]["test_outputs"], strict=True)]
    assert res["metrics"]["requests"] == 4 and res["metrics"]["raw_accuracy"] == sum(right) / len(right)
