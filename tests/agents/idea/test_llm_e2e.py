"""End to end with the real default model (SmolLM2-135M on llama.cpp): one short puzzle per world."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.llm


def test_idea_plays_one_short_puzzle_per_world_with_the_default_model():
    from agents.idea import IdeaAgent, IdeaConfig
    from agents.llm import load_model
    from evaluation.worlds.rulearn import WORLDS, load_puzzles, make_world

    model = load_model("default", n_threads=1)
    worlds = [make_world(load_puzzles(w, 1)[0], level=2) for w in WORLDS]
    # Structured and a 3-step budget keep it short; the three episodes run together, so their calls batch.
    agent = IdeaAgent(model, IdeaConfig(method="idea", structured=True, budget=3, hypothesis_max_tokens=32))

    async def play():
        try:
            return await asyncio.gather(*(agent.run(w, seed=i) for i, w in enumerate(worlds)))
        finally:
            await model.aclose()

    results = asyncio.run(play())
    for world, res in zip(worlds, results, strict=True):
        assert res.hypothesis_calls >= 1 and res.requests >= 2
        assert res.steps + (1 if world.episode.solved else 0) >= 1
        # Structured decoding: every choice is a menu number, so no reply names a missing action.
        assert all(e.get("finish_reason") != "invalid" for e in res.transcript if e["type"] == "choose")
        assert world.episode.steps + res.format_failures == res.steps
