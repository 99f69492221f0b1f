"""The program checker: hypotheses as Python functions run on the world's past observations."""

from __future__ import annotations

import asyncio

import pytest

from agents.idea import IdeaAgent, IdeaConfig
from agents.idea.checker import check_hypothesis, equal
from agents.llm import FakeModel
from evaluation.worlds.rulearn import ReactorPuzzle, ReactorWorld

WRONG = "Hypothesis: reverse order.\nPlan: react.\n```python\ndef fn(first, second):\n    return [second + first]\n```"
RIGHT = "Hypothesis: in order.\nPlan: react.\n```python\ndef fn(first, second):\n    return [first + second]\n```"


def _world() -> ReactorWorld:
    # Rule 1 (join in order); Level 2 shows "AB and C turned into ABC" before any step.
    return ReactorWorld(ReactorPuzzle("t", 1, "AB", (("AB", "C"),)), level=2)


def _user(req) -> str:
    return req.messages[-1]["content"]


def _model(hypotheses: list[str]) -> FakeModel:
    """Hypothesis replies in turn (the last one repeats); submit once possible, else react A, B."""
    given = iter(hypotheses)

    def reply(req, _i):
        text = _user(req)
        if "Answer in the form" in text:
            return next(given, hypotheses[-1])
        if "You chose:" in text:
            return "(A, B)"
        return "[2]" if "Submit" in text else "[1]"
    return FakeModel(reply)


def _run(model, **cfg):
    return asyncio.run(IdeaAgent(model, IdeaConfig(checker="program", **cfg)).run(_world(), seed=0))


def test_equal_comparisons():
    assert equal("close", 3.0000000001, 3.0) and not equal("close", "3", 3.0) and not equal("close", True, 1.0)
    assert equal("regex", "132", "1(?!0)[0-9]2") and not equal("regex", "102", "1(?!0)[0-9]2")
    assert not equal("regex", "1x2", "1(?!0)[0-9]2")
    assert equal("equal", ("AB",), ["AB"]) and not equal("equal", "AB", ["AB"])


def test_check_hypothesis_reports_contradicted_observations():
    spec = _world().reset(0).info["program"]
    assert spec["signature"] == "def fn(first, second):" and len(spec["observations"]) == 1
    bad = asyncio.run(check_hypothesis(WRONG, spec))
    assert not bad.consistent and bad.checked == 1
    assert "fn('AB', 'C') returned ['CAB']" in bad.failures[0] and "AB and C turned into ABC" in bad.failures[0]
    assert asyncio.run(check_hypothesis(RIGHT, spec)).consistent
    crash = asyncio.run(check_hypothesis("```python\ndef fn(a, b):\n    return 1 / 0\n```", spec))
    assert not crash.consistent and "failed" in crash.failures[0]
    words = asyncio.run(check_hypothesis("Hypothesis: they join.", spec))
    assert words.source is None and "no program could be read" in words.failures[0]


def test_contradicting_hypothesis_is_sent_back_with_the_failing_observation():
    model = _model([WRONG, RIGHT])
    res = _run(model)
    assert res.done and res.last_observation.info["solved"]
    revisions = [_user(r) for r in model.requests if "contradicts them" in _user(r)]
    assert len(revisions) == 1 and "AB and C turned into ABC" in revisions[0] and "second + first" in revisions[0]
    assert res.program_checks == 2 and res.program_rejections == 1
    assert res.hypothesis_calls == 2  # the revision counts toward the paper's call limit
    assert res.hypotheses == [RIGHT]  # the consistent revision is kept, the contradicted one is not held
    abduction = next(_user(r) for r in model.requests if "Answer in the form" in _user(r))
    assert "def fn(first, second):" in abduction and "```python" in abduction


def test_consistent_hypothesis_is_kept_without_revision():
    model = _model([RIGHT])
    res = _run(model)
    assert res.program_checks == 1 and res.program_rejections == 0 and res.hypotheses == [RIGHT]
    assert not any("contradicts them" in _user(r) for r in model.requests)


@pytest.mark.parametrize("revisions", [0, 1, 3])
def test_revisions_are_bounded(revisions):
    model = _model([WRONG])
    res = _run(model, max_revisions=revisions, budget=1)
    asked = sum("contradicts them" in _user(r) for r in model.requests)
    assert asked == revisions and res.program_checks == revisions + 1 == res.program_rejections
    assert res.hypotheses == [WRONG]  # the last reply is kept whatever its verdict


def test_revisions_stop_at_the_hypothesis_call_limit():
    model = _model([WRONG])
    res = _run(model, max_revisions=5, max_hypothesis_calls=2, budget=1)
    assert sum("contradicts them" in _user(r) for r in model.requests) == 1 and res.hypothesis_calls == 2


def test_checker_none_asks_for_no_program():
    model = _model([RIGHT])
    res = asyncio.run(IdeaAgent(model, IdeaConfig()).run(_world(), seed=0))
    assert res.program_checks == 0 and not any("Python program" in _user(r) for r in model.requests)
    with pytest.raises(ValueError, match="checker"):
        IdeaConfig(checker="z3")
