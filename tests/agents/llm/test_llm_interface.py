"""The chat contract (through the scripted FakeModel): arguments, concurrency, constraints."""

from __future__ import annotations

import asyncio

import pydantic
import pytest

from agents.llm import (
    Choice,
    Completion,
    FakeModel,
    JsonSchema,
    Regex,
    RequestError,
    TokenLogprob,
    load_model,
)

USER = [{"role": "user", "content": "hi there"}]


def test_completion_fields_and_roundtrip():
    c = Completion("x", "stop", 3, 1, logprobs=[TokenLogprob("x", -0.1, {"x": -0.1, "y": -2.3})])
    assert c.valid and Completion.from_dict(c.to_dict()) == c


def test_fake_model_n_stop_and_max_tokens():
    m = FakeModel(["one two three STOP four", "a b c d e f"])
    [c] = m.chat_sync(USER, stop="STOP")
    assert (c.text, c.finish_reason) == ("one two three ", "stop")
    [c] = m.chat_sync(USER, max_tokens=3)
    assert (c.text, c.finish_reason, c.completion_tokens) == ("a b c", "length", 3)
    m = FakeModel(lambda req, i: f"reply {i} t={req.temperature}")
    outs = m.chat_sync(USER, n=3, temperature=0.7, seed=1)
    assert [o.text for o in outs] == ["reply 0 t=0.7", "reply 1 t=0.7", "reply 2 t=0.7"]


def test_fake_spec_via_load_model():
    m = load_model("fake/x", cache=False, replies=["ok"])
    assert m.chat_sync(USER)[0].text == "ok" and m.spec == "fake/x"


@pytest.mark.parametrize("kwargs,match", [
    ({"messages": "hi"}, "list of"),
    ({"messages": []}, "empty"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "role"),
    ({"messages": [{"role": "user", "content": 3}]}, "content"),
    ({"n": 0}, "n must"),
    ({"temperature": -1}, "temperature"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"stop": [""]}, "stop"),
    ({"seed": 1.5}, "seed"),
    ({"logprobs": 0}, "logprobs"),
    ({"constraint": 3}, "constraint must"),
    ({"constraint": "("}, "does not compile"),
    ({"constraint": {"type": "nonsense"}}, "JSON schema"),
])
def test_bad_requests_raise_clear_errors(kwargs, match):
    m = FakeModel(["x"])
    messages = kwargs.pop("messages", USER)
    with pytest.raises(RequestError, match=match):
        m.chat_sync(messages, **kwargs)


def test_many_coroutines_at_once():
    m = FakeModel(lambda req, i: req.messages[-1]["content"].upper(), delay=0.01)

    async def episode(k: int) -> list[str]:
        seen = []
        for step in range(3):
            [c] = await m.chat([{"role": "user", "content": f"e{k}s{step}"}])
            seen.append(c.text)
        return seen

    async def main():
        return await asyncio.gather(*(episode(k) for k in range(50)))

    outs = asyncio.run(main())
    assert outs == [[f"E{k}S{s}" for s in range(3)] for k in range(50)]
    assert len(m.requests) == 150


class Person(pydantic.BaseModel):
    name: str
    age: int


@pytest.mark.parametrize("constraint,reply,ok,parsed", [
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}, '{"a": 3}', True, {"a": 3}),
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}, '{"a": "x"}', False, None),
    ({"type": "object"}, "not json", False, None),
    (Person, '{"name": "Ann", "age": 3}', True, {"name": "Ann", "age": 3}),
    (r"\d{3}", "123", True, "123"),
    (r"\d{3}", "12a", False, None),
    (["yes", "no"], "no", True, "no"),
    (["yes", "no"], "maybe", False, None),
])
def test_constraints_always_validated(constraint, reply, ok, parsed):
    [c] = FakeModel([reply]).chat_sync(USER, constraint=constraint)
    assert c.valid is ok
    if ok:
        assert c.parsed == parsed and c.error is None
    else:
        assert c.finish_reason == "invalid" and c.parsed is None and c.error


def test_constraint_objects_and_keys():
    assert JsonSchema({"type": "integer"}).key() != JsonSchema({"type": "string"}).key()
    assert Regex("a+").validate("aaa")[0] and not Regex("a+").validate("aab")[0]
    assert Choice(("x", "y")).validate("y") == (True, "y", None)
    [c] = FakeModel(['{"a": 1'], ).chat_sync(USER, max_tokens=2, constraint={"type": "object"})
    assert c.finish_reason == "invalid"
