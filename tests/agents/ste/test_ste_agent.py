"""STE agent control flow with scripted models: ReAct parsing, exploration with memory, exploitation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest

from agents.llm import ChatRequest, FakeModel
from agents.ste import (
    DemoRetriever,
    ExploreConfig,
    Explorer,
    SteAgent,
    ToolExample,
    example_of,
    execute,
    exploration_stats,
    judge_trials,
    paraphrase,
    parse_step,
    replay_plan,
    usable,
)
from agents.world import ToolError, ToolSpec, check_arguments


class Dates:
    """A two-tool world: add_date (strict schema) and a tool that always fails."""

    def __init__(self) -> None:
        props = {"date": {"type": "string"}, "days": {"type": "integer"}}
        self.specs = [ToolSpec("add_date", "Add days to a date (yyyy-mm-dd).",
                               {"type": "object", "properties": props, "required": ["date", "days"],
                                "additionalProperties": False}),
                      ToolSpec("broken", "Always fails.")]
        self.calls: list[tuple[str, dict]] = []

    def describe(self) -> list[ToolSpec]:
        return list(self.specs)

    def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        self.calls.append((name, dict(arguments)))
        spec = next((s for s in self.specs if s.name == name), None)
        if spec is None:
            raise ToolError(name, f"{name} is not a valid tool", kind="unknown_tool")
        check_arguments(spec, arguments)
        if name == "broken":
            raise ToolError(name, "server error 500")
        import datetime as dt

        return (dt.date.fromisoformat(arguments["date"]) + dt.timedelta(days=arguments["days"])).isoformat()


def test_parse_step() -> None:
    s = parse_step('Thought: add\nAction: add_date\nAction Input: ```json\n{"date": "2024-01-01", "days": 2}\n```\n'
                   "Observation: made up")
    assert (s.thought, s.action, s.arguments, s.is_call) == ("add", "add_date", {"date": "2024-01-01", "days": 2}, True)
    assert parse_step("Thought: done\nFinal Answer: 3 January").final_answer == "3 January"
    bad = parse_step("Action: add_date\nAction Input: {date: 2024}")
    assert bad.is_call and bad.arguments is None
    assert parse_step("just words").thought == "just words"


@pytest.mark.parametrize(("text", "ok", "words"), [
    ('Action: add_date\nAction Input: {"date": "2024-01-30", "days": 2}', True, "2024-02-01"),
    ("Action: add_date\nAction Input: not json", False, "not a JSON object"),
    ("Action: add_date\nAction Input:", False, "is empty"),
    ('Action: add_date\nAction Input: {"date": "2024-01-30", "days": "2"}', False, "not of type 'integer'"),
    ('Action: add_date\nAction Input: {"date": "2024-01-30", "days": 2, "x": 1}', False, "Additional properties"),
    ("Action: nope\nAction Input: {}", False, "not a valid tool"),
    ("Action: broken\nAction Input: {}", False, "server error 500"),
])
def test_bad_input_is_an_observation_never_a_crash(text: str, ok: bool, words: str) -> None:
    obs, success = execute(Dates(), parse_step(text))
    assert success is ok and words in obs
    assert set(json.loads(obs)) == {"error", "response"}


def explorer_script(req: ChatRequest, i: int) -> str:
    """A scripted explorer: imagine, err once on a type, fix it, answer, reflect Yes."""
    last = req.messages[-1]["content"]
    system = req.messages[0]["content"]
    api = "broken" if "API_name: broken" in system else "add_date"
    if req.constraint is not None:  # reflection
        return "Yes" if api == "add_date" else "No"
    if "User Query:\"" in last or 'after "User Query:"' in last:
        n = sum(m["role"] == "assistant" and m["content"].startswith("User Query:") for m in req.messages)
        return f"User Query: What is the date {n + 1} days after 2024-01-30?"
    # turns already taken in this trial: assistant messages after the last "User Query: ..." (the task)
    since = req.messages[[k for k, m in enumerate(req.messages) if m["content"].startswith("User Query:")][-1]:]
    done = sum(m["role"] == "assistant" for m in since)
    if api == "broken":
        return "Thought: try\nAction: broken\nAction Input: {}"
    if done == 0:
        return 'Thought: add\nAction: add_date\nAction Input: {"date": "2024-01-30", "days": "2"}'
    if done == 1:
        return 'Thought: days is an integer\nAction: add_date\nAction Input: {"date": "2024-01-30", "days": 2}'
    return "Thought: I know\nFinal Answer: 2024-02-01"


def test_exploration_with_memory_and_feedback() -> None:
    tools = Dates()
    model = FakeModel(explorer_script)
    cfg = ExploreConfig(episodes=2, queries_per_episode=2, max_turns=4)
    result = asyncio.run(Explorer(model, tools, config=cfg).explore(["add_date", "broken"]))
    trials = result["add_date"]
    assert len(trials) == 4 and [(t.episode, t.slot) for t in trials] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    first = trials[0]
    assert [c.ok for c in first.calls] == [False, True] and "integer" in first.calls[0].observation
    assert first.final_answer == "2024-02-01" and first.success and usable(first)
    assert example_of(first) == ToolExample(first.query, "add_date", {"date": "2024-01-30", "days": 2},
                                            "days is an integer")
    # the failing tool is explored too, and labelled a failure
    assert all(not t.success and t.final_answer is None and len(t.calls) == 4 for t in result["broken"])
    # long-term memory: the third imagination prompt lists the two earlier requests with their labels
    imagine = [r for r in model.requests if "User Query:" in r.messages[-1]["content"]
               and "imagine" in r.messages[-1]["content"].lower()]
    add_date_imagine = [r for r in imagine if "API_name: broken" not in r.messages[0]["content"]]
    third = add_date_imagine[2].messages[-1]["content"]
    assert trials[0].query in third and trials[1].query in third and "(Yes)" in third
    # short-term memory: the second trial of an episode continues the first one's conversation
    second = add_date_imagine[1]
    assert any(m["content"] == "Yes" for m in second.messages) and "another ability" in second.messages[-1]["content"]
    stats = exploration_stats(trials)
    assert stats["queries"] == 4 and stats["success_rate"] == 1.0 and stats["valid_call_rate"] == 0.5


def test_ablations_change_the_prompts() -> None:
    model = FakeModel(explorer_script)
    cfg = ExploreConfig(episodes=1, queries_per_episode=2, short_term_memory=False, long_term_memory=False,
                        reflection=False)
    trials = asyncio.run(Explorer(model, Dates(), config=cfg).explore_api("add_date"))
    assert all(t.success for t in trials)  # labelled without reflection: a final answer after a good call
    assert not any(r.constraint is not None for r in model.requests)
    assert not any("already explored" in r.messages[-1]["content"] for r in model.requests)


def test_exploration_is_concurrent_across_apis() -> None:
    """The first request of every API is pending before any reply arrives (the backend can batch them)."""
    model = FakeModel(explorer_script, delay=0.01)
    cfg = ExploreConfig(episodes=1, queries_per_episode=1, max_turns=1)
    asyncio.run(Explorer(model, Dates(), config=cfg).explore(["add_date", "broken"]))
    firsts = [r.messages[0]["content"] for r in model.requests[:2]]
    assert any("API_name: broken" in f for f in firsts) and any("API_name: add_date" in f for f in firsts)


def test_filtering_and_paraphrases() -> None:
    trials = asyncio.run(Explorer(FakeModel(explorer_script), Dates(),
                                  config=ExploreConfig(episodes=1, queries_per_episode=2)).explore_api("add_date"))
    judge = FakeModel(["Yes. All three hold.", "No. Not faithful."])
    assert asyncio.run(judge_trials(judge, trials)) == [True, False]
    ex = ToolExample("What is 5 days after 2024-03-01?", "add_date", {"date": "2024-03-01", "days": 5})
    para = FakeModel(["Which date comes 5 days after 2024-03-01?", "What is 5 days after 2024-03-01?",
                      "Five days later than March first?", "Tell me 2024-03-01 plus 5 days."])
    out = asyncio.run(paraphrase(para, [ex], per_example=4))
    # the repeat and the one that lost the date are dropped
    assert [e.query for e in out] == ["Which date comes 5 days after 2024-03-01?", "Tell me 2024-03-01 plus 5 days."]
    assert all(e.source == "paraphrase" and e.arguments == ex.arguments for e in out)


def test_retrieval_and_icl_prompt() -> None:
    pool = [ToolExample("What is 3 days after 2024-01-01?", "add_date", {"date": "2024-01-01", "days": 3}),
            ToolExample("Generate a strong password", "pw", {}),
            ToolExample("Which date is 10 days after 2023-05-05?", "add_date", {"date": "2023-05-05", "days": 10})]
    r = DemoRetriever(pool)
    near = r.nearest("What is 7 days after 2024-02-01?", k=2)
    assert [e.api for e in near] == ["add_date", "add_date"]
    assert r.nearest("Generate a strong password", k=1, apis=["pw"]) == []  # never the request itself
    model = FakeModel(['Action: add_date\nAction Input: {"date": "2024-02-01", "days": 7}\nObservation: x'])
    agent = SteAgent(model, {"add_date": "API_name: add_date\nDescription: Add days."})
    text, messages = asyncio.run(agent.first_call("What is 7 days after 2024-02-01?", ["add_date"], near))
    assert text.rstrip().endswith("}") and "Observation" not in text
    assert "Examples of correct API calls" in messages[1]["content"] and "API_name: add_date" in messages[0]["content"]
    assert model.requests[0].stop == ("Observation:",) and model.requests[0].temperature == 0.0


def test_replay_plan() -> None:
    batches = [list(range(0, 20)), list(range(100, 120)), list(range(200, 230))]
    with_replay = replay_plan(batches, 0.1, seed=1)
    assert [len(p) for p in with_replay] == [20, 22, 34]
    assert len([x for x in with_replay[2] if x < 100]) == 2 and len([x for x in with_replay[2] if 100 <= x < 200]) == 2
    assert [sorted(p) for p in replay_plan(batches, 0.0)] == [sorted(b) for b in batches]


# ------------------------------------------------------------------------------ first-call stop


def test_stop_after_call_keeps_the_input_whole() -> None:
    import asyncio

    from agents.llm import FakeModel
    from agents.ste import SteAgent
    from agents.ste.exploit import FIRST_CALL_STOP

    reply = 'Thought: t\nAction: add_date\nAction Input: {"date": "2024-01-01", "days": 3}\nThought: more\nAction: x'
    seen = []

    def model(req, i):
        seen.append(tuple(req.stop))
        return reply

    agent = SteAgent(FakeModel(model), {"add_date": "API_name: add_date"}, stop_after_call=True)
    text, _ = asyncio.run(agent.first_call("q", ["add_date"]))
    assert seen == [FIRST_CALL_STOP]
    assert text == 'Thought: t\nAction: add_date\nAction Input: {"date": "2024-01-01", "days": 3}'
    plain = SteAgent(FakeModel(model), {"add_date": "API_name: add_date"})
    assert asyncio.run(plain.first_call("q", ["add_date"]))[0] == reply  # only "Observation:" stops it


def test_restore_brace_only_after_a_cut_input() -> None:
    from agents.ste.exploit import _restore_brace

    assert _restore_brace('Action: a\nAction Input: {"x": {"y": 1}') == 'Action: a\nAction Input: {"x": {"y": 1}}'
    assert _restore_brace('Action: a\nAction Input: {"x": 1}') == 'Action: a\nAction Input: {"x": 1}'
    assert _restore_brace('Action: a\nAction Input: {"x": 1\n') == 'Action: a\nAction Input: {"x": 1\n'
    assert _restore_brace("def f():\n    return {1") == "def f():\n    return {1"  # no call: untouched
