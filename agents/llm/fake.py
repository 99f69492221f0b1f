"""A scripted chat model for unit tests of agent control flow (never for results)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agents.llm.base import ChatModel, ChatRequest, Completion


class FakeModel(ChatModel):
    """Replies from a script instead of a model.

    Args:
        replies: Either an iterable of reply strings, consumed in order (one per completion; raises
            ``IndexError`` when exhausted), or a callable ``(request: ChatRequest, i: int) -> str``
            that computes the ``i``-th reply of a request.
        delay: Seconds to sleep per call (lets tests interleave coroutines).
        cache: Optional :class:`~agents.llm.cache.ChatCache`.

    Attributes:
        requests: Every :class:`~agents.llm.base.ChatRequest` received, in order.

    Example:
        >>> m = FakeModel(["def f(x):\\n    return 2*x+1"])
        >>> m.chat_sync([{"role": "user", "content": "f?"}])[0].text[:9]
        'def f(x):'
    """

    def __init__(
        self,
        replies: Iterable[str] | Callable[[ChatRequest, int], str] = (),
        *,
        delay: float = 0.0,
        cache: Any = None,
        spec: str = "fake/scripted",
    ) -> None:
        super().__init__(cache=cache)
        self._fn = replies if callable(replies) else None
        self._queue = [] if callable(replies) else list(replies)
        self.delay = delay
        self.spec = spec
        self.identity = spec
        self.context_length = None
        self.requests: list[ChatRequest] = []

    async def _generate(self, req: ChatRequest) -> list[Completion]:
        self.requests.append(req)
        if self.delay:
            await asyncio.sleep(self.delay)
        out = []
        for i in range(req.n):
            if self._fn is not None:
                text = self._fn(req, i)
            else:
                if not self._queue:
                    raise IndexError(f"FakeModel script exhausted after {len(self.requests) - 1} requests")
                text = self._queue.pop(0)
            text, reason = _apply_stop(text, req.stop)
            words = text.split()
            if not reason and len(words) > req.max_tokens:
                text, reason = " ".join(words[: req.max_tokens]), "length"
            prompt_tokens = sum(len(m["content"].split()) for m in req.messages)
            out.append(Completion(text=text, finish_reason=reason or "stop", prompt_tokens=prompt_tokens,
                                  completion_tokens=min(len(words), req.max_tokens)))
        return out


def _apply_stop(text: str, stops: Sequence[str]) -> tuple[str, str]:
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], "stop") if cut >= 0 else (text, "")
