"""vLLM backend on a GPU (skipped without CUDA): SmolLM2 converted from the shipped GGUF to an HF dir."""

from __future__ import annotations

import asyncio
import time

import pytest

pytestmark = [pytest.mark.gpu, pytest.mark.llm, pytest.mark.slow]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("vllm")
    from agents.llm import default_gguf_path, load_model
    from agents.llm.backends.hf import gguf_to_hf_dir

    out = gguf_to_hf_dir(default_gguf_path(), tmp_path_factory.mktemp("smollm2-hf"))
    m = load_model(f"vllm/{out}", cache=False, gpu_memory_utilization=0.3, max_model_len=2048)
    yield m
    asyncio.run(m.aclose())


def test_chat_n_seed_stop_logprobs(model):
    q = [{"role": "user", "content": "Write a Python function f(x) that returns 2*x+1."}]
    [c] = model.chat_sync(q, max_tokens=24)
    assert "def" in c.text
    a = model.chat_sync(q, n=3, temperature=1.0, seed=4, max_tokens=8)
    b = model.chat_sync(q, n=3, temperature=1.0, seed=4, max_tokens=8)
    assert [x.text for x in a] == [x.text for x in b] and len(a) == 3
    [c] = model.chat_sync(q, max_tokens=5, logprobs=3)
    assert len(c.logprobs) == c.completion_tokens and len(c.logprobs[0].top) >= 1
    [c] = model.chat_sync(q, max_tokens=40, stop=["def"])
    assert "def" not in c.text


def test_structured_outputs(model):
    q = [{"role": "user", "content": "Give a person as JSON."}]
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    [c] = model.chat_sync(q, constraint=schema, max_tokens=60)
    assert c.valid and set(c.parsed) == {"name", "age"}
    [c] = model.chat_sync(q, constraint=["yes", "no"])
    assert c.parsed in ("yes", "no")
    [c] = model.chat_sync(q, constraint=r"[0-9]{3}")
    assert c.valid and len(c.text) == 3


def test_pending_requests_share_engine_calls_and_batching_pays(model):
    prompts = [[{"role": "user", "content": f"Tell me a fact about the number {i}."}] for i in range(64)]
    t = time.perf_counter()
    toks = sum(model.chat_sync(p, max_tokens=64)[0].completion_tokens for p in prompts[:4])
    single = toks / (time.perf_counter() - t)
    calls = model.engine_calls

    async def together():
        return await asyncio.gather(*(model.chat(p, max_tokens=64) for p in prompts))

    t = time.perf_counter()
    outs = asyncio.run(together())
    batched = sum(o[0].completion_tokens for o in outs) / (time.perf_counter() - t)
    assert model.engine_calls - calls <= 2  # 64 coroutines, one (or two) engine calls
    print(f"vLLM single {single:.0f} tok/s, 64 concurrent {batched:.0f} tok/s ({batched / single:.1f}x)")
    assert batched >= 10 * single
