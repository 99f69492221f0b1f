"""The public chat contract every backend implements.

Agents are written as plain sequential coroutines::

    model = load_model("default")
    [reply] = await model.chat([{"role": "user", "content": "Say hi"}], max_tokens=16)
    print(reply.text, reply.finish_reason, reply.completion_tokens)

Many coroutines may call :meth:`ChatModel.chat` at once; each backend gathers what is pending and
decodes it together (llama.cpp: one ``llama_batch`` over several sequences; vLLM: one engine call).

:meth:`ChatModel.chat` is implemented once, here: it checks the arguments, consults the disk cache
(greedy and seeded requests only), calls the backend's :meth:`ChatModel._generate`, and validates the
replies against the ``constraint``. Backends only implement ``_generate``.
"""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from agents.llm.constraints import Constraint, as_constraint
from agents.llm.errors import RequestError

Message = Mapping[str, Any]
"""One chat message in the OpenAI shape: ``{"role": "system"|"user"|"assistant", "content": str}``."""

FinishReason = Literal["stop", "length", "invalid"]

DEFAULT_MAX_TOKENS = 256


@dataclass(frozen=True)
class TokenLogprob:
    """Log-probability of one generated token and the top-k alternatives at that position.

    Attributes:
        token: The generated token's text.
        logprob: Its natural-log probability under the model (before any constraint mask).
        top: Top-k alternatives ``{token_text: logprob}`` at this position (k = the ``logprobs``
            argument of ``chat``); includes the generated token when it is among the top k.
    """

    token: str
    logprob: float
    top: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    """One reply of a chat request.

    Attributes:
        text: The generated text (stop strings removed).
        finish_reason: ``"stop"`` (end of turn or a stop string), ``"length"`` (hit ``max_tokens``), or
            ``"invalid"`` (a ``constraint`` was given and the reply failed validation; see ``error``).
        prompt_tokens: Tokens in the rendered prompt.
        completion_tokens: Tokens generated.
        logprobs: Per generated token, when ``chat(..., logprobs=k)`` asked for them; else ``None``.
        parsed: With a constraint and a valid reply: the parsed JSON value (JSON schema) or the text
            (regex, choice); else ``None``.
        error: Why validation failed (``finish_reason == "invalid"``); else ``None``.
        cached: True when the reply came from the disk cache.
    """

    text: str
    finish_reason: FinishReason | str
    prompt_tokens: int
    completion_tokens: int
    logprobs: list[TokenLogprob] | None = None
    parsed: Any = None
    error: str | None = None
    cached: bool = False

    @property
    def valid(self) -> bool:
        """False only when a constraint was given and the reply failed validation."""
        return self.finish_reason != "invalid"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict (for transcripts and the cache)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Completion:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        if d.get("logprobs") is not None:
            d["logprobs"] = [TokenLogprob(**t) for t in d["logprobs"]]
        return cls(**d)


@dataclass(frozen=True)
class ChatRequest:
    """A checked chat request, as handed to a backend's ``_generate``."""

    messages: tuple[dict[str, Any], ...]
    n: int = 1
    temperature: float = 0.0
    max_tokens: int = DEFAULT_MAX_TOKENS
    stop: tuple[str, ...] = ()
    seed: int | None = None
    constraint: Constraint | None = None
    logprobs: int | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    @property
    def deterministic(self) -> bool:
        """Greedy or seeded: the same request gives the same replies (so it may be cached)."""
        return self.greedy or self.seed is not None

    def cache_params(self) -> dict[str, Any]:
        """All generation parameters, as part of the cache key."""
        return {
            "n": self.n,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": list(self.stop),
            "seed": self.seed,
            "constraint": None if self.constraint is None else self.constraint.key(),
            "logprobs": self.logprobs,
        }


def check_messages(messages: Any) -> tuple[dict[str, Any], ...]:
    """Check that ``messages`` is a non-empty list of OpenAI-shape messages; return a frozen copy."""
    if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Sequence):
        raise RequestError(
            "messages must be a list of {'role': ..., 'content': ...} dicts, got "
            f"{type(messages).__name__}; wrap a prompt as [{{'role': 'user', 'content': prompt}}]"
        )
    if not messages:
        raise RequestError("messages is empty; give at least one {'role': 'user', 'content': ...}")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping):
            raise RequestError(f"messages[{i}] must be a dict with 'role' and 'content', got {m!r:.80}")
        role, content = m.get("role"), m.get("content")
        if role not in ("system", "user", "assistant", "tool"):
            raise RequestError(
                f"messages[{i}]['role'] is {role!r}; expected 'system', 'user', 'assistant' or 'tool'"
            )
        if not isinstance(content, str):
            raise RequestError(f"messages[{i}]['content'] must be a str, got {type(content).__name__}")
        out.append(dict(m))
    return tuple(out)


class ChatModel(ABC):
    """An async chat model. Subclasses implement :meth:`_generate` (and optionally :meth:`aclose`).

    Attributes:
        spec: The spec string this model was loaded from (e.g. ``"llamacpp/default"``).
        identity: What identifies the weights for the cache (path + size + mtime, or model id).
        context_length: Context window in tokens (prompt + generated), or ``None`` if unknown.
        cache: The :class:`agents.llm.cache.ChatCache` in front of this model, or ``None``.
    """

    spec: str = "?"
    identity: str = "?"
    context_length: int | None = None

    def __init__(self, *, cache: Any = None) -> None:
        self.cache = cache

    async def chat(
        self,
        messages: Sequence[Message],
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        constraint: Any = None,
        logprobs: int | None = None,
    ) -> list[Completion]:
        """Generate ``n`` replies to ``messages``.

        Args:
            messages: OpenAI-shape messages (``[{"role": "user", "content": "..."}]``).
            n: Number of replies (sampled independently; with ``temperature=0`` they are equal).
            temperature: 0 for greedy decoding.
            max_tokens: Most tokens to generate per reply.
            stop: A stop string or a list of them; the reply ends before the first occurrence.
            seed: Seed for sampling (the same seed gives the same replies; replies ``i`` use ``seed+i``
                on backends without a native per-request ``n``).
            constraint: A JSON schema (dict or pydantic model class), a regex (``str`` or
                :class:`~agents.llm.constraints.Regex`), a list of choices, or a
                :class:`~agents.llm.constraints.Grammar` (GBNF). Mapped to native constrained
                decoding and always validated; a reply that fails has ``finish_reason == "invalid"``.
            logprobs: If set to k >= 1, return the top-k log-probabilities of each generated token.

        Returns:
            ``n`` :class:`Completion` objects.

        Raises:
            RequestError: Malformed messages or parameters.
            ContextLengthError: The prompt plus ``max_tokens`` does not fit the context window.
            ServerError: (``openai`` backend) the server kept failing after bounded retries.
        """
        req = self.make_request(messages, n, temperature, max_tokens, stop, seed, constraint, logprobs)
        cache = self.cache if req.deterministic else None
        if cache is not None:
            hit = cache.get(self.identity, req)
            if hit is not None:
                return hit
        outs = await self._generate(req)
        if len(outs) != req.n:  # a backend bug, never a user error
            raise RuntimeError(f"{type(self).__name__} returned {len(outs)} completions for n={req.n}")
        if req.constraint is not None:
            outs = [req.constraint.validate_completion(c) for c in outs]
        if cache is not None:
            cache.put(self.identity, req, outs)
        return outs

    def chat_sync(self, messages: Sequence[Message], **kwargs: Any) -> list[Completion]:
        """Blocking convenience wrapper around :meth:`chat` (not for use inside a running loop)."""
        return asyncio.run(self.chat(messages, **kwargs))

    @staticmethod
    def make_request(
        messages: Sequence[Message],
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        constraint: Any = None,
        logprobs: int | None = None,
    ) -> ChatRequest:
        """Check the arguments of :meth:`chat` and freeze them into a :class:`ChatRequest`."""
        msgs = check_messages(messages)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise RequestError(f"n must be an int >= 1, got {n!r}")
        if not isinstance(temperature, int | float) or not math.isfinite(temperature) or temperature < 0:
            raise RequestError(f"temperature must be a finite number >= 0, got {temperature!r}")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise RequestError(f"max_tokens must be an int >= 1, got {max_tokens!r}")
        if stop is None:
            stops: tuple[str, ...] = ()
        elif isinstance(stop, str):
            stops = (stop,)
        else:
            stops = tuple(stop)
        if any(not isinstance(s, str) or not s for s in stops):
            raise RequestError(f"stop must be a non-empty string or a list of them, got {stop!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise RequestError(f"seed must be an int or None, got {seed!r}")
        if logprobs is not None and (not isinstance(logprobs, int) or isinstance(logprobs, bool)
                                     or not 1 <= logprobs <= 20):
            raise RequestError(f"logprobs must be an int in 1..20 or None, got {logprobs!r}")
        return ChatRequest(
            messages=msgs, n=n, temperature=float(temperature), max_tokens=max_tokens, stop=stops,
            seed=seed, constraint=as_constraint(constraint), logprobs=logprobs,
        )

    @abstractmethod
    async def _generate(self, req: ChatRequest) -> list[Completion]:
        """Produce ``req.n`` raw completions (constraint decoding applied, validation not yet)."""

    def cache_stats(self) -> dict[str, Any]:
        """Cache hits/misses of this model object (for run headers); empty dict without a cache."""
        return {} if self.cache is None else self.cache.stats()

    async def aclose(self) -> None:  # noqa: B027 - backends without resources need not override it
        """Release the backend (threads, engine, HTTP client). Safe to call twice."""

    def close(self) -> None:
        """Blocking :meth:`aclose`."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(self.aclose())
            return
        raise RuntimeError("close() called inside a running event loop; use 'await model.aclose()'")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


__all__ = [
    "ChatModel",
    "ChatRequest",
    "Completion",
    "DEFAULT_MAX_TOKENS",
    "Message",
    "TokenLogprob",
    "check_messages",
]
