"""OpenAI-compatible servers (``vllm serve``, ``python -m llama_cpp.server``, hosted APIs).

Bounded concurrency (a semaphore), retries with exponential backoff (tenacity) on transient errors
only (connection errors, timeouts, 408/409/429/5xx), vLLM-specific options through ``extra_body``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from agents.llm.base import ChatModel, ChatRequest, Completion, TokenLogprob
from agents.llm.constraints import JsonSchema
from agents.llm.errors import ContextLengthError, RequestError, ServerError


class OpenAIModel(ChatModel):
    """A model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Args:
        model: The model name the server knows.
        base_url: E.g. ``http://localhost:8000/v1`` (default: ``$OPENAI_BASE_URL`` or the OpenAI API).
        api_key: Default ``$OPENAI_API_KEY``, or ``"EMPTY"`` for local servers.
        max_concurrency: Most requests in flight at once.
        max_retries: Retries of a transient failure (so at most ``max_retries + 1`` attempts).
        timeout: Seconds per HTTP request.
        structured: How constraints reach the server: ``"vllm"`` (``extra_body.structured_outputs``),
            ``"openai"`` (``response_format`` JSON schema; other constraints only validated), or
            ``"none"`` (only validated).
        extra_body: Extra JSON fields for every request (vLLM options such as ``top_k``,
            ``repetition_penalty``, ``chat_template_kwargs``).
        backoff: Initial backoff in seconds (doubles per retry, capped at 20 s).
        cache: The disk cache, or ``None``.
    """

    def __init__(self, model: str, base_url: str | None = None, *, api_key: str | None = None,
                 max_concurrency: int = 32, max_retries: int = 4, timeout: float = 120.0,
                 structured: str = "vllm", extra_body: dict[str, Any] | None = None, backoff: float = 0.5,
                 context_length: int | None = None, cache: Any = None) -> None:
        super().__init__(cache=cache)
        import openai

        if structured not in ("vllm", "openai", "none"):
            raise RequestError(f"structured must be 'vllm', 'openai' or 'none', got {structured!r}")
        self._openai = openai
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        self.client = openai.AsyncOpenAI(base_url=self.base_url,
                                         api_key=api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
                                         max_retries=0, timeout=timeout)
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.backoff = backoff
        self.structured = structured
        self.extra_body = dict(extra_body or {})
        self.context_length = context_length
        self.identity = f"openai:{model}@{self.base_url}"
        self.spec = f"openai/{model}@{self.base_url}"
        self._sems: dict[int, asyncio.Semaphore] = {}

    def _sem(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        key = id(loop)
        if key not in self._sems:
            self._sems[key] = asyncio.Semaphore(self.max_concurrency)
        return self._sems[key]

    def request_kwargs(self, req: ChatRequest) -> dict[str, Any]:
        """The keyword arguments of ``client.chat.completions.create`` for a request."""
        kw: dict[str, Any] = dict(model=self.model, messages=list(req.messages), n=req.n,
                                  temperature=req.temperature, max_tokens=req.max_tokens)
        if req.stop:
            kw["stop"] = list(req.stop)
        if req.seed is not None:
            kw["seed"] = req.seed
        if req.logprobs:
            kw["logprobs"] = True
            kw["top_logprobs"] = req.logprobs
        body = dict(self.extra_body)
        if req.constraint is not None:
            if self.structured == "vllm":
                from agents.llm.backends.vllm import structured_outputs

                body["structured_outputs"] = structured_outputs(req.constraint)
            elif self.structured == "openai" and isinstance(req.constraint, JsonSchema):
                kw["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": "reply", "schema": dict(req.constraint.schema)}}
        if body:
            kw["extra_body"] = body
        return kw

    def _transient(self, e: BaseException) -> bool:
        o = self._openai
        if isinstance(e, o.APIConnectionError | o.APITimeoutError | o.RateLimitError | o.InternalServerError):
            return True
        return isinstance(e, o.APIStatusError) and e.status_code in (408, 409, 429) or (
            isinstance(e, o.APIStatusError) and e.status_code >= 500)

    async def _generate(self, req: ChatRequest) -> list[Completion]:
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

        kw = self.request_kwargs(req)
        retrying = AsyncRetrying(stop=stop_after_attempt(self.max_retries + 1),
                                 wait=wait_exponential(multiplier=self.backoff, max=20),
                                 retry=retry_if_exception(self._transient), reraise=True)
        try:
            async with self._sem():
                async for attempt in retrying:
                    with attempt:
                        resp = await self.client.chat.completions.create(**kw)
        except self._openai.BadRequestError as e:
            msg = str(e)
            if "context" in msg.lower() and ("length" in msg.lower() or "window" in msg.lower()):
                raise ContextLengthError(f"{self.spec} rejected the prompt as too long for its context "
                                         f"window: {msg}") from e
            raise RequestError(f"{self.spec} rejected the request: {msg}") from e
        except Exception as e:
            if self._transient(e):
                raise ServerError(f"the server at {self.base_url} (model {self.model!r}) kept failing after "
                                  f"{self.max_retries + 1} attempts: {type(e).__name__}: {e}. Is it running?") from e
            raise
        return self._completions(req, resp)

    def _completions(self, req: ChatRequest, resp: Any) -> list[Completion]:
        usage = getattr(resp, "usage", None)
        n_prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        total = int(getattr(usage, "completion_tokens", 0) or 0)
        choices = sorted(resp.choices, key=lambda c: c.index)
        out = []
        for ch in choices:
            lps = None
            content = getattr(getattr(ch, "logprobs", None), "content", None)
            if req.logprobs and content:
                lps = [TokenLogprob(token=t.token, logprob=float(t.logprob),
                                    top={a.token: float(a.logprob) for a in (t.top_logprobs or [])})
                       for t in content]
            # Servers report usage for all n choices together; per choice it is the share (or the
            # exact count when logprobs were returned).
            n_tok = len(lps) if lps is not None else (total // max(len(choices), 1))
            reason = "length" if ch.finish_reason == "length" else "stop"
            out.append(Completion(text=ch.message.content or "", finish_reason=reason, prompt_tokens=n_prompt,
                                  completion_tokens=n_tok, logprobs=lps))
        if len(out) != req.n:
            raise ServerError(f"{self.spec} returned {len(out)} choices for n={req.n}")
        return out

    async def aclose(self) -> None:
        await self.client.close()
