"""The locustfile runs for a few seconds against gunicorn: every consumer calls, nothing fails."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from load_tests.report import read_locust_stats
from load_tests.server import ROOT, Server, server_env, serving
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import default_config_path, load_config
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.e2e
CONSUMERS = ("search", "pdp", "ranking", "spp", "benchmark")
USERS = 50  # the locustfile's weights give the rarest consumer (2 of 100) one user at 50
RUN_SECONDS = 4


@pytest.fixture
def snapshot_server(tmp_path: Path) -> Iterator[tuple[Path, Server]]:
    """A small generated snapshot, loaded and served by gunicorn with the production config."""
    snapshot = tmp_path / "snapshot"
    dirs = generate_snapshots(
        snapshot, sellers=300, offers=3_000, marketplaces=["US", "DE"], seed=5, as_of=date.today()
    )
    store = SqliteSnapshotStore(tmp_path / "store")
    config = load_config(default_config_path())
    for directory in dirs:
        load_snapshot_dir(store, directory, config)
    with serving(server_env(tmp_path / "store"), tmp_path / "gunicorn.log") as server:
        yield snapshot, server


def test_every_consumer_calls_without_failures(
    snapshot_server: tuple[Path, Server], tmp_path: Path
) -> None:
    snapshot, server = snapshot_server
    command = [str(Path(sys.executable).with_name("locust")), "-f", "load_tests/locustfile.py"]
    command += ["--headless", "--host", server.base_url, "-u", str(USERS), "-r", str(USERS)]
    command += ["-t", f"{RUN_SECONDS}s", "--stop-timeout", "2", "--only-summary"]
    command += ["--csv", str(tmp_path / "locust")]
    env = server_env(tmp_path / "store", {"TRUST_SIGNALS_LOAD_SNAPSHOT": str(snapshot)})
    env["TRUST_SIGNALS_LOAD_USER_RPS"] = "5"
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    stats_path = tmp_path / "locust_stats.csv"
    assert stats_path.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    figures = read_locust_stats(stats_path)
    made = {name: (figures[name].requests > 0) for name in CONSUMERS if name in figures}
    failures = {name: f.failures for name, f in figures.items()}
    assert made == dict.fromkeys(CONSUMERS, True), done.stderr[-3000:]
    assert failures == dict.fromkeys([*CONSUMERS, "total"], 0), done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
