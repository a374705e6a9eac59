"""Prometheus metrics that stay correct across gunicorn worker processes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# Search budgets are a few ms: resolve the sub-millisecond range, then coarser to 1 s.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    """One app's metrics. With a multiprocess directory every worker writes its own file
    and a scrape of any worker sums them (prometheus_client's multiprocess mode)."""

    def __init__(self, multiprocess_dir: str | None) -> None:
        self._multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "trust_signals_requests",
            "Requests served, by endpoint and status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "trust_signals_request_duration_seconds",
            "Time to answer a request, by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.degraded = Counter(
            "trust_signals_degraded_responses",
            "Responses answered without the store (fail open), by endpoint.",
            ["endpoint"],
            registry=self.registry,
        )
        self.cache = Counter(
            "trust_signals_cache_lookups",
            "Signal cache lookups, by result (hit or miss).",
            ["result"],
            registry=self.registry,
        )
        self._cache_seen = {"hits": 0, "misses": 0}  # this worker's counts already added
        self.snapshot_age = Gauge(
            "trust_signals_active_snapshot_age_seconds",
            "Age of each marketplace's active snapshot (now - as_of).",
            ["marketplace"],
            multiprocess_mode="livemostrecent",
            registry=self.registry,
        )

        self.data_lost = Gauge(
            "trust_signals_marketplace_data_lost",
            "1 while a marketplace is served from the last good view because the store lost "
            "its snapshot (it vanished without a deactivation), else 0.",
            ["marketplace"],
            multiprocess_mode="livemax",
            registry=self.registry,
        )

    def observe(
        self,
        endpoint: str,
        status: int,
        seconds: float,
        cache: Mapping[str, int],
        degraded: bool = False,
    ) -> None:
        """Record one request and the worker's cache counters."""
        self.requests.labels(endpoint, str(status)).inc()
        if degraded:
            self.degraded.labels(endpoint).inc()
        self.latency.labels(endpoint).observe(seconds)
        for result, key in (("hit", "hits"), ("miss", "misses")):
            if added := cache[key] - self._cache_seen[key]:
                self.cache.labels(result).inc(added)
                self._cache_seen[key] = cache[key]

    def render(
        self,
        snapshot_as_of: Mapping[str, datetime],
        lost: Collection[str],
        now: Callable[[], datetime],
    ) -> bytes:
        """The exposition text of every worker's metrics."""
        current = now()
        for marketplace, as_of in snapshot_as_of.items():
            self.snapshot_age.labels(marketplace).set((current - as_of).total_seconds())
            self.data_lost.labels(marketplace).set(1 if marketplace in lost else 0)
        if self._multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self._multiprocess_dir)
        return generate_latest(registry)
