"""One async chat interface over llama.cpp, transformers, vLLM and OpenAI-compatible servers.

Example::

    import asyncio
    from agents.llm import load_model

    async def main():
        model = load_model("default")               # SmolLM2-135M-Instruct on llama.cpp
        replies = await asyncio.gather(*(model.chat([{"role": "user", "content": q}], max_tokens=32)
                                         for q in ["2+2?", "Capital of France?"]))
        print([r[0].text for r in replies])
        await model.aclose()

    asyncio.run(main())

Everything the evaluation side needs is exported here (specs, options, the cache's counters, the
doctor's llama.cpp line); ``agents.llm.backends`` and ``agents.llm.cache`` are internals.
"""

from agents.llm.backends.llamacpp_buffers import FastKernelsStatus, llamacpp_fast_kernels_status
from agents.llm.base import ChatModel, ChatRequest, Completion, Message, TokenLogprob
from agents.llm.cache import ChatCache, cache_enabled, shared_cache_stats
from agents.llm.constraints import Choice, Constraint, Grammar, JsonSchema, Regex
from agents.llm.errors import (
    BackendUnavailableError,
    ContextLengthError,
    LLMError,
    ModelNotFoundError,
    ModelOptionError,
    ModelSpecError,
    RequestError,
    ServerError,
)
from agents.llm.fake import FakeModel
from agents.llm.models import ALIASES as MODEL_ALIASES
from agents.llm.models import alias_status
from agents.llm.options import valid_option_names
from agents.llm.specs import ModelSpec, default_gguf_path, load_model, parse_model_options, parse_spec, validate_spec
from agents.llm.speed import bench_model

__all__ = [
    "bench_model",
    "MODEL_ALIASES",
    "alias_status",
    "BackendUnavailableError",
    "ChatCache",
    "ChatModel",
    "ChatRequest",
    "Choice",
    "Completion",
    "Constraint",
    "ContextLengthError",
    "FakeModel",
    "FastKernelsStatus",
    "Grammar",
    "JsonSchema",
    "LLMError",
    "Message",
    "ModelNotFoundError",
    "ModelOptionError",
    "ModelSpec",
    "ModelSpecError",
    "Regex",
    "RequestError",
    "ServerError",
    "TokenLogprob",
    "cache_enabled",
    "default_gguf_path",
    "llamacpp_fast_kernels_status",
    "load_model",
    "parse_model_options",
    "parse_spec",
    "shared_cache_stats",
    "valid_option_names",
    "validate_spec",
]
