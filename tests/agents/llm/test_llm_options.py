"""Backend options: command-line pairs converted to each backend's types, bad names and values refused."""

from __future__ import annotations

import inspect
import re

import pytest

from agents.llm import ModelOptionError, ModelSpecError, parse_model_options, valid_option_names
from agents.llm.options import BACKEND_OPTIONS, check_options


def test_pairs_are_converted_to_the_backend_s_types():
    opts = parse_model_options(["n_threads=1", "n_ctx=4096", "reuse_prefix=off", "flash_attn=true"])
    assert opts == {"n_threads": 1, "n_ctx": 4096, "reuse_prefix": False, "flash_attn": True}
    assert parse_model_options(["n_threads=none"]) == {"n_threads": None}
    assert parse_model_options(["cache=off", "cache_dir=/tmp/x"]) == {"cache": False, "cache_dir": "/tmp/x"}
    opts = parse_model_options(["max_concurrency=4", "timeout=2.5", 'extra_body={"top_k": 5}', "structured=none"],
                               spec="openai/m@http://localhost:8000/v1")
    assert opts == {"max_concurrency": 4, "timeout": 2.5, "extra_body": {"top_k": 5}, "structured": "none"}
    assert parse_model_options(["device=cpu", "dtype=bfloat16"], spec="transformers/x") == {
        "device": "cpu", "dtype": "bfloat16"}


def test_vllm_passes_unknown_names_on_as_engine_arguments():
    opts = parse_model_options(["gpu_memory_utilization=0.3", "enforce_eager=true", "kv_cache_dtype=fp8"],
                               spec="vllm/Qwen/Qwen2.5-0.5B-Instruct")
    assert opts == {"gpu_memory_utilization": 0.3, "enforce_eager": True, "kv_cache_dtype": "fp8"}
    with pytest.raises(ModelOptionError, match="gpu_memory_utilization must be float > 0 <= 1"):
        parse_model_options(["gpu_memory_utilization=1.5"], spec="vllm/x")


def test_an_unknown_name_lists_the_backend_s_options():
    with pytest.raises(ModelOptionError) as e:
        parse_model_options(["n_thread=1"])
    msg = str(e.value)
    assert "did you mean 'n_threads'" in msg
    for name in valid_option_names("llamacpp"):
        assert name in msg
    with pytest.raises(ModelOptionError, match="backend 'transformers' has no option 'n_threads'.*device"):
        parse_model_options(["n_threads=1"], spec="transformers/x")


@pytest.mark.parametrize("pair,why", [
    ("n_threads=-1", "n_threads must be int >= 1 or None"),
    ("n_threads=0", "n_threads must be int >= 1"),
    ("n_threads=two", "n_threads must be int"),
    ("n_ctx=1.5", "n_ctx must be int >= 1"),
    ("n_ctx=none", "n_ctx must be int >= 1 "),
    ("reuse_prefix=maybe", "reuse_prefix must be bool"),
    ("cache=sometimes", "cache must be true or false"),
])
def test_bad_values_are_refused_with_what_is_allowed(pair, why):
    with pytest.raises(ModelOptionError, match=why):
        parse_model_options([pair])


def test_malformed_pairs():
    with pytest.raises(ModelOptionError, match="not name=value"):
        parse_model_options(["n_threads"])
    with pytest.raises(ModelOptionError, match="given twice"):
        parse_model_options(["n_ctx=1", "n_ctx=2"])
    with pytest.raises(ModelSpecError, match="unknown model spec"):
        parse_model_options(["n_ctx=1"], spec="nosuch/thing")
    with pytest.raises(ModelOptionError, match="not a JSON object"):
        parse_model_options(["extra_body=[1]"], spec="openai/m@http://h/v1")
    with pytest.raises(ModelOptionError, match=re.escape("structured must be vllm | openai | none")):
        parse_model_options(["structured=json"], spec="openai/m@http://h/v1")


def test_python_values_pass_and_bools_are_not_numbers():
    assert check_options("llamacpp", {"n_threads": 2, "n_ctx": 512.0, "flash_attn": False}) == {
        "n_threads": 2, "n_ctx": 512, "flash_attn": False}
    with pytest.raises(ModelOptionError, match="n_threads"):
        check_options("llamacpp", {"n_threads": True})
    with pytest.raises(ModelOptionError, match="max_batch"):
        check_options("llamacpp", {"max_batch": 2.5})


def _constructor_options(cls) -> set[str]:
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name != "cache"}


def test_the_tables_match_the_backends_constructors():
    from agents.llm.backends.hf import TransformersModel
    from agents.llm.backends.openai import OpenAIModel
    from agents.llm.backends.vllm import VLLMModel
    from agents.llm.fake import FakeModel

    assert set(BACKEND_OPTIONS["transformers"]) == _constructor_options(TransformersModel)
    assert set(BACKEND_OPTIONS["vllm"]) == _constructor_options(VLLMModel)
    assert set(BACKEND_OPTIONS["openai"]) == _constructor_options(OpenAIModel)
    assert set(BACKEND_OPTIONS["fake"]) == (_constructor_options(FakeModel) - {"spec"}) | {"replies"}
    pytest.importorskip("llama_cpp")
    from agents.llm.backends.llamacpp import LlamaCppModel

    assert set(BACKEND_OPTIONS["llamacpp"]) == _constructor_options(LlamaCppModel)


def test_the_chat_command_refuses_a_misspelled_option_before_loading(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from agents.llm.cli import llm_app

    monkeypatch.setenv("NESY_CACHE_DIR", str(tmp_path / "cache"))
    res = CliRunner().invoke(llm_app, ["chat", "-M", "n_thread=1", "hi"])
    assert res.exit_code == 2 and "did you mean 'n_threads'" in res.output
    assert not (tmp_path / "cache").exists()
