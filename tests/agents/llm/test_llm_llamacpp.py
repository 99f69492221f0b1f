"""End to end with the real SmolLM2-135M-Instruct on llama.cpp (short generations)."""

from __future__ import annotations

import asyncio
import math

import pytest

from agents.llm import ChatCache, ContextLengthError, load_model

pytestmark = pytest.mark.llm

CODE = [{"role": "user", "content": "Write a Python function f(x) that returns 2*x+1."}]


@pytest.fixture(scope="module")
def model():
    m = load_model("default", cache=False, n_ctx=512, max_batch=4)
    yield m
    m.close()


def run(coro):
    return asyncio.run(coro)


def test_answers_with_code(model):
    [c] = model.chat_sync(CODE, max_tokens=24)
    assert "def f(x)" in c.text and "return" in c.text
    assert c.finish_reason in ("stop", "length") and c.prompt_tokens > 20 and 0 < c.completion_tokens <= 24


def test_chat_template_comes_from_the_gguf(model):
    assert model.chat_template and "<|im_start|>" in model.chat_template
    assert model.render(CODE).endswith("<|im_start|>assistant\n")


def test_concurrent_requests_match_sequential_greedy(model):
    prompts = [[{"role": "user", "content": f"Name a color number {i}."}] for i in range(6)]
    seq = [model.chat_sync(p, max_tokens=8)[0].text for p in prompts]

    async def together():
        return await asyncio.gather(*(model.chat(p, max_tokens=8) for p in prompts))

    conc = [o[0].text for o in run(together())]
    assert conc == seq  # 6 requests over 4 slots: batching changes nothing for greedy decoding


def test_seeded_sampling_is_reproducible_and_n_differs(model):
    a = model.chat_sync(CODE, n=3, temperature=1.0, seed=11, max_tokens=12)
    b = model.chat_sync(CODE, n=3, temperature=1.0, seed=11, max_tokens=12)
    assert [c.text for c in a] == [c.text for c in b]
    assert len({c.text for c in a}) > 1
    g = model.chat_sync(CODE, n=2, max_tokens=6)
    assert g[0].text == g[1].text


def test_stop_and_length(model):
    [c] = model.chat_sync(CODE, max_tokens=40, stop=["def"])
    assert "def" not in c.text and c.finish_reason == "stop"
    [c] = model.chat_sync(CODE, max_tokens=3)
    assert c.finish_reason == "length" and c.completion_tokens == 3


def test_logprobs(model):
    [c] = model.chat_sync([{"role": "user", "content": "Is 7 prime? Answer 1 for yes, 0 for no."}],
                          max_tokens=2, logprobs=5)
    assert len(c.logprobs) == c.completion_tokens
    first = c.logprobs[0]
    assert len(first.top) == 5 and all(v <= 0 for v in first.top.values())
    assert math.isclose(max(first.top.values()), first.logprob, abs_tol=1e-6)  # greedy picks the argmax
    assert sum(math.exp(v) for v in first.top.values()) <= 1.0 + 1e-6


@pytest.mark.parametrize("constraint,check", [
    (["yes", "no"], lambda c: c.parsed in ("yes", "no")),
    (r"[0-9]{3}", lambda c: len(c.text) == 3 and c.text.isdigit()),
    ({"type": "object", "properties": {"name": {"type": "string", "maxLength": 10},
                                       "age": {"type": "integer"}},
      "required": ["name", "age"], "additionalProperties": False},
     lambda c: set(c.parsed) == {"name", "age"} and isinstance(c.parsed["age"], int)),
])
def test_constrained_decoding(model, constraint, check):
    [c] = model.chat_sync([{"role": "user", "content": "Give a person's name and age, or a number."}],
                          constraint=constraint, max_tokens=40)
    assert c.valid, c.error
    assert check(c)


def test_too_long_prompt(model):
    with pytest.raises(ContextLengthError, match=r"context window .* 512 tokens"):
        model.chat_sync([{"role": "user", "content": "word " * 600}], max_tokens=4)


def test_cache_in_front_of_the_real_model(model, tmp_path):
    model.cache = ChatCache(tmp_path)
    try:
        [a] = model.chat_sync(CODE, max_tokens=6)
        [b] = model.chat_sync(CODE, max_tokens=6)
        assert not a.cached and b.cached and a.text == b.text
    finally:
        model.cache.close()
        model.cache = None


def test_more_replies_than_slots(model):
    # n=6 on 4 KV slots: two waves, each prefilling the prompt once; seeded, so reproducible.
    a = model.chat_sync(CODE, n=6, temperature=1.0, seed=2, max_tokens=6)
    b = model.chat_sync(CODE, n=6, temperature=1.0, seed=2, max_tokens=6)
    assert len(a) == 6 and [c.text for c in a] == [c.text for c in b]
    assert all(c.completion_tokens > 0 for c in a)


@pytest.mark.parametrize("pattern", [r"[0-9]+\.[0-9]", r"(?:yes|no)", r"(?:ab|cd)\.(?:txt|py)", r"a[.\]]b"])
def test_regex_syntax_llamacpp_grammars_mishandle_is_rewritten(model, pattern):
    # Escaped punctuation and non-capturing groups used to be rejected by llama.cpp's grammar parser.
    import re

    [c] = model.chat_sync([{"role": "user", "content": "Answer."}], max_tokens=24, constraint=pattern)
    assert c.finish_reason == "stop" and c.error is None, (c.text, c.error)
    assert re.fullmatch(pattern, c.text)


def test_normalized_regex_matches_the_same_strings():
    import re

    from agents.llm.gbnf import _normalize_regex

    cases = {r"(?:ab|c)+\.x": ["ab.x", "cab.x", "abx", "a.x"], r"[\].]\-\(": ["].-(", "..-(", "x.-("]}
    for pattern, strings in cases.items():
        rewritten = _normalize_regex(pattern)
        assert "(?:" not in rewritten
        for s in strings:
            assert bool(re.fullmatch(pattern, s)) == bool(re.fullmatch(rewritten, s)), (pattern, rewritten, s)


def test_bench_measures_ours_and_raw_llamacpp_in_separate_processes():
    from agents.llm import bench_model

    res = run(bench_model("default", concurrency=2, requests=2, max_tokens=8, repeats=1, n_threads=1))
    for key in ("single_tok_s", "concurrent_tok_s", "raw_llamacpp_single_tok_s", "ttft_s", "cache_hit_ms",
                "shared_prefix_tok_s", "shared_prefix_no_reuse_tok_s"):
        assert math.isfinite(res[key]) and res[key] > 0, key
    assert res["peak_rss_mb"] >= res["rss_mb"] > 0 and res["raw_llamacpp_peak_rss_mb"] > 0
    # The ratio compares tokens/s, so both sides must do the same work on the same prompts: greedy, ours and
    # a raw llama.cpp on the same rendered text generate the same completion tokens (count and text).
    from agents.llm.backends.llamacpp import raw_llama
    from agents.llm.speed import _prompt

    ours = load_model("default", cache=False, n_ctx=512, n_threads=1)
    raw = raw_llama(ours.path, n_ctx=512, n_threads=1)
    try:
        for i in range(2):
            [c] = ours.chat_sync(_prompt(i), max_tokens=8, temperature=0.0)
            r = raw.create_completion(ours.render(_prompt(i)), max_tokens=8, temperature=0.0)
            assert c.completion_tokens == r["usage"]["completion_tokens"], i
            assert c.text == r["choices"][0]["text"], (c.text, r["choices"][0]["text"])
    finally:
        raw.close()
        ours.close()


def test_a_conversation_reuses_the_kv_of_its_earlier_prompt():
    """The second turn resends the first; the first prompt's KV is reused, and the reply is what a
    model that prefills everything gives (here to the last bit: both compute the prompt in batches)."""
    first = [{"role": "user", "content": "List three fruits, one per line."}]
    fresh = load_model("default", cache=False, n_ctx=512, max_batch=2)
    warm = load_model("default", cache=False, n_ctx=512, max_batch=2)
    try:
        [a] = warm.chat_sync(first, max_tokens=16)
        second = first + [{"role": "assistant", "content": a.text},
                          {"role": "user", "content": "Now three vegetables."}]
        before = warm.prompt_tokens_reused
        [b] = warm.chat_sync(second, max_tokens=16, logprobs=3)
        reused = warm.prompt_tokens_reused - before
        assert a.prompt_tokens - 2 <= reused <= a.prompt_tokens < b.prompt_tokens
        [c] = fresh.chat_sync(second, max_tokens=16, logprobs=3)
        assert fresh.prompt_tokens_reused == 0
        assert b.text == c.text
        assert [t.top for t in b.logprobs] == [t.top for t in c.logprobs]
    finally:
        fresh.close()
        warm.close()


def test_concurrent_requests_with_one_long_start_share_its_prefill():
    """IO prompting asks about every unseen input after the same examples: the examples are prefilled
    once, the other requests copy that KV, and every reply equals the one computed without sharing."""
    examples = "\n".join(f"Input: {i} {i + 1}\nOutput: {2 * i + 1}" for i in range(12))
    prompts = [[{"role": "user", "content": f"{examples}\nInput: {x} {x + 1}\nOutput:"}] for x in (20, 31, 42, 53)]

    async def together(m):
        return [o[0] for o in await asyncio.gather(*(m.chat(p, max_tokens=6, logprobs=2) for p in prompts))]

    shared = load_model("default", cache=False, n_ctx=512, max_batch=4)
    alone = load_model("default", cache=False, n_ctx=512, max_batch=4, reuse_prefix=False)
    try:
        a, b = run(together(shared)), run(together(alone))
        prompt_len = a[0].prompt_tokens
        # Three of the four requests copied (nearly) the whole shared start.
        assert shared.prompt_tokens_reused >= 3 * (prompt_len - 16)
        assert alone.prompt_tokens_reused == 0
        assert [c.text for c in a] == [c.text for c in b]
        # Equal up to rounding: a suffix prefilled after the copy can land in a one-row batch, which
        # llama.cpp computes with other kernels (0.17 nats at most was seen here). A wrong or stale KV
        # copy changes the distribution by whole nats and the text with it.
        # Tokens in a near tie at the top-k cutoff may swap (seen in CI-like runs: top-2 keys {'1', '2'}
        # against {'1', 'The'}), so a token may be listed on one side only if it sits within the
        # tolerance of the other side's last listed value; every token listed on both sides must agree.
        for ca, cb in zip(a, b, strict=True):
            for ta, tb in zip(ca.logprobs, cb.logprobs, strict=True):
                assert max(ta.top, key=ta.top.get) == max(tb.top, key=tb.top.get)
                assert all(abs(ta.top[k] - tb.top[k]) < 0.3 for k in ta.top.keys() & tb.top.keys())
                for one, other in ((ta.top, tb.top), (tb.top, ta.top)):
                    for k in one.keys() - other.keys():
                        assert one[k] - min(other.values()) < 0.3
    finally:
        shared.close()
        alone.close()


def test_string_options_reach_the_scheduler_and_a_closed_model_refuses():
    from agents.llm import LLMError
    from agents.llm.backends.queue import JobQueue

    m = load_model("default", cache="off", n_ctx="256", max_batch="1", n_threads="1", reuse_prefix="off")
    try:
        assert (m.context_length, m.max_batch, m.n_threads, m.reuse_prefix, m.cache) == (256, 1, 1, False, None)
        assert isinstance(m._scheduler.queue, JobQueue)
    finally:
        m.close()
    with pytest.raises(LLMError, match="closed"):
        m.chat_sync(CODE, max_tokens=2)


def test_a_cancelled_request_gives_its_slot_to_the_next(model):
    async def scenario():
        long = asyncio.create_task(model.chat(CODE, n=4, temperature=1.0, max_tokens=200))  # every slot
        await asyncio.sleep(0.2)
        long.cancel()
        [c] = await asyncio.wait_for(model.chat(CODE, max_tokens=4), timeout=60)
        return long, c

    long, c = run(scenario())
    assert long.cancelled() and c.completion_tokens > 0
