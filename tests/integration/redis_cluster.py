"""Throwaway redis-server processes on free loopback ports: single servers and a 3-node cluster."""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

_START_SECONDS = 10.0


def free_port() -> int:
    """A loopback port P with P and P + 10000 (a cluster node's bus port) both free now."""
    while True:
        port = random.randrange(20_000, 55_000)  # the bus port must stay below 65536
        if _bindable(port) and _bindable(port + 10_000):
            return port


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def redis_binaries_present() -> bool:
    """True if redis-server and redis-cli are on PATH."""
    return shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None


@dataclass
class LocalRedis:
    """One redis-server child process: nothing on disk, bound to 127.0.0.1."""

    port: int
    directory: Path
    cluster: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its redis:// URL (db 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> LocalRedis:
        """Start the server and wait until it answers PING; returns self."""
        self.directory.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        command += ["--dir", str(self.directory)]
        if self.cluster:
            command += [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                f"nodes-{self.port}.conf",
            ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=self.directory)
        _wait_until(self._answers, f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(
                f"redis-server on port {self.port} exited: {self.process.returncode}"
            )
        return bool(self.client().ping())

    def stop(self) -> None:
        """Kill the process (by its PID) and reap it; harmless if already stopped."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=_START_SECONDS)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its socket but answers nothing (a hung server)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after pause()."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        """A plain client of this one node (1 s timeouts)."""
        return redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)


@dataclass
class LocalCluster:
    """Three LocalRedis primaries (no replicas) joined into one cluster."""

    nodes: list[LocalRedis]

    @property
    def url(self) -> str:
        """Its redis+cluster:// URL naming every node."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)


@contextmanager
def running_server(directory: Path) -> Iterator[LocalRedis]:
    """A fresh redis-server on a free port, killed on exit."""
    server = LocalRedis(free_port(), directory)
    try:
        yield server.start()
    finally:
        server.stop()


@contextmanager
def running_cluster(directory: Path, size: int = 3) -> Iterator[LocalCluster]:
    """A fresh `size`-primary cluster whose state is ok, every process killed on exit."""
    with ExitStack() as stack:
        nodes = []
        for _ in range(size):
            port = free_port()
            node = LocalRedis(port, directory / str(port), cluster=True)
            stack.callback(node.stop)
            nodes.append(node.start())
        addresses = [f"127.0.0.1:{n.port}" for n in nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0"]
            + ["--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=_START_SECONDS * 3,
        )
        for node in nodes:
            _wait_until(lambda n=node: _cluster_ok(n), f"cluster state on port {node.port}")
        yield LocalCluster(nodes)


def _cluster_ok(node: LocalRedis) -> bool:
    return node.client().cluster("info")["cluster_state"] == "ok"


def _wait_until(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + _START_SECONDS
    while True:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {_START_SECONDS} s")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a 3-node cluster started for this test session (skips without redis-server)."""
    if not redis_binaries_present():
        pytest.skip("redis-server/redis-cli not on PATH")
    with running_cluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster.url
