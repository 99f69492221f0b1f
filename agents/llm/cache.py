"""A content-addressed disk cache of chat replies (diskcache / SQLite).

Key = SHA-256 of (model identity, messages, every generation parameter). Only deterministic requests
(greedy, or sampled with a seed) are cached; unseeded sampling always goes to the model. Switch it off
for one model with ``load_model(..., cache=False)`` (``-M cache=off`` on a command line, through
:func:`~agents.llm.options.parse_model_options`), or for a whole process with ``NESY_CACHE=off``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.llm.base import ChatRequest, Completion

_OFF_VALUES = {"off", "0", "false", "no", "disable", "disabled"}


def cache_disabled_by_env() -> bool:
    """True when ``NESY_CACHE`` is set to off/0/false/no."""
    return os.environ.get("NESY_CACHE", "").strip().lower() in _OFF_VALUES


def cache_enabled(cache: Any = True) -> bool:
    """Whether ``load_model(..., cache=cache)`` puts a disk cache in front of the model.

    ``True`` means the disk cache unless ``NESY_CACHE=off``; ``False``/``None`` never; a
    :class:`ChatCache` always. For run headers that report whether replies may come from the cache.
    """
    if cache is None or cache is False:
        return False
    if cache is True:
        return not cache_disabled_by_env()
    return True


def default_cache_dir() -> Path:
    """``$NESY_CACHE_DIR/llm``, else ``$XDG_CACHE_HOME/nesykit/llm``, else ``~/.cache/nesykit/llm``.

    ``$NESY_CACHE_DIR`` is the root of every nesykit cache (trained CNNs, classifiers), so the LLM
    responses get their own folder under it.
    """
    if os.environ.get("NESY_CACHE_DIR"):
        return Path(os.environ["NESY_CACHE_DIR"]).expanduser() / "llm"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nesykit" / "llm"


def request_key(identity: str, req: ChatRequest) -> str:
    """The content address of a request: hex SHA-256 of its canonical JSON."""
    payload = json.dumps({"model": identity, "messages": list(req.messages), "params": req.cache_params()},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ChatCache:
    """Disk cache of chat replies, safe to share between models, threads and processes.

    Args:
        directory: Where the SQLite file lives (created if missing).
        size_limit: Bytes before least-recently-stored entries are evicted (default 4 GiB).
    """

    def __init__(self, directory: str | os.PathLike | None = None, size_limit: int = 4 << 30) -> None:
        import diskcache

        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._dc = diskcache.Cache(str(self.directory), size_limit=size_limit,
                                   eviction_policy="least-recently-stored")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, identity: str, req: ChatRequest) -> list[Completion] | None:
        """Cached replies of ``req`` (marked ``cached=True``), or ``None``."""
        from dataclasses import replace

        from agents.llm.base import Completion

        value = self._dc.get(request_key(identity, req))
        with self._lock:
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
        return [replace(Completion.from_dict(d), cached=True) for d in value]

    def put(self, identity: str, req: ChatRequest, outs: list[Completion]) -> None:
        """Store the replies of ``req``."""
        self._dc.set(request_key(identity, req), [c.to_dict() for c in outs])

    def stats(self) -> dict[str, Any]:
        """Hits, misses and hit rate since this object was created (for run headers and results)."""
        total = self.hits + self.misses
        return {"hits": self.hits, "misses": self.misses,
                "hit_rate": (self.hits / total) if total else None, "directory": str(self.directory)}

    def info(self) -> dict[str, Any]:
        """Entries and bytes on disk."""
        return {"directory": str(self.directory), "entries": len(self._dc), "bytes": self._dc.volume()}

    def clear(self) -> int:
        """Delete every entry; return how many were removed."""
        return self._dc.clear()

    def close(self) -> None:
        self._dc.close()


_shared: dict[str, ChatCache] = {}


def resolve_cache(cache: Any, cache_dir: str | os.PathLike | None = None) -> ChatCache | None:
    """Turn ``load_model``'s ``cache`` argument into a cache object or ``None``.

    ``True`` gives one shared :class:`ChatCache` per directory, unless ``NESY_CACHE=off``.
    """
    if cache is None or cache is False:
        return None
    if isinstance(cache, ChatCache):
        return cache
    if cache is True:
        if cache_disabled_by_env():
            return None
        directory = str(Path(cache_dir) if cache_dir is not None else default_cache_dir())
        if directory not in _shared:
            _shared[directory] = ChatCache(directory)
        return _shared[directory]
    raise TypeError(f"cache must be True, False, None or a ChatCache, got {type(cache).__name__}")


def shared_cache_stats() -> dict[str, Any]:
    """Hits, misses and hit rate summed over every cache ``load_model(..., cache=True)`` opened in this
    process (for run headers and results, without holding the model objects)."""
    hits = sum(c.hits for c in _shared.values())
    misses = sum(c.misses for c in _shared.values())
    total = hits + misses
    return {"hits": hits, "misses": misses, "hit_rate": (hits / total) if total else None,
            "directories": sorted(_shared)}
