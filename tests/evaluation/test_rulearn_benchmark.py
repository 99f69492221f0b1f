"""The ``rulearn`` benchmark with a scripted model: samples, conditions, scores, aggregate, bad replies."""

from __future__ import annotations

import json

import pytest

from agents.llm import FakeModel
from evaluation.benchmarks.rulearn import Rulearn, repeated_actions
from evaluation.harness.errors import ParamError
from evaluation.harness.params import resolve_params
from evaluation.harness.runner import run_benchmark
from evaluation.worlds.rulearn import load_puzzles


def _escape_solver(req, _i) -> str:
    """Enters the right blue code of a corridor puzzle at once (reads the paintings from the prompt)."""
    text = req.messages[-1]["content"]
    if "Answer in the form" in text:
        return "Hypothesis: the code counts blue paintings by medium.\nPlan: enter it."
    if "You chose:" in text:
        counts = [text.count(f"in blue {m} paint") for m in ("oil", "acrylic", "watercolour")]
        return "['" + "".join(map(str, counts)) + "']"
    return "[1]"


def test_params_are_validated():
    with pytest.raises(ParamError, match="condition"):
        resolve_params("rulearn", Rulearn.params, {"condition": "react"})
    with pytest.raises(ParamError, match="world"):
        resolve_params("rulearn", Rulearn.params, {"world": "maze"})


@pytest.mark.parametrize("condition", ["oracle", "baseline", "idea"])
def test_conditions_solve_a_corridor_puzzle(tmp_path, condition):
    res = run_benchmark("rulearn", {"world": "escape_room", "condition": condition}, model=FakeModel(_escape_solver),
                        limit=2, out=tmp_path, progress=False)
    m = res["metrics"]
    assert m["success_rate"] == 1.0 and m["success_rate_escape_room"] == 1.0 and m["steps"] == 0
    assert m["format_failures"] == 0 and m["n_puzzles"] == 2 and m["puzzles_per_minute"] > 0
    assert m["hypothesis_calls"] == (1.0 if condition == "idea" else 0.0)
    rec = json.loads((tmp_path / "samples.jsonl").read_text().splitlines()[0])
    assert rec["outputs"]["level"] == (1 if condition == "oracle" else 2)
    assert rec["transcript"] and res["per_world"][0]["world"] == "escape_room"


def test_nonsense_replies_fail_puzzles_without_crashing(tmp_path):
    res = run_benchmark("rulearn", {"world": "all", "condition": "idea", "budget": 4},
                        model=FakeModel(lambda req, i: "no idea"), limit=3, out=tmp_path, progress=False)
    m = res["metrics"]
    assert m["success_rate"] == 0.0 and m["n_puzzles"] == 3
    # Interleaved samples: one puzzle of each world; every step but lone unasked actions is a failure.
    assert {r["world"] for r in res["per_world"]} == {"function_operator", "escape_room", "reactor"}
    assert m["steps"] == 4.0 and m["format_failures"] > 3


def test_samples_cover_a_round_or_all_rounds(tmp_path):
    from evaluation.harness.benchmark import RunContext

    bench = Rulearn()
    params = resolve_params("rulearn", Rulearn.params, {"round": 0, "world": "reactor"})
    ctx = RunContext(benchmark="rulearn", params=params, seed=0, run_dir=tmp_path)
    assert len(list(bench.samples(ctx))) == 100
    params = resolve_params("rulearn", Rulearn.params, {})
    ids = [s.id for s in bench.samples(RunContext(benchmark="rulearn", params=params, seed=0, run_dir=tmp_path))]
    assert len(ids) == 60 and ids[:3] == ["function_operator-r1-p01", "escape_room-r1-p01", "reactor-r1-p01"]
    assert {p.id for p in load_puzzles("reactor", 1)} <= set(ids)


def test_repeated_actions_counts_exact_repeats():
    acts = [["react", {"materials": ["A", "B"]}], ["react", {"materials": ["A", "B"]}],
            ["react", {"materials": ["B", "A"]}], ["react", {"materials": ["A", "B"]}]]
    assert repeated_actions(acts) == 2 and repeated_actions([]) == 0
