"""Control flow of the refinement agent, driven by a scripted FakeModel and a toy arithmetic domain."""

from __future__ import annotations

import asyncio
import re

import pytest

from agents.llm import ContextLengthError, FakeModel
from agents.refinement import RefinementAgent, RefinementConfig
from agents.world import Domain, Example, Interpreter, Outcome, OutputParseError, RuleForm, RuleParseError

SEEN = (Example(1, 3), Example(2, 5), Example(3, 7))
UNSEEN = (4, 10)


def parse_affine(text: str) -> tuple[int, int]:
    """Rules of the toy domain: ``y = a*x + b``."""
    m = re.search(r"y\s*=\s*(-?\d+)\s*\*\s*x\s*\+\s*(-?\d+)", text)
    if not m:
        raise RuleParseError("expected 'y = a*x + b'")
    return int(m.group(1)), int(m.group(2))


class AffineInterpreter(Interpreter):
    def __init__(self) -> None:
        self.calls = 0

    def apply(self, rule, inputs):
        self.calls += 1
        a, b = rule
        return [Outcome(a * x + b) if x != 99 else Outcome(error="boom") for x in inputs]


def parse_int(text: str) -> int:
    m = re.search(r"-?\d+", text)
    if not m:
        raise OutputParseError(f"no integer in {text!r}")
    return int(m.group(0))


class FakePython(Interpreter):
    """Stands in for the sandbox: runs trusted test code in-process."""

    def apply(self, rule, inputs):
        ns: dict = {}
        exec(rule, ns)  # test-only: the code comes from this file's scripted replies
        return [Outcome(ns["fn"](x)) for x in inputs]


def make_domain() -> Domain:
    from agents.world import parse_python_rule

    affine = RuleForm("affine", "Write 'y = a*x + b'.", parse_affine, AffineInterpreter(), max_tokens=20,
                      render=lambda r: f"y = {r[0]}*x + {r[1]}", constraint="y = -?[0-9]+\\*x \\+ -?[0-9]+")
    py = RuleForm("python", "Write def fn(x).", parse_python_rule, FakePython())
    return Domain(name="toy", description="Numbers to numbers.", format_input=str, format_output=str,
                  parse_output=parse_int, output_instructions="Answer with a number.",
                  forms={"affine": affine, "python": py}, formal="affine", python_signature="def fn(x: int) -> int",
                  output_max_tokens=5, output_constraint="-?[0-9]+")


def run(model, config, seen=SEEN, unseen=UNSEEN, domain=None):
    agent = RefinementAgent(model, domain or make_domain(), config)
    return asyncio.run(agent.run(seen, list(unseen)))


def script(rounds, apply_reply="0"):
    """Replies by request kind: proposals per round (in order), then anything else gets ``apply_reply``."""
    state = {"round": -1}

    def reply(req, i):
        last = req.messages[-1]["content"]
        if "Find the rule" in last or "Generate a new rule" in last:
            if i == 0:
                state["round"] += 1
            return rounds[state["round"]][i]
        return apply_reply

    return reply


def test_select_keeps_best_and_ties_go_to_first():
    model = FakeModel(script([["y = 2*x + 0", "y = 2*x + 1", "y = 1*x + 2", "y = 2*x + 1"]]))
    res = run(model, RefinementConfig(n=4, iterations=3, gap=False))
    select = [e for e in res.transcript if e["type"] == "select"]
    assert len(select) == 1 and select[0]["chosen"] == 1  # first of the two perfect candidates
    assert res.stopped == "perfect" and res.iterations == 1
    assert res.predictions == [9, 21] and res.seen_accuracy == 1.0
    [propose] = model.requests
    assert propose.n == 4 and propose.temperature == 0.7  # N hypotheses from one request


def test_refine_feeds_failures_back_in_the_same_conversation():
    model = FakeModel(script([["y = 1*x + 2", "nonsense"], ["y = 2*x + 1", "y = 3*x + 0"]]))
    res = run(model, RefinementConfig(n=2, iterations=3, gap=False))
    first, second = model.requests
    assert len(second.messages) == len(first.messages) + 2
    assert second.messages[: len(first.messages)] == first.messages  # history kept
    assert second.messages[-2] == {"role": "assistant", "content": "y = 1*x + 2"}
    feedback = second.messages[-1]["content"]
    # y = x + 2 is right on x=1 (3) and wrong on x=2 (4 vs 5) and x=3 (5 vs 7)
    assert "Input: 2\nExpected output: 5\nActual output: 4" in feedback
    assert "Input: 3\nExpected output: 7\nActual output: 5" in feedback
    assert "Input: 1\n" not in feedback
    assert res.iterations == 2 and res.stopped == "perfect"
    assert res.iteration_predictions == [[6, 12], [9, 21]]


def test_stops_after_T_rounds_and_keeps_best_rule():
    model = FakeModel(script([["y = 1*x + 2"], ["y = 0*x + 0"], ["y = 0*x + 1"]]))
    res = run(model, RefinementConfig(n=1, iterations=3, temperature=0.0, gap=False))
    assert res.iterations == 3 and res.stopped == "max_iterations" and len(model.requests) == 3
    assert res.final_rule == "y = 1*x + 2"  # 1/3 seen right beats the later 0/3 rules
    assert res.iteration_predictions == [[6, 12]] * 3


def test_unparsable_output_is_a_failed_hypothesis_with_reason():
    model = FakeModel(script([["I think it doubles", ""], ["y = 2*x + 1", "x"]]))
    res = run(model, RefinementConfig(n=2, iterations=2, gap=False))
    select = [e for e in res.transcript if e["type"] == "select"]
    errors = [c["error"] for c in select[0]["candidates"]]
    assert errors == ["expected 'y = a*x + b'", "empty reply"]
    assert "could not be used as a rule: expected 'y = a*x + b'" in model.requests[1].messages[-1]["content"]
    assert res.predictions == [9, 21]


def test_all_rounds_unparsable_gives_no_predictions_not_a_crash():
    model = FakeModel(script([["???"], ["!!!"]]))
    res = run(model, RefinementConfig(n=1, iterations=2, gap=True))
    assert res.predictions == [None, None]
    assert all("no usable rule" in e for e in res.prediction_errors)
    assert res.lm_predictions is None  # no rule to apply


def test_rule_errors_are_contained_per_example():
    model = FakeModel(script([["y = 2*x + 1"]]))
    res = run(model, RefinementConfig(n=1, iterations=1, gap=False), unseen=(99, 1))
    assert res.predictions == [None, 3] and res.prediction_errors[0] == "boom"


def test_nl_rules_are_translated_to_python_at_temperature_zero():
    code = "```python\ndef fn(x):\n    return 2 * x + 1\n```"

    def reply(req, i):
        if req.temperature > 0:
            return "Double the number and add one."
        if "Write a Python function" in req.messages[-1]["content"]:
            return code
        return "9"

    model = FakeModel(reply)
    res = run(model, RefinementConfig(rule_form="nl", n=2, iterations=2, gap=True))
    translations = [r for r in model.requests if "Write a Python function" in r.messages[-1]["content"]]
    assert len(translations) == 2 and all(r.temperature == 0.0 and r.n == 1 for r in translations)
    assert "Double the number and add one." in translations[0].messages[-1]["content"]
    assert res.final_code is not None and "return 2 * x + 1" in res.final_code
    assert res.predictions == [9, 21]
    assert res.lm_predictions == [9, 9]  # the model applying its own rule (always says 9 here)


def test_io_is_greedy_and_one_request_per_unseen_input():
    model = FakeModel(lambda req, i: "The answer is 9")
    res = run(model, RefinementConfig(method="io"))
    assert res.predictions == [9, 9] and len(model.requests) == 2
    assert all(r.temperature == 0.0 and r.n == 1 for r in model.requests)
    assert "Input: 4" in model.requests[0].messages[-1]["content"]


def test_self_consistency_takes_the_majority_first_on_ties():
    votes = {"Input: 4": ["8", "9", "9", "x", "8"], "Input: 10": ["21", "20", "x", "y", "z"]}

    def reply(req, i):
        key = "Input: 4" if req.messages[-1]["content"].endswith("Input: 4") else "Input: 10"
        return votes[key][i]

    model = FakeModel(reply)
    res = run(model, RefinementConfig(method="sc", seed=3))
    assert res.predictions == [8, 21]  # 8 and 9 tie at two votes each: the first seen wins
    assert all(r.n == 5 and r.temperature == 0.7 for r in model.requests)


def test_self_refine_uses_the_model_as_interpreter():
    def reply(req, i):
        if req.temperature > 0:
            return "Multiply by two and add one."
        x = int(req.messages[-1]["content"].rsplit("Input: ", 1)[1])
        return str(2 * x + 1)

    model = FakeModel(reply)
    res = run(model, RefinementConfig(method="sr", n=2, iterations=3))
    assert res.stopped == "perfect" and res.predictions == [9, 21]
    applies = [r for r in model.requests if "Apply the rule" in r.messages[-1]["content"]]
    assert len(applies) == 2 * len(SEEN) + len(UNSEEN)  # each candidate on each seen input, then unseen


def test_model_refusal_ends_the_episode_and_is_recorded():
    def reply(req, i):
        raise ContextLengthError("prompt too long")

    res = run(FakeModel(reply), RefinementConfig(n=2, iterations=3))
    assert res.stopped == "model_error" and res.predictions == [None, None]
    assert "ContextLengthError" in res.transcript[0]["error"]


def test_constrained_decoding_passes_the_regexes():
    model = FakeModel(script([["y = 2*x + 1"]], apply_reply="9"))
    run(model, RefinementConfig(n=1, iterations=1, constrained=True, gap=True))
    assert model.requests[0].constraint.pattern == "y = -?[0-9]+\\*x \\+ -?[0-9]+"
    assert model.requests[1].constraint.pattern == "-?[0-9]+"


def test_tokens_and_transcript_are_counted():
    model = FakeModel(script([["y = 2*x + 1", "y = 2*x + 1"]]))
    res = run(model, RefinementConfig(n=2, iterations=1, gap=False))
    assert res.requests == 1 and res.completion_tokens == 2 * 5
    assert res.prompt_tokens > 0 and res.transcript[0]["replies"] == ["y = 2*x + 1"] * 2


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        RefinementConfig(method="magic")
    with pytest.raises(ValueError, match="n must be >= 1"):
        RefinementConfig(n=0)
    with pytest.raises(ValueError, match="has no rule form 'asp'"):
        RefinementAgent(FakeModel(), make_domain(), RefinementConfig(rule_form="asp"))


def test_many_tasks_run_concurrently():
    """All episodes are in flight together: every request arrives before the first reply is made."""
    seen_at_reply: list[int] = []

    def reply(req, i):
        seen_at_reply.append(len(model.requests))
        return "y = 2*x + 1"

    model = FakeModel(reply, delay=0.05)
    agent = RefinementAgent(model, make_domain(), RefinementConfig(n=1, iterations=1, gap=False))

    async def main():
        return await asyncio.gather(*(agent.run(SEEN, list(UNSEEN)) for _ in range(8)))

    results = asyncio.run(main())
    assert all(r.predictions == [9, 21] for r in results)
    assert seen_at_reply[0] == 8
