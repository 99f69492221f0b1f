"""The STE agent with the real default model (SmolLM2-135M): LoRA fine-tuning a few steps, and end to end."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from agents.world import ToolError, ToolSpec, check_arguments


class Dates:
    """One strict tool, enough to run a real exploration episode."""

    spec = ToolSpec("add_date", "Add days to a date. The date is written 'yyyy-mm-dd'.",
                    {"type": "object", "properties": {"date": {"type": "string"}, "days": {"type": "integer"}},
                     "required": ["date", "days"], "additionalProperties": False})

    def describe(self) -> list[ToolSpec]:
        return [self.spec]

    def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        if name != "add_date":
            raise ToolError(name, f"{name} is not a valid tool", kind="unknown_tool")
        check_arguments(self.spec, arguments)
        try:
            return (dt.date.fromisoformat(arguments["date"]) + dt.timedelta(days=arguments["days"])).isoformat()
        except ValueError as exc:
            raise ToolError(name, str(exc)) from None


def _default_gguf():
    from agents.llm import ModelNotFoundError, default_gguf_path

    try:
        return default_gguf_path()
    except ModelNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.mark.slow
def test_lora_finetune_a_few_steps(tmp_path) -> None:
    pytest.importorskip("peft")
    from agents.ste import FinetuneConfig, ToolExample, finetune_lora, tool_messages

    base = _default_gguf()
    texts = {"add_date": "API_name: add_date\nDescription: Add days to a date."}
    examples = [ToolExample(f"What is {d} days after 2024-01-0{d}?", "add_date", {"date": f"2024-01-0{d}", "days": d})
                for d in range(1, 4)]
    items = [(tool_messages(e.query, ["add_date"], texts), e.completion()) for e in examples]
    res = finetune_lora(base, items, tmp_path / "adapter",
                        FinetuneConfig(max_steps=2, batch_size=2, max_length=192, rank=4))
    assert (res.adapter / "adapter_config.json").is_file()
    assert res.steps == 2 and res.seen == 4 and all(loss == loss and loss > 0 for loss in res.losses)
    assert res.examples_per_s > 0


@pytest.mark.llm
def test_explore_then_first_call_with_the_default_model() -> None:
    """One exploration trial on a real tool, then a first call on one test-style request (about 30 s)."""
    from agents.llm import load_model
    from agents.ste import DemoRetriever, ExploreConfig, Explorer, SteAgent, ToolExample

    _default_gguf()
    model = load_model("default", n_threads=1, n_ctx=4096, cache=False)
    try:
        cfg = ExploreConfig(episodes=1, queries_per_episode=1, max_turns=2, max_tokens=64, query_max_tokens=32)
        trials = asyncio.run(Explorer(model, Dates(), config=cfg).explore(["add_date"]))["add_date"]
        assert len(trials) == 1 and trials[0].query and trials[0].turns
        # whatever the model wrote, every call came back as an observation (a result or an error)
        assert all(c.observation.startswith('{"error"') for c in trials[0].calls)
        query = "What is 9 days after 2023-12-25?"
        pool = [ToolExample("What is 3 days after 2024-01-01?", "add_date", {"date": "2024-01-01", "days": 3})]
        agent = SteAgent(model, {"add_date": "API_name: add_date\nDescription: Add days to a date."}, max_tokens=48)
        text, _ = asyncio.run(agent.first_call(query, ["add_date"], DemoRetriever(pool).nearest(query)))
        assert isinstance(text, str) and "Observation:" not in text
    finally:
        asyncio.run(model.aclose())
