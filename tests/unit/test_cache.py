"""The per-worker signal cache: bounded by size, least recently used evicted, hits counted."""

from __future__ import annotations

from trust_signals.service.cache import SignalCache

ABSENT = object()


def test_cached_values_come_back_aligned_with_the_keys_and_count_hits_and_misses() -> None:
    cache = SignalCache(10)
    cache.put_many([("a", 1), ("b", 2)])

    assert cache.get_many(["b", "x", "a"], ABSENT) == [2, ABSENT, 1]
    assert cache.stats() == {"size": 2, "maxsize": 10, "hits": 2, "misses": 1}


def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    cache = SignalCache(2)
    cache.put_many([("a", 1), ("b", 2)])
    cache.get_many(["a"], ABSENT)  # b is now the least recently used

    cache.put_many([("c", 3)])

    assert cache.get_many(["a", "b", "c"], ABSENT) == [1, ABSENT, 3]


def test_a_size_of_zero_caches_nothing_and_never_fails() -> None:
    cache = SignalCache(0)
    cache.put_many([("a", 1)])

    assert cache.get_many(["a"], ABSENT) == [ABSENT]
    assert cache.stats()["size"] == 0
