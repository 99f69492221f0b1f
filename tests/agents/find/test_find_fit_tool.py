"""The interpreter's FIT command (GP regression on the pairs seen) with a scripted model and black box."""

from __future__ import annotations

import asyncio
import re

import pytest

from agents.find import FindConfig, FindInterpreter, GPSettings, parse_fit
from agents.find.prompts import task_prompt
from agents.llm import FakeModel
from tests.agents.find.boxes import Line

SMALL = GPSettings(population_size=100, generations=6)
_CODE = re.compile(r"```python\n(.*?)```", re.S)


def _copy_the_fit(req, i):
    """Probe, fit, then answer with the code the fit returned."""
    last = req.messages[-1]["content"]
    turn = len(req.messages) // 2
    if turn == 0:
        return "RUN(-10, 0, 10, 20)"
    if turn == 1:
        return "Let me fit it. FIT(30, 40)"
    code = _CODE.search(last).group(1)
    return f"[DESCRIPTION]: a line\n[DOMAIN]: all reals\n[CODE]:\n```python\n{code}```"


def test_parse_fit_reads_the_inputs_and_yields_to_an_earlier_run():
    assert parse_fit("FIT()") == [] and parse_fit("ok, fit(1, -2.5, 3e1)") == [1.0, -2.5, 30.0]
    assert parse_fit("RUN(1, 2) then FIT()") is None and parse_fit("no command") is None
    assert parse_fit("FIT() and RUN(4)") == []


def test_fit_runs_the_box_fits_every_pair_seen_and_the_model_can_use_the_code():
    box = Line()
    cfg = FindConfig(kind="numeric", max_rounds=5, gp=SMALL)
    res = asyncio.run(FindInterpreter(FakeModel(_copy_the_fit), cfg).run(box))
    assert box.calls == [[-10, 0, 10, 20], [30.0, 40.0]] and res.runs == 2 and res.inputs == 6
    assert res.fits == 1 and res.rounds == 3 and res.stopped == "answered"
    [fit] = [e for e in res.transcript if e["type"] == "fit"]
    assert fit["pairs"] == 6 and fit["train_nmse"] < 1e-6
    ns: dict = {}
    exec(res.answer.code, ns)  # the GP's own source, copied back by the scripted model
    assert ns["f"](2.5) == pytest.approx(8.5, rel=1e-4)


def test_fit_before_any_pair_is_refused_with_a_readable_error():
    replies = iter(["FIT()", "[DESCRIPTION]: unknown\n[CODE]:\n```python\ndef f(x):\n    return 0\n```"])
    model = FakeModel(lambda req, i: next(replies))
    res = asyncio.run(FindInterpreter(model, FindConfig(kind="numeric", max_rounds=3, gp=SMALL)).run(Line()))
    assert res.fits == 0 and res.runs == 0
    assert "FIT needs at least 2" in model.requests[1].messages[-1]["content"]


def test_without_the_tool_fit_is_not_a_command_and_the_prompt_does_not_offer_it():
    replies = iter(["FIT(1, 2)", "[DESCRIPTION]: x\n[CODE]:\n```python\ndef f(x):\n    return x\n```"])
    model = FakeModel(lambda req, i: next(replies))
    box = Line()
    res = asyncio.run(FindInterpreter(model, FindConfig(kind="numeric", max_rounds=3)).run(box))
    assert res.fits == 0 and box.calls == [] and "FIT" not in model.requests[0].messages[0]["content"]
    assert "FIT()" in task_prompt("numeric", 20, 64, fit_tool=True)
    with pytest.raises(ValueError, match="numeric"):
        FindConfig(kind="strings", gp=SMALL)
