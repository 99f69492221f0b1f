"""Backends of the chat interface; each module imports its heavy package lazily."""

from __future__ import annotations

import asyncio
from typing import Any


def resolve_from_thread(loop: asyncio.AbstractEventLoop, future: asyncio.Future, result: Any = None,
                        exc: BaseException | None = None) -> None:
    """Settle ``future`` (owned by ``loop``) from a backend's worker thread.

    Futures are not thread-safe, so the result is handed to the owning loop; a future already settled
    (the caller cancelled) or a loop already closed (the caller is gone) is left alone.
    """
    def settle() -> None:
        if future.done():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the caller's loop is gone
        pass
