"""`trust-signals snapshots` and `load` through click's runner, on a real SQLite store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.builders import offer_record, seller_record, write_snapshot_dir
from tests.conftest import FIXTURES, us_snapshot
from trust_signals.cli import main
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration


GRACE_SECONDS = 2.0


def run(tmp_path: Path, *args: str) -> Result:
    env = {
        "TRUST_SIGNALS_STORE": str(tmp_path / "store"),
        "TRUST_SIGNALS_CONFIG": str(FIXTURES / "api_config.toml"),
        "TRUST_SIGNALS_RELOAD_INTERVAL_SECONDS": "0.1",
        "TRUST_SIGNALS_RETIRE_GRACE_SECONDS": str(GRACE_SECONDS),
    }
    return CliRunner().invoke(main, list(args), env=env)


def small_snapshot(tmp_path: Path, as_of: str) -> Path:
    return write_snapshot_dir(tmp_path / as_of, [seller_record()], [offer_record()], as_of=as_of)


def test_load_refuses_to_activate_a_far_smaller_snapshot_unless_allowed(tmp_path: Path) -> None:
    assert run(tmp_path, "load", str(us_snapshot(tmp_path / "us"))).exit_code == 0
    smaller = small_snapshot(tmp_path, "2026-11-28")

    refused = run(tmp_path, "load", str(smaller))
    allowed = run(tmp_path, "snapshots", "activate", "US-2026-11-28", "--allow-shrink")

    assert refused.exit_code == 1
    assert "loaded US-2026-11-28 but not activated" in refused.output
    assert "--allow-shrink" in refused.output
    assert (allowed.exit_code, allowed.output) == (0, "activated US-2026-11-28\n")


def test_deactivate_takes_a_marketplace_off_and_says_what_it_served(tmp_path: Path) -> None:
    run(tmp_path, "load", str(us_snapshot(tmp_path / "us")))

    result = run(tmp_path, "snapshots", "deactivate", "US")
    again = run(tmp_path, "snapshots", "deactivate", "US")

    assert (result.exit_code, result.output) == (0, "deactivated US (was serving US-2026-11-27)\n")
    assert again.exit_code == 1
    assert "marketplace 'US' not found" in again.output
    store = SqliteSnapshotStore(tmp_path / "store")
    assert store.active_snapshots() == {}
    assert store.deactivated_marketplaces() == {"US"}


def test_delete_waits_until_no_worker_can_still_serve_the_snapshot(tmp_path: Path) -> None:
    run(tmp_path, "load", str(us_snapshot(tmp_path / "us")))
    run(tmp_path, "load", str(us_snapshot(tmp_path / "next", as_of="2026-11-28")))

    refused = run(tmp_path, "snapshots", "delete", "US-2026-11-27", "--no-wait")

    assert refused.exit_code == 1
    assert "was active" in refused.output and "too recently" in refused.output
    assert [i.snapshot_id for i in SqliteSnapshotStore(tmp_path / "store").list_snapshots()] == [
        "US-2026-11-28",
        "US-2026-11-27",
    ]

    started = time.monotonic()
    waited = run(tmp_path, "snapshots", "delete", "US-2026-11-27")

    assert waited.exit_code == 0
    assert waited.output.startswith("waiting ")
    assert waited.output.endswith("deleted US-2026-11-27\n")
    assert time.monotonic() - started < GRACE_SECONDS + 1
    assert [i.snapshot_id for i in SqliteSnapshotStore(tmp_path / "store").list_snapshots()] == [
        "US-2026-11-28"
    ]
