"""The queue of pending requests that every local backend hands to its decoder.

Coroutines (one event loop, or several in several threads) put :class:`Job` objects in a
:class:`JobQueue` and await their futures; one consumer takes them: the worker thread of llama.cpp and
transformers, or vLLM's flusher task. The queue keeps what all three need to agree on: futures are
settled on the loop that owns them (they are not thread-safe), a cancelled request is skipped, a closed
or failed queue refuses new work with an :class:`~agents.llm.errors.LLMError`, and whatever is still
pending when the consumer stops is failed rather than left to hang.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from agents.llm.base import ChatRequest
from agents.llm.errors import LLMError


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


@dataclass(eq=False)
class Job:
    """One pending request and the future its caller awaits.

    Backends subclass it to carry what their decoder needs (prompt tokens, a grammar). It must be
    created inside the caller's coroutine: the future belongs to the running loop.

    Attributes:
        req: The checked request.
        future: Settled with the backend's result (or error) through :meth:`resolve`.
        loop: The caller's event loop.
    """

    req: ChatRequest
    future: asyncio.Future = field(init=False, repr=False)
    loop: asyncio.AbstractEventLoop = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.future = self.loop.create_future()

    @property
    def cancelled(self) -> bool:
        """True when the caller gave up (its task was cancelled): the work can be dropped."""
        return self.future.cancelled()

    def resolve(self, result: Any = None, exc: BaseException | None = None) -> None:
        """Hand ``result`` (or raise ``exc``) to the caller; safe from any thread, at most once."""
        resolve_from_thread(self.loop, self.future, result, exc)


J = TypeVar("J", bound=Job)


class JobQueue(Generic[J]):
    """Pending jobs of one model, from any number of callers to one consumer.

    Args:
        name: What the errors call the model (its spec).

    Attributes:
        pending: The waiting jobs, oldest first. The consumer may read and edit it while it holds
            :meth:`locked` (llama.cpp admits jobs out of order to share prompt prefixes).
        closed: Set by :meth:`close`; no job is accepted after it.
        failure: Set by :meth:`fail`: the consumer died and every later request fails with it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.pending: deque[J] = deque()
        self.closed = False
        self.failure: BaseException | None = None
        self._cv = threading.Condition()

    @contextmanager
    def locked(self) -> Iterator[JobQueue[J]]:
        """Hold the queue's lock (for the consumer's reads and edits of :attr:`pending`)."""
        with self._cv:
            yield self

    def put(self, job: J) -> None:
        """Queue ``job`` and wake the consumer.

        Raises:
            LLMError: The queue is closed, or its consumer failed.
        """
        with self._cv:
            self._check_open()
            self.pending.append(job)
            self._cv.notify()

    async def submit(self, job: J) -> Any:
        """Queue ``job`` and wait for its result (what the consumer passed to :meth:`Job.resolve`)."""
        self.put(job)
        return await job.future

    def _check_open(self) -> None:
        if self.failure is not None:
            raise LLMError(f"the decoder of {self.name} failed earlier: {self.failure!r}")
        if self.closed:
            raise LLMError(f"{self.name} is closed")

    def wait(self, busy: Callable[[], bool] | None = None) -> bool:
        """Block until a job is pending, ``busy()`` is true, or the queue is closed (hold :meth:`locked`).

        ``busy`` says whether the consumer still has work of its own (llama.cpp's running sequences),
        so it keeps stepping without new jobs.

        Returns:
            False once the queue is closed: the consumer should stop.
        """
        while not self.closed and not self.pending and not (busy is not None and busy()):
            self._cv.wait()
        return not self.closed

    def take(self, limit: int, accept: Callable[[J], bool] | None = None) -> list[J]:
        """Remove and return up to ``limit`` pending jobs, oldest first, skipping cancelled ones.

        With ``accept``, only jobs it accepts are taken (the others keep their place), so a consumer
        can gather the jobs that fit one batch.
        """
        taken: list[J] = []
        for job in list(self.pending):
            if len(taken) >= limit:
                break
            if job.cancelled:
                self.pending.remove(job)
            elif accept is None or accept(job):
                self.pending.remove(job)
                taken.append(job)
        return taken

    def close(self) -> None:
        """Refuse new jobs and wake the consumer so that it can stop."""
        with self._cv:
            self.closed = True
            self._cv.notify_all()

    def drain(self) -> list[J]:
        """Remove and return every pending job (for the consumer to fail them on its way out)."""
        with self._cv:
            jobs = list(self.pending)
            self.pending.clear()
            return jobs

    def fail(self, exc: BaseException) -> list[J]:
        """Record that the consumer died of ``exc``; return the pending jobs, now removed."""
        with self._cv:
            self.failure = exc
        return self.drain()


__all__ = ["Job", "JobQueue", "resolve_from_thread"]
