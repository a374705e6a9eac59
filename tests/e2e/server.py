"""The real service under gunicorn, over the small US and DE test snapshots, for e2e tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from load_tests.server import free_port, server_env, stop
from tests.conftest import AUDIT_TOKEN, de_snapshot, us_snapshot
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import load_config
from trust_signals.store.sqlite import SqliteSnapshotStore

ROOT = Path(__file__).resolve().parents[2]
API_CONFIG = ROOT / "tests/fixtures/api_config.toml"
__all__ = ["API_CONFIG", "AUDIT", "RunningService", "free_port", "running_service"]
READY_SECONDS = 30.0
AUDIT = {"Authorization": f"Bearer {AUDIT_TOKEN}"}  # for explanations and status details


@dataclass(frozen=True)
class RunningService:
    """Where the service answers, its store and the config file that seeded the store."""

    base: str
    store: SqliteSnapshotStore
    config_path: Path


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"gunicorn not ready within {READY_SECONDS:.0f} s")


@contextmanager
def running_service(
    directory: Path, *, workers: int, config: str | None = None
) -> Iterator[RunningService]:
    """gunicorn with the production gunicorn.conf.py on a free port; stopped by its PID.

    `config` is the config file's text; the API test config by default.
    """
    config_path = directory / "config.toml"
    config_path.write_text(config or API_CONFIG.read_text())
    store = SqliteSnapshotStore(directory / "store")
    config = load_config(config_path)
    load_snapshot_dir(store, us_snapshot(directory / "us"), config)
    load_snapshot_dir(store, de_snapshot(directory / "de"), config)
    port = free_port()
    env = server_env(
        directory / "store",
        {"TRUST_SIGNALS_CONFIG": str(config_path), "TRUST_SIGNALS_AUDIT_TOKEN": AUDIT_TOKEN},
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with (directory / "gunicorn.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process)
            yield RunningService(base, store, config_path)
        finally:
            stop(process)
