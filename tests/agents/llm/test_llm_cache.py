"""The content-addressed disk cache in front of every backend."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.llm import ChatCache, ChatModel, FakeModel, load_model
from agents.llm.cache import request_key, resolve_cache

USER = [{"role": "user", "content": "hello"}]


@pytest.fixture
def cache(tmp_path):
    c = ChatCache(tmp_path / "c")
    yield c
    c.close()


def counting(cache):
    calls = []

    def reply(req, i):
        calls.append(req)
        return f"r{len(calls)}"

    return FakeModel(reply, cache=cache), calls


def test_greedy_and_seeded_hit_unseeded_bypasses(cache):
    m, calls = counting(cache)
    a = m.chat_sync(USER)
    b = m.chat_sync(USER)
    assert a[0].text == b[0].text and not a[0].cached and b[0].cached and len(calls) == 1
    s1 = m.chat_sync(USER, temperature=0.8, seed=7)
    s2 = m.chat_sync(USER, temperature=0.8, seed=7)
    assert s2[0].cached and s1[0].text == s2[0].text
    m.chat_sync(USER, temperature=0.8)
    u = m.chat_sync(USER, temperature=0.8)
    assert not u[0].cached
    assert cache.stats()["hits"] == 2 and cache.stats()["misses"] == 2
    assert cache.stats()["hit_rate"] == 0.5


def test_every_parameter_is_part_of_the_key(cache):
    m, calls = counting(cache)
    variants = [dict(), dict(max_tokens=5), dict(stop=["x"]), dict(n=2), dict(logprobs=2),
                dict(constraint=["r1", "r2"]), dict(temperature=0.5, seed=1), dict(seed=3)]
    for kw in variants:
        m.chat_sync(USER, **kw)
    assert len(m.requests) == len(variants)
    m.chat_sync([{"role": "user", "content": "hello!"}])
    assert len(m.requests) == len(variants) + 1
    other = FakeModel(["z"], cache=cache, spec="fake/other")
    assert other.chat_sync(USER)[0].text == "z"  # another model identity: a miss


def test_cache_keeps_validation_result_and_logprobs(cache):
    m = FakeModel(["maybe", "maybe"], cache=cache)
    [c] = m.chat_sync(USER, constraint=["yes", "no"])
    [d] = m.chat_sync(USER, constraint=["yes", "no"])
    assert d.cached and d.finish_reason == "invalid" and d.error == c.error


def test_switches(monkeypatch, tmp_path):
    assert resolve_cache(False) is None and resolve_cache(None) is None
    assert isinstance(resolve_cache(True, tmp_path), ChatCache)
    monkeypatch.setenv("NESY_CACHE", "off")
    assert resolve_cache(True, tmp_path) is None
    assert load_model("fake/x", replies=["a"]).cache is None
    with pytest.raises(TypeError):
        resolve_cache("yes")


def test_shared_stats(monkeypatch, tmp_path):
    from agents.llm import shared_cache_stats

    monkeypatch.delenv("NESY_CACHE", raising=False)
    m = load_model("fake/x", cache_dir=tmp_path / "shared", replies=["a", "b"])
    before = shared_cache_stats()
    m.chat_sync(USER)
    m.chat_sync(USER)
    after = shared_cache_stats()
    assert after["hits"] - before["hits"] == 1 and after["misses"] - before["misses"] == 1
    assert str(tmp_path / "shared") in after["directories"]


def test_clear_and_info(cache):
    m, _ = counting(cache)
    m.chat_sync(USER)
    assert cache.info()["entries"] == 1
    assert cache.clear() == 1 and cache.info()["entries"] == 0


messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system"]),
                                           "content": st.text(max_size=20)}), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(messages, st.integers(1, 4), st.floats(0, 2), st.integers(1, 500), st.none() | st.integers(0, 9))
def test_key_is_deterministic_and_sensitive(msgs, n, temp, max_tokens, seed):
    req = ChatModel.make_request(msgs, n=n, temperature=temp, max_tokens=max_tokens, seed=seed)
    again = ChatModel.make_request([dict(m) for m in msgs], n=n, temperature=temp, max_tokens=max_tokens,
                                   seed=seed)
    assert request_key("m", req) == request_key("m", again)
    assert request_key("m", req) != request_key("m2", req)
    bumped = ChatModel.make_request(msgs, n=n, temperature=temp, max_tokens=max_tokens + 1, seed=seed)
    assert request_key("m", req) != request_key("m", bumped)
