"""The real server under gunicorn with 2 workers: endpoints, and reloads reaching every worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import activate_kill_switch, us_snapshot
from tests.e2e.server import AUDIT, running_service
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import load_config
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RELOAD_BUDGET_SECONDS = 2.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, SqliteSnapshotStore, Path]]:
    """gunicorn with 2 workers over the small snapshots; stopped by its PID afterwards."""
    with running_service(tmp_path, workers=2) as running:
        yield running.base, running.store, running.config_path


def until_every_worker(base: str, check: Callable[[dict], bool]) -> float:  # type: ignore[type-arg]
    """Seconds until both workers answer /v1/status bodies passing `check` (or 10 s)."""
    started = time.monotonic()
    converged: set[int] = set()
    seen: set[int] = set()
    while time.monotonic() - started < 10 and (len(seen) < 2 or converged != seen):
        with requests.Session() as fresh:  # a new connection, so either worker may answer
            body = fresh.get(f"{base}/v1/status", headers=AUDIT, timeout=2).json()
        seen.add(body["pid"])
        if check(body):
            converged.add(body["pid"])
        else:
            converged.discard(body["pid"])
    assert len(seen) == 2, "both workers must answer"
    return time.monotonic() - started


def test_every_endpoint_answers_under_gunicorn(
    server: tuple[str, SqliteSnapshotStore, Path],
) -> None:
    base, _, _ = server
    badges = requests.get(f"{base}/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-2")
    assert [o["badges"][0]["id"] for o in badges.json()["offers"]] == [
        "big_seller",
        "fast_delivery",
    ]
    assert requests.get(f"{base}/v1/offers/O-2?marketplace=US").json()["offer_id"] == "O-2"
    profile = requests.get(f"{base}/v1/sellers/S-BIG/profile?marketplace=US").json()
    assert profile["stats"][1]["display"] == "1,440"
    features = requests.post(
        f"{base}/v1/features", json={"marketplace": "US", "offer_ids": ["O-1"]}
    )
    assert features.json()["missing"] == []
    bench = requests.get(f"{base}/v1/sellers/S-BIG/benchmark?marketplace=US&dimensions=category")
    assert bench.json()["cohort"]["size"] == 2
    programs = requests.get(f"{base}/v1/programs?group_by=marketplace").json()
    assert [g["group"] for g in programs["groups"]] == ["DE", "US"]
    explain = requests.get(f"{base}/v1/explain/sellers/S-BIG?marketplace=US", headers=AUDIT)
    assert requests.get(f"{base}/v1/explain/sellers/S-BIG?marketplace=US").status_code == 401
    assert {r["rule_id"] for r in explain.json()["rules"]} == {"big_seller", "fast_delivery"}
    assert "trust_signals_requests_total" in requests.get(f"{base}/metrics").text
    assert "/v1/badges" in requests.get(f"{base}/openapi.json").json()["paths"]
    bad = requests.get(f"{base}/v1/badges?marketplace=US&surface=banner&offer_ids=O-1")
    assert (bad.status_code, bad.headers["Content-Type"]) == (400, "application/problem+json")
    missing = requests.get(f"{base}/v1/offers/ghost?marketplace=US")
    assert (missing.status_code, missing.json()["code"]) == (404, "offer_not_found")


def test_activation_and_kill_switch_reach_every_worker_within_two_seconds(
    server: tuple[str, SqliteSnapshotStore, Path], tmp_path: Path
) -> None:
    base, store, config_path = server
    config = load_config(config_path)
    load_snapshot_dir(
        store, us_snapshot(tmp_path / "next", as_of="2026-11-28"), config, activate=False
    )
    store.activate("US-2026-11-28")
    elapsed = until_every_worker(
        base, lambda s: s["active"]["US"]["snapshot_id"] == "US-2026-11-28"
    )
    assert elapsed <= RELOAD_BUDGET_SECONDS

    # The kill switch: a new config version activated in the store, as `config activate` does.
    killed = activate_kill_switch(store, config_path)
    elapsed = until_every_worker(base, lambda s: s["config_version"] == killed.config.version)
    assert elapsed <= RELOAD_BUDGET_SECONDS
    for _ in range(6):
        with requests.Session() as fresh:
            body = fresh.get(f"{base}/v1/badges?marketplace=US&surface=pdp&offer_ids=O-1").json()
        assert [b["id"] for b in body["offers"][0]["badges"]] == ["fast_delivery"]
        assert body["snapshot_id"] == "US-2026-11-28"
