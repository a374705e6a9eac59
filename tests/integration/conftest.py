"""Store fixtures: every backend under a ticking clock; the local Redis (opt-in URL) and a
session cluster, one key prefix per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster

from tests.integration.backends import BACKENDS, Backend, TickingClock, opened_backend
from tests.integration.redis_cluster import redis_cluster_url  # noqa: F401 (a fixture)
from trust_signals.store.redis import RedisSnapshotStore, redis_store_from_url
from trust_signals.store.redis_connection import parse_store_url

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# The contract checks behaviour, not latency: a generous timeout keeps a busy CI box green.
CONTRACT_TIMEOUT_SECONDS = 1.0


@pytest.fixture(scope="session")
def redis_url() -> str:
    """TRUST_SIGNALS_TEST_REDIS_URL, else the local server; skips if nothing answers."""
    url = os.environ.get("TRUST_SIGNALS_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {url}: {error}")
    return url


@contextmanager
def raw_client(url: str) -> Iterator[Any]:
    """A plain redis-py client of a redis:// or redis+cluster:// URL, closed on exit."""
    target = parse_store_url(url)
    nodes = [ClusterNode(host, port) for host, port in target.cluster_nodes]
    client: Any = RedisCluster(startup_nodes=nodes) if nodes else redis.Redis.from_url(url)
    try:
        yield client
    finally:
        client.close()


class RedisStoreOpener:
    """Opens stores on one fresh key prefix; counts and finally deletes that prefix's keys."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"test-{uuid.uuid4().hex}"
        self._opened: list[RedisSnapshotStore] = []

    def __call__(self, **options: Any) -> RedisSnapshotStore:
        options.setdefault("timeout_seconds", CONTRACT_TIMEOUT_SECONDS)
        self._opened.append(redis_store_from_url(self.url, key_prefix=self.prefix, **options))
        return self._opened[-1]

    def keys(self) -> list[bytes]:
        """Every key under the prefix (on every primary of a cluster)."""
        with raw_client(self.url) as client:
            return list(client.scan_iter(match=f"{self.prefix}:*", count=1000))

    def close(self) -> None:
        """Close the stores opened and delete the prefix's keys."""
        for store in self._opened:
            store.close()
        if keys := self.keys():
            with raw_client(self.url) as client:
                client.unlink(*keys)


@pytest.fixture
def open_redis_store(redis_url: str) -> Iterator[RedisStoreOpener]:
    """Opens stores on one fresh key prefix of the local Redis; the prefix is emptied after."""
    opener = RedisStoreOpener(redis_url)
    yield opener
    opener.close()


@pytest.fixture
def open_redis_cluster_store(redis_cluster_url: str) -> Iterator[RedisStoreOpener]:  # noqa: F811
    """Opens stores on one fresh key prefix of the session cluster; emptied after."""
    opener = RedisStoreOpener(redis_cluster_url)
    yield opener
    opener.close()


@pytest.fixture
def clock() -> TickingClock:
    """A clock that moves one second per reading."""
    return TickingClock()


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, clock: TickingClock
) -> Iterator[Backend]:
    """Each backend in turn (memory, SQLite, Redis, Redis Cluster) on the ticking clock."""
    yield from opened_backend(request, tmp_path, clock)
