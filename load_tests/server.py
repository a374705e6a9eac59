"""A gunicorn server under test: start on a free loopback port, watch its workers, stop by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
_APP_BUILD_SECONDS = 2.0  # a worker builds its app (store, config, priors) in well under this


@dataclass(frozen=True, slots=True)
class Server:
    """A running gunicorn master and the URL it answers on."""

    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        """The gunicorn master's PID."""
        return self.process.pid


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """One process's cumulative CPU seconds (user + system) and private resident memory.

    Private (RssAnon): the worker's own heap. Its RSS also counts the pages of the
    memory-mapped snapshot files it has touched, which the OS shares between workers.
    """

    pid: int
    cpu_seconds: float
    rss_bytes: int  # RssAnon


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(store_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without TRUST_SIGNALS_* settings, pointed at `store_dir`."""
    # As production starts it: gunicorn.conf.py names the metrics directory itself.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TRUST_SIGNALS_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env["TRUST_SIGNALS_STORE"] = str(store_dir)
    env.update(extra or {})
    return env


def wait_ready(server: Server, path: str = "/readyz", seconds: float = 60.0) -> None:
    """Block until `path` answers 200; RuntimeError if gunicorn exits, TimeoutError if slow."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}")
        try:
            with urllib.request.urlopen(server.base_url + path, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{server.base_url}{path} not ready after {seconds:.0f} s")


@contextmanager
def serving(
    env: Mapping[str, str],
    log_path: Path,
    *,
    app: str | None = None,
    workers: int = 2,
    extra_args: Sequence[str] = (),
    ready_path: str = "/readyz",
) -> Iterator[Server]:
    """gunicorn with the production gunicorn.conf.py on a free port; stopped by PID on exit."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), *extra_args]
    command += [app] if app else []
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
        server = Server(f"http://127.0.0.1:{port}", process)
        try:
            wait_ready(server, ready_path)
            wait_workers(server, workers)
            yield server
        finally:
            stop(process)


def wait_workers(server: Server, count: int, seconds: float = 30.0) -> None:
    """Block until the master has `count` workers, then give the last one time to build its app.

    gunicorn forks workers one after another and each builds its app after the fork, so the
    first answer to /readyz says nothing about the others.
    """
    deadline = time.monotonic() + seconds
    while len(worker_pids(server.pid)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count} workers not up after {seconds:.0f} s")
        time.sleep(0.1)
    time.sleep(_APP_BUILD_SECONDS)


def stop(process: subprocess.Popen[bytes], grace_seconds: float = 20.0) -> None:
    """SIGTERM the process by its PID, SIGKILL it if it outlives the grace period."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_pids(master_pid: int) -> list[int]:
    """The PIDs of the gunicorn master's live workers (its child processes), sorted."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    if children.exists():
        return sorted(int(p) for p in children.read_text().split())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = _stat_fields(stat.read_text())
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def _stat_fields(text: str) -> list[str]:
    # The command name (field 2) may hold spaces; everything after its ')' splits cleanly.
    return text[text.rindex(")") + 2 :].split()


def sample_process(pid: int) -> ProcessSample:
    """utime + stime (seconds) from /proc/<pid>/stat, RssAnon (bytes) from its status."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat").read_text())
    # After the name: state is index 0, so utime (field 14) is 11 and stime 12.
    ticks = int(fields[11]) + int(fields[12])
    status = Path(f"/proc/{pid}/status").read_text()
    anon_kib = next(line.split()[1] for line in status.splitlines() if line.startswith("RssAnon:"))
    return ProcessSample(pid, ticks / _TICKS_PER_SECOND, int(anon_kib) * 1024)


def sample_workers(master_pid: int) -> dict[int, ProcessSample]:
    """A sample of every live worker, by PID."""
    samples = {}
    for pid in worker_pids(master_pid):
        try:
            samples[pid] = sample_process(pid)
        except (OSError, ValueError):
            continue  # the worker exited between listing and reading
    return samples
