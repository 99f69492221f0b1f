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
"""

from agents.llm.base import ChatModel, ChatRequest, Completion, Message, TokenLogprob
from agents.llm.cache import ChatCache, shared_cache_stats
from agents.llm.constraints import Choice, Constraint, Grammar, JsonSchema, Regex
from agents.llm.errors import (
    BackendUnavailableError,
    ContextLengthError,
    LLMError,
    ModelNotFoundError,
    ModelSpecError,
    RequestError,
    ServerError,
)
from agents.llm.fake import FakeModel
from agents.llm.specs import default_gguf_path, load_model, parse_spec

__all__ = [
    "BackendUnavailableError",
    "ChatCache",
    "ChatModel",
    "ChatRequest",
    "Choice",
    "Completion",
    "Constraint",
    "ContextLengthError",
    "FakeModel",
    "Grammar",
    "JsonSchema",
    "LLMError",
    "Message",
    "ModelNotFoundError",
    "ModelSpecError",
    "Regex",
    "RequestError",
    "ServerError",
    "TokenLogprob",
    "default_gguf_path",
    "load_model",
    "parse_spec",
    "shared_cache_stats",
]
