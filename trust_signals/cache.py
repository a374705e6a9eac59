"""A bounded, thread-safe, hit-counting cache for computed per-entity signals."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from cachetools import TTLCache


class SignalCache:
    """TTLCache behind a lock (cachetools caches are not thread-safe), counting hits."""

    def __init__(self, maxsize: int, ttl_seconds: float, timer: Callable[[], float]) -> None:
        self._cache: TTLCache[Hashable, Any] = TTLCache(maxsize, ttl_seconds, timer=timer)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: Sequence[Hashable], absent: Any) -> list[Any]:
        """Values aligned with `keys`, `absent` where not cached; counts hits and misses."""
        with self._lock:
            cache = self._cache
            values = [cache.get(key, absent) for key in keys]
            missed = sum(1 for v in values if v is absent)
            self.hits += len(values) - missed
            self.misses += missed
        return values

    def put_many(self, items: Sequence[tuple[Hashable, Any]]) -> None:
        """Store computed values."""
        with self._lock:
            for key, value in items:
                self._cache[key] = value

    def stats(self) -> dict[str, int]:
        """Size, capacity, hits and misses."""
        return {
            "size": len(self._cache),
            "maxsize": int(self._cache.maxsize),
            "hits": self.hits,
            "misses": self.misses,
        }
