"""Store faults under traffic through gunicorn and a real Redis (see store_faults.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from load_tests.server import server_env, serving
from tests.e2e.store_faults import FAIL_CLOSED, FAIL_OPEN, activate_then_delete, restart_empty
from tests.integration.redis_cluster import redis_binaries_present
from trust_signals.client import TrustSignalsClient

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not redis_binaries_present(), reason="redis-server not installed"),
]
PAUSE_SECONDS = 2.0  # between the restart and the reload
RECOVERY_SECONDS = 3.0  # reload interval (0.5 s) + breaker reset (1 s) + scheduling slack


def test_redis_restarted_empty_degrades_search_and_recovers_after_the_reload(
    tmp_path: Path,
) -> None:
    seen = restart_empty(tmp_path, pause=PAUSE_SECONDS, settle=4.0)
    print(seen.summary())

    fail_open = seen.outcomes(FAIL_OPEN)
    assert set(fail_open) == {"ok", "degraded"}, fail_open  # never a 404 nor a 5xx
    assert fail_open["degraded"] > 0  # the fault did reach the store reads
    assert set(seen.outcomes(FAIL_CLOSED)) <= {"ok", "503 store_unavailable"}
    assert seen.normal_again_at is not None
    assert seen.normal_again_at - seen.since < PAUSE_SECONDS + RECOVERY_SECONDS


def test_deleting_the_snapshot_just_replaced_costs_no_caller_an_answer(tmp_path: Path) -> None:
    seen = activate_then_delete(tmp_path)
    print(seen.summary())

    assert set(seen.outcomes(FAIL_OPEN + FAIL_CLOSED)) == {"ok"}


def test_the_client_fails_open_on_a_service_with_nothing_loaded(tmp_path: Path) -> None:
    env = server_env(tmp_path / "empty-store")
    with (
        serving(env, tmp_path / "gunicorn.log", workers=1, ready_path="/healthz") as server,
        TrustSignalsClient(server.base_url) as client,
    ):
        badges = client.badges("US", "search", ["O-1"])
        offer = client.offer("US", "O-1")
        features = client.features("US", ["O-1"])

    assert (badges.degraded, dict(badges.badges)) == (True, {"O-1": ()})
    assert (offer.degraded, offer.badges) == (True, ())
    assert features.degraded is True
