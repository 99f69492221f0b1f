"""End to end with SmolLM2 through transformers (the GGUF dequantized once into an HF directory)."""

from __future__ import annotations

import asyncio

import pytest

from agents.llm import load_model

pytestmark = [pytest.mark.llm, pytest.mark.slow]


@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory):
    from agents.llm import default_gguf_path
    from agents.llm.backends.hf import gguf_to_hf_dir

    return gguf_to_hf_dir(default_gguf_path(), tmp_path_factory.mktemp("smollm2-hf"))


@pytest.fixture(scope="module")
def model(hf_dir):
    m = load_model(f"transformers/{hf_dir}", cache=False, device="cpu")
    yield m
    m.close()


def test_batched_greedy_matches_single(model):
    prompts = [[{"role": "user", "content": "Write a Python function f(x) that returns 2*x+1."}],
               [{"role": "user", "content": "What is the capital of France?"}]]
    single = model.chat_sync(prompts[0], max_tokens=8)[0].text

    async def together():
        return await asyncio.gather(*(model.chat(p, max_tokens=8) for p in prompts))

    outs = asyncio.run(together())
    assert outs[0][0].text == single and "def" in single
    assert outs[1][0].completion_tokens > 0


def test_constraint_logprobs_and_seed(model):
    [c] = model.chat_sync([{"role": "user", "content": "Is the sky blue? Answer yes or no."}],
                          constraint=["yes", "no"], max_tokens=4)
    assert c.valid and c.parsed in ("yes", "no")
    a = model.chat_sync([{"role": "user", "content": "Say something."}], n=2, temperature=1.0, seed=5,
                        max_tokens=5, logprobs=3)
    b = model.chat_sync([{"role": "user", "content": "Say something."}], n=2, temperature=1.0, seed=5,
                        max_tokens=5, logprobs=3)
    assert [x.text for x in a] == [x.text for x in b]
    assert len(a[0].logprobs[0].top) == 3


def test_lora_adapter(model, hf_dir, tmp_path):
    from peft import LoraConfig, get_peft_model

    peft_model = get_peft_model(model.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    peft_model.save_pretrained(tmp_path / "lora")
    peft_model.unload()  # leave the shared fixture's base model as it was
    m2 = load_model(f"transformers/{hf_dir}", cache=False, device="cpu", lora=tmp_path / "lora")
    try:
        # A fresh LoRA starts at zero (B = 0), so the answer equals the base model's.
        q = [{"role": "user", "content": "What is 2+2?"}]
        assert m2.chat_sync(q, max_tokens=6)[0].text == model.chat_sync(q, max_tokens=6)[0].text
        assert type(m2.model).__name__.startswith("Peft")
    finally:
        m2.close()
