"""A bounded, thread-safe, hit-counting cache for computed per-entity signals."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from typing import Any

from cachetools import LRUCache


class SignalCache:
    """LRUCache behind a lock (cachetools caches are not thread-safe), counting hits.

    No expiry: every key names the snapshot, the config version and the day it was computed
    for, so an entry can never be stale, only unused; the size bound evicts it then. An LRU
    lookup costs a fifth of a TTL cache's (no timer, no expiry list) and keeps no
    per-entry link objects for the garbage collector to walk.
    """

    def __init__(self, maxsize: int) -> None:
        self._cache: LRUCache[Hashable, Any] = LRUCache(maxsize)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: Sequence[Hashable], absent: Any) -> list[Any]:
        """Values aligned with `keys`, `absent` where not cached; counts hits and misses."""
        with self._lock:
            get = self._cache.get
            values = [get(key, absent) for key in keys]
            missed = sum(1 for v in values if v is absent)
            self.hits += len(values) - missed
            self.misses += missed
        return values

    def put_many(self, items: Sequence[tuple[Hashable, Any]]) -> None:
        """Store computed values (none with a size of 0: caching is off)."""
        if not self._cache.maxsize:
            return
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
