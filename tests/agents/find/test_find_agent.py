"""FIND interpreter control flow with a scripted model and a scripted black box."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agents.find import FindConfig, FindInterpreter, parse_answer, parse_command
from agents.llm import ContextLengthError, FakeModel
from tests.agents.find.boxes import Doubler

ANSWER = ("[DESCRIPTION]: doubles x\n[DOMAIN]: all real numbers; odd between 10 and 20\n"
          "[CODE]:\n```python\ndef f(x):\n    return 2 * x\n```")


def _run(model: FakeModel, box: Any, **cfg: Any):
    return asyncio.run(FindInterpreter(model, FindConfig(**cfg)).run(box))


def test_probe_then_answer():
    box = Doubler()
    model = FakeModel(["Let me try. RUN(-1, 0, 2.5)", "RUN(100)", ANSWER])
    res = _run(model, box)
    assert box.calls == [[-1, 0, 2.5], [100]]
    assert res.rounds == 3 and res.runs == 2 and res.inputs == 4 and res.stopped == "answered"
    assert res.answer.description == "doubles x" and "10 and 20" in res.answer.domain
    assert res.answer.code.startswith("def f(x):") and res.answer.code_fenced
    # The model reads the pairs the box returned.
    assert "(-1, -2) (0, 0) (2.5, 5)" in model.requests[1].messages[-1]["content"]
    assert [e["type"] for e in res.transcript] == ["chat", "run", "chat", "run", "chat"]
    assert res.prompt_tokens > 0 and res.requests == 3


def test_rounds_are_capped_and_the_answer_is_requested():
    box = Doubler()
    model = FakeModel(["RUN(1)"] * 3 + [ANSWER])
    res = _run(model, box, max_rounds=3)
    assert res.forced_final and res.stopped == "forced" and res.rounds == 4
    assert len(box.calls) == 2  # the third round's command is not run: the answer is asked for instead
    assert "final answer" in model.requests[-1].messages[-1]["content"]
    assert res.answer.code is not None


def test_no_command_gets_a_nudge_and_errors_reach_the_model():
    box = Doubler()
    model = FakeModel(["I think it is linear.", 'RUN("boom")', ANSWER.replace("def f(x)", "def f(s)")])
    res = _run(model, box, kind="strings")
    assert "RUN(" in model.requests[1].messages[-1]["content"]
    assert "Error:" in model.requests[2].messages[-1]["content"] and "boom" in model.requests[2].messages[-1]["content"]
    assert res.runs == 0 and res.answer.description == "doubles x"


def test_too_many_inputs_are_cut():
    box = Doubler()
    model = FakeModel(["RUN(" + ", ".join(str(i) for i in range(10)) + ")", ANSWER])
    _run(model, box, max_inputs=4)
    assert box.calls == [[0, 1, 2, 3]] and "only the first 4" in model.requests[1].messages[-1]["content"]


def test_initialisation_and_single_round():
    box = Doubler()
    model = FakeModel([ANSWER])
    res = _run(model, box, exemplars=(1, 2, 3), single_round=True)
    assert box.calls == [[1, 2, 3]] and res.rounds == 1 and "(3, 6)" in model.requests[0].messages[0]["content"]
    assert "cannot run it again" in model.requests[0].messages[0]["content"]
    with pytest.raises(ValueError):
        FindConfig(single_round=True)


def test_reply_without_code_is_recorded_not_a_crash():
    res = _run(FakeModel(["[DESCRIPTION]: it doubles"]), Doubler())
    assert res.answer.description == "it doubles" and res.answer.code is None and res.stopped == "answered"
    res = _run(FakeModel(["[DOMAIN]: nothing"]), Doubler(), exemplars=(1,), single_round=True)
    assert res.stopped == "no_answer"


def test_context_overflow_restarts_compactly():
    box = Doubler()

    class Tight(FakeModel):
        async def _generate(self, req):
            if len(req.messages) > 2:
                raise ContextLengthError("too long")
            return await super()._generate(req)

    model = Tight(["RUN(1, 2)", ANSWER])
    res = _run(model, box)
    assert res.stopped == "context" and res.forced_final and res.answer.code is not None
    assert "(2, 4)" in model.requests[-1].messages[0]["content"]


def test_parse_command_forms():
    assert parse_command("RUN(1, -2.5, 3e2)", "numeric") == [1, -2.5, 300.0]
    assert parse_command("PYTHON(./temp/function.py 1 2 3)", "numeric") == [1, 2, 3]
    assert parse_command("run(  -7 )", "numeric") == [-7]
    assert parse_command("no command here", "numeric") is None
    assert parse_command('RUN("hello world", \'a,b\', plain)', "strings") == ["hello world", "a,b", "plain"]
    assert parse_command('RUN("(x)", "y")', "strings") == ["(x)", "y"]
    assert parse_command("RUN(1, 2", "numeric") == [1, 2]


def test_parse_answer_takes_the_last_block_after_the_last_code_marker():
    text = ("[DESCRIPTION]: a line\n```python\ndef g(x):\n    return 0\n```\n[DOMAIN]: all\n"
            "[CODE]: first\n```python\ndef f(x):\n    return 1\n```\nthen\n```python\ndef f(x):\n    return 2\n```")
    ans = parse_answer(text)
    assert ans.description == "a line" and ans.domain == "all" and "return 2" in ans.code
    bare = parse_answer("[DESCRIPTION]: d\n[CODE]:\ndef f(x):\n    return x + 1\n")
    assert bare.code is not None and not bare.code_fenced
    assert parse_answer("[DESCRIPTION]: d\n[CODE]: return x +").code is None
