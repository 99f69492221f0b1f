"""End to end with the real default model (SmolLM2-135M on llama.cpp): one linear black box, 3 rounds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import pytest

from agents.find import FindConfig, FindInterpreter
from agents.world import ToolSpec

pytestmark = [pytest.mark.llm, pytest.mark.slow]


class Linear:
    """f(x) = 3x + 1 behind the ``run`` tool."""

    def __init__(self) -> None:
        self.calls = 0

    def describe(self) -> list[ToolSpec]:
        return [ToolSpec("run", "run the function")]

    def call(self, name: str, arguments: Mapping[str, Any]) -> list[list[Any]]:
        self.calls += 1
        return [[x, 3 * x + 1] for x in arguments["inputs"]]


def test_interpreter_runs_end_to_end_with_the_default_model():
    from agents.llm import load_model

    model = load_model("default", n_threads=1)
    box = Linear()
    started = time.monotonic()
    try:
        cfg = FindConfig(kind="numeric", max_rounds=3, max_tokens=96, exemplars=(-2, 0, 5))
        res = asyncio.run(FindInterpreter(model, cfg).run(box))
    finally:
        asyncio.run(model.aclose())
    assert time.monotonic() - started < 120
    assert 1 <= res.rounds <= 4 and res.requests == res.rounds
    assert res.completion_tokens > 0 and box.calls >= 1  # the exemplars at least
    assert res.stopped in ("answered", "forced", "context", "no_answer")
    assert [e for e in res.transcript if e["type"] == "chat"]


def test_interpreter_with_the_fit_tool_runs_end_to_end_with_the_default_model():
    from agents.find import GPSettings
    from agents.llm import load_model

    model = load_model("default", n_threads=1)
    box = Linear()
    started = time.monotonic()
    try:
        cfg = FindConfig(kind="numeric", max_rounds=3, max_tokens=96, exemplars=(-2, 0, 5),
                         gp=GPSettings(population_size=100, generations=5))
        res = asyncio.run(FindInterpreter(model, cfg).run(box))
    finally:
        asyncio.run(model.aclose())
    assert time.monotonic() - started < 120
    chats = [e for e in res.transcript if e["type"] == "chat"]
    assert "FIT()" in chats[0]["request"]  # the tool is offered in the task
    assert 1 <= res.rounds <= 4 and res.requests == res.rounds == len(chats)
    fits = [e for e in res.transcript if e["type"] == "fit"]
    assert res.fits == sum(1 for e in fits if e["error"] is None)  # a FIT the model wrote was answered
    assert res.stopped in ("answered", "forced", "context", "no_answer")
