"""IDEA and baseline control flow with a scripted model on hand-made Reactor puzzles."""

from __future__ import annotations

import asyncio

import pytest

from agents.idea import MODIFY, IdeaAgent, IdeaConfig, parse_index, parse_pair, parse_string
from agents.llm import FakeModel
from agents.llm.constraints import Choice, Regex
from evaluation.worlds.rulearn import ReactorPuzzle, ReactorWorld


def _world(target: str = "AB", rule: int = 1) -> ReactorWorld:
    return ReactorWorld(ReactorPuzzle("t", rule, target, (("AB", "C"),)), level=2)


def _user(req) -> str:
    return req.messages[-1]["content"]


def _scripted(choose, pair="(A, B)", hypothesis="Hypothesis: materials join in order.\nPlan: react A and B."):
    """Replies by the kind of request: a hypothesis, an input, or an action choice."""
    def reply(req, _i):
        text = _user(req)
        if "Answer in the form" in text:
            return hypothesis
        if "You chose:" in text:
            return pair
        return choose(text)
    return reply


def _run(model, world, **cfg):
    return asyncio.run(IdeaAgent(model, IdeaConfig(**cfg)).run(world, seed=0))


def test_parsers():
    assert parse_index("I will react. [1]", 3) == 1
    assert parse_index("first [2] then [3]", 3) == 3
    assert parse_index("2", 3) == 2
    assert parse_index("[4]", 3) is None and parse_index("react!", 3) is None
    assert parse_string("x is ['3*pi'] ok") == "3*pi" and parse_string("3") is None
    assert parse_pair("(AB, C)") == ["AB", "C"] and parse_pair("(AB)") == ["AB"] and parse_pair("A B") is None


def test_baseline_solves_and_counts_steps_like_the_reference():
    model = FakeModel(_scripted(lambda text: "[2]" if "Submit" in text else "[1]"))
    res = _run(model, _world(), method="baseline")
    assert res.done and res.last_observation.info["solved"] and res.stopped == "done"
    assert res.actions == [("react", {"materials": ["A", "B"]}), ("submit", {})]
    assert res.steps == 1 and res.format_failures == 0 and res.hypothesis_calls == 0
    assert res.requests == 2  # a lone action is taken unasked: input, then choose (submit); no abduction
    assert "Answer in the form" not in " ".join(_user(r) for r in model.requests)


def test_reply_naming_no_action_costs_a_step_and_never_crashes():
    model = FakeModel(_scripted(lambda text: "I am not sure what to do."))
    res = _run(model, _world(), method="baseline")
    assert not res.done and res.stopped == "budget"
    # The first menu holds one action, taken unasked (its input "(A, B)" is fine); then only failures.
    assert res.steps == 15 and res.format_failures == 14 and len(res.actions) == 1
    assert "the step is lost" in _user(model.requests[-1])


def test_unreadable_input_and_refused_action_are_format_failures():
    pairs = iter(["A and B", "(Z, A)", "(A, B)"])
    model = FakeModel(lambda req, _i: next(pairs) if "You chose:" in _user(req)
                      else ("[2]" if "Submit" in _user(req) else "[1]"))
    res = _run(model, _world(), method="baseline")
    assert res.format_failures == 2 and res.steps == 3 and res.last_observation.info["solved"]
    assert any("was refused: not in storage: Z" in e.get("why", "") for e in res.transcript)


def test_idea_abduces_first_and_conditions_choices_on_the_plan():
    model = FakeModel(_scripted(lambda text: "[2]" if "Submit" in text else "[1]"))
    res = _run(model, _world(), method="idea")
    assert res.last_observation.info["solved"] and res.hypothesis_calls == 1
    assert "Answer in the form" in _user(model.requests[0])
    choose = _user(model.requests[1])
    assert "Your hypothesis and plan:\nHypothesis: materials join in order." in choose
    assert f"2. {MODIFY}" in choose  # the extra menu entry, last


def test_induction_is_not_offered_twice_in_a_row_and_costs_no_step():
    def choose(text):
        menu = text.split("Actions you can take now:")[1]
        if MODIFY in menu:
            return f"[{menu.count(chr(10)) - 2}]"  # the last entry: modify
        return "[1]"
    model = FakeModel(_scripted(choose, hypothesis="Hypothesis: revised.\nPlan: go on."))
    res = _run(model, _world(target="ABA"), method="idea")
    kinds = [e["type"] for e in res.transcript if e["type"] != "format_failure"]
    # After an induction the menu has no modify entry, so its lone action is taken (only its input asked).
    assert kinds[:4] == ["abduction", "choose", "induction", "input"]
    assert all(kinds[i:i + 3] != ["induction", "choose", "induction"] for i in range(len(kinds)))
    assert res.steps == 15 and res.hypothesis_calls > 2


def test_hypothesis_call_limit_ends_the_episode():
    model = FakeModel(_scripted(lambda text: "[2]"))  # always "modify" (menu: react, modify)
    res = _run(model, _world(), method="idea", repeat_induction=True, max_hypothesis_calls=4)
    assert res.stopped == "hypothesis_limit" and res.steps == 0 and res.hypothesis_calls == 5


def test_structured_decoding_constrains_choice_and_input():
    model = FakeModel(_scripted(lambda text: "2" if "Submit" in text else "1"))
    res = _run(model, _world(), method="baseline", structured=True)
    assert res.last_observation.info["solved"]
    c0, c1 = model.requests[0].constraint, model.requests[1].constraint
    # A lone action is taken unasked, so the first request is its input: materials from storage only.
    assert isinstance(c0, Regex) and c0.validate("(A, B)")[0] and not c0.validate("(A, Z)")[0]
    assert isinstance(c1, Choice) and list(c1.choices) == ["1", "2"]  # react, submit


def test_structured_reply_that_breaks_the_constraint_is_a_format_failure():
    model = FakeModel(_scripted(lambda text: "seven"))
    res = _run(model, _world(), method="baseline", structured=True, budget=3)
    # The lone first action is taken unasked; both choices after it break the constraint.
    assert res.format_failures == 2 and res.steps == 3 and res.stopped == "budget" and len(res.actions) == 1


@pytest.mark.parametrize("method", ["baseline", "idea"])
def test_episodes_run_concurrently_on_one_model(method):
    model = FakeModel(_scripted(lambda text: "[2]" if "Submit" in text else "[1]"), delay=0.01)
    agent = IdeaAgent(model, IdeaConfig(method=method))

    async def both():
        return await asyncio.gather(agent.run(_world(), 0), agent.run(_world("BA", 2), 1))
    results = asyncio.run(both())
    assert all(r.last_observation.info["solved"] for r in results)
