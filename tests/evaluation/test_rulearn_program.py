"""RULEARN worlds list past observations for program hypotheses; the benchmark runs ``checker=program``."""

from __future__ import annotations

import asyncio
import json

from agents.idea.checker import check_hypothesis
from agents.llm import FakeModel
from evaluation.harness.runner import run_benchmark
from evaluation.worlds.rulearn import (
    EscapePuzzle,
    EscapeRoomWorld,
    FunctionOperatorWorld,
    FunctionPuzzle,
    Painting,
    ReactorPuzzle,
    ReactorWorld,
)


def _fn(body: str, signature: str) -> str:
    return f"Hypothesis: h\nPlan: p\n```python\n{signature}\n    {body}\n```"


def test_function_operator_lists_readings_since_the_last_draw():
    world = FunctionOperatorWorld(FunctionPuzzle("f", ("a*x+b",), (("a", 2), ("b", 3))), level=2)
    assert world.reset(0).info["program"]["observations"] == []
    world.step("assign_x_1", {"x": "2"})
    obs = world.step("assign_x_1", {"x": "pi"})
    spec = obs.info["program"]
    assert spec["compare"] == "close" and [o["args"][0] for o in spec["observations"]] == [1, 1]
    assert spec["observations"][0] == {"args": [1, 2], "output": 7.0, "text": "f1(2) = 7"}
    right = asyncio.run(check_hypothesis(_fn("return 2 * x + 3", "def fn(i, x):"), spec))
    wrong = asyncio.run(check_hypothesis(_fn("return 3 * x + 2", "def fn(i, x):"), spec))
    assert right.consistent and not wrong.consistent and "f1(2) = 7" in wrong.failures[0]
    for _ in range(4):  # the 4th wrong code re-draws the parameters: older readings no longer hold
        obs = world.step("enter_code", {"code": "99"})
    assert "drawn anew" in obs.text and obs.info["program"]["observations"] == []


def test_reactor_lists_examples_and_two_material_reactions_only():
    world = ReactorWorld(ReactorPuzzle("r", 2, "ABC", (("AB", "C"),)), level=2)
    assert [o["args"] for o in world.reset(0).info["program"]["observations"]] == [["AB", "C"]]
    world.step("react", {"materials": ["A", "B"]})
    obs = world.step("react", {"materials": ["BA"]})  # alone: random, not evidence about the rule
    spec = obs.info["program"]
    assert [o["output"] for o in spec["observations"]] == [["CAB"], ["BA"]]
    assert asyncio.run(check_hypothesis(_fn("return [second + first]", "def fn(first, second):"), spec)).consistent


def test_escape_room_feedback_becomes_patterns_over_seen_paintings():
    paintings = (Painting("a sea", "blue", "oil"), Painting("a cat", "blue", "acrylic"),
                 Painting("a dog", "green", "oil"))
    world = EscapeRoomWorld(EscapePuzzle("e", paintings, "corridor"), level=2)
    world.reset(0)
    obs = world.step("enter_code", {"code": "100"})  # right: 110
    [record] = obs.info["program"]["observations"]
    assert record["args"][1] == 0 and len(record["args"][0]) == 3 and "digit 2 incorrect" in record["text"]
    counting = ("return ''.join(str(sum(c == 'blue' and m == k for c, m in paintings)) "
                "for k in ('oil', 'acrylic', 'watercolour'))")
    spec = obs.info["program"]
    assert asyncio.run(check_hypothesis(_fn(counting, "def fn(paintings, entry):"), spec)).consistent
    assert not asyncio.run(check_hypothesis(_fn("return '100'", "def fn(paintings, entry):"), spec)).consistent


def _program_model(req, _i) -> str:
    """A wrong program every time (so checks reject it), the first action, and readable inputs."""
    text = req.messages[-1]["content"]
    if "Answer in the form" in text:
        return "Hypothesis: nothing matters.\nPlan: try.\n```python\ndef fn(*args):\n    return None\n```"
    if "You chose:" in text:
        return "(A, B)" if "materials" in text else "['100']" if "code" in text else "['2']"
    return "[1]"


def test_benchmark_runs_with_the_program_checker(tmp_path):
    res = run_benchmark("rulearn", {"world": "all", "condition": "idea", "checker": "program", "budget": 3,
                                    "revisions": 1}, model=FakeModel(_program_model), limit=3, out=tmp_path,
                        progress=False)
    m = res["metrics"]
    assert m["n_puzzles"] == 3 and m["program_checks"] > 0 and m["program_rejections"] > 0
    records = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    reactor = next(r for r in records if r["outputs"]["world"] == "reactor")
    kinds = [t["type"] for t in reactor["transcript"]]
    assert "revision" in kinds and "program_check" in kinds  # Level 2's example reactions refute it at once
    revision = next(t for t in reactor["transcript"] if t["type"] == "revision")
    assert "turned into" in revision["messages"][-1]["content"]
    for r in records:  # revisions=1: at most one revision per hypothesis
        mine = [t["type"] for t in r["transcript"]]
        assert r["outputs"]["program_checks"] == mine.count("program_check")
        assert mine.count("revision") <= mine.count("abduction") + mine.count("induction")


def test_benchmark_without_the_checker_reports_no_checks(tmp_path):
    res = run_benchmark("rulearn", {"world": "reactor", "condition": "idea", "budget": 2},
                        model=FakeModel(_program_model), limit=1, out=tmp_path, progress=False)
    assert res["metrics"]["program_checks"] == 0.0
