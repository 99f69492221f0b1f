"""Backends of the chat interface; each module imports its heavy package lazily.

:mod:`~agents.llm.backends.queue` holds what the local backends share: the queue of pending requests
and the hand-over of results to the callers' event loops.
"""

from __future__ import annotations

from agents.llm.backends.queue import resolve_from_thread

__all__ = ["resolve_from_thread"]
