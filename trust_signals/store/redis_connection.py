"""Redis clients for one store: URL parsing, one client per process, driver errors mapped."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.client import Pipeline as SinglePipeline
from redis.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.exceptions import ConnectionError, RedisClusterException, RedisError, TimeoutError
from redis.retry import Retry

from trust_signals.errors import StoreUnavailable

Client: TypeAlias = "redis.Redis | RedisCluster"
Pipeline: TypeAlias = "SinglePipeline | ClusterPipeline"

CLUSTER_SCHEME: Final = "redis+cluster://"
_SINGLE_SCHEMES: Final = ("redis://", "rediss://", "unix://")
# Loads and deletions move megabytes per call; the service's read budget would cut them off.
WRITE_TIMEOUT_SECONDS: Final = 30.0


@contextmanager
def redis_errors(what: str) -> Iterator[None]:
    """Re-raise every redis-py error as StoreUnavailable, so none leave store/."""
    try:
        yield
    except (RedisError, RedisClusterException) as error:
        raise StoreUnavailable(f"redis store: {what}: {error}") from error


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """Where the store lives: one server's URL, or a cluster's startup nodes."""

    url: str
    cluster_nodes: tuple[tuple[str, int], ...] = ()

    @property
    def is_cluster(self) -> bool:
        """True for a Redis Cluster."""
        return bool(self.cluster_nodes)


def parse_store_url(url: str) -> RedisTarget:
    """The target named by `redis://host:port/db` or `redis+cluster://host:port,host:port`."""
    if url.startswith(_SINGLE_SCHEMES):
        return RedisTarget(url)
    if not url.startswith(CLUSTER_SCHEME):
        raise ValueError(f"redis store URL must start with redis:// or {CLUSTER_SCHEME}: {url!r}")
    nodes = []
    for node in url.removeprefix(CLUSTER_SCHEME).rstrip("/").split(","):
        host, _, port = node.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"redis cluster node must be host:port, got {node!r} in {url!r}")
        nodes.append((host, int(port)))
    return RedisTarget(url, tuple(nodes))


class RedisConnector:
    """This process's two clients, built on first use and again after a fork.

    Nothing connects at construction, so a store made before gunicorn forks shares no socket
    with the workers: each worker builds its own pool the first time it asks.
    """

    def __init__(self, target: RedisTarget, *, read_timeout_seconds: float) -> None:
        self.target = target
        self._read_timeout = read_timeout_seconds
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._request: Client | None = None
        self._bulk: Client | None = None

    def request_client(self) -> Client:
        """The client for request-path reads: the store timeout, at most one quick reconnect."""
        self._check_pid()
        if self._request is None:
            with self._lock:
                if self._request is None:
                    self._request = self._built(self._read_timeout, _read_retry())
        return self._request

    def bulk_client(self) -> Client:
        """The client for loads, deletions and streaming: a long timeout, backed-off retries."""
        self._check_pid()
        if self._bulk is None:
            with self._lock:
                if self._bulk is None:
                    timeout = max(self._read_timeout, WRITE_TIMEOUT_SECONDS)
                    self._bulk = self._built(timeout, _write_retry())
        return self._bulk

    def close(self) -> None:
        """Close this process's clients (they are rebuilt if used again)."""
        with self._lock:
            clients, self._request, self._bulk = (self._request, self._bulk), None, None
        for client in clients:
            if client is not None:
                client.close()

    def _check_pid(self) -> None:
        if self._pid != os.getpid():
            # A forked child: drop (never close) the parent's clients, whose sockets it shares.
            with self._lock:
                self._pid, self._request, self._bulk = os.getpid(), None, None

    def _built(self, timeout_seconds: float, retry: Retry) -> Client:
        options: dict[str, Any] = {
            "socket_timeout": timeout_seconds,
            "socket_connect_timeout": timeout_seconds,
            "retry": retry,
        }
        with redis_errors("connect"):
            if not self.target.is_cluster:
                return redis.Redis.from_url(self.target.url, **options)
            nodes = [ClusterNode(host, port) for host, port in self.target.cluster_nodes]
            # The cluster client asks a startup node for the slot map here, so this can fail.
            return RedisCluster(startup_nodes=nodes, **options)


def _read_retry() -> Retry:
    # One immediate retry on a refused or reset connection covers a pooled socket that went
    # stale (server restart, failover); a timeout is not retried, so a hung server costs one
    # timeout. On a cluster the retry also follows a slot that moved.
    return Retry(NoBackoff(), 1, supported_errors=(ConnectionError,))


def _write_retry() -> Retry:
    # Writes are idempotent SETs and scripts that detect their own replay.
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), 3, (ConnectionError, TimeoutError))
