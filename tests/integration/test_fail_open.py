"""Failing open: a hung or dead Redis store never turns search, PDP or ranking into errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import AUDIT_TOKEN, FIXED_NOW, de_snapshot, us_snapshot
from tests.integration.redis_cluster import LocalRedis, redis_binaries_present, running_server
from trust_signals.api import create_app
from trust_signals.bootstrap import build_store, load_snapshot_dir
from trust_signals.config import Settings, load_config, load_settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not redis_binaries_present(), reason="redis-server not installed"),
]
SEARCH = "/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-2"
BREAKER_RESET_SECONDS = 0.05


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[LocalRedis]:
    with running_server(tmp_path / "redis") as server:
        yield server


def load_both(settings: Settings, tmp_path: Path) -> None:
    store = build_store(settings)
    config = load_config(settings.config)
    load_snapshot_dir(store, us_snapshot(tmp_path / "us"), config, force=True)
    load_snapshot_dir(store, de_snapshot(tmp_path / "de"), config, force=True)


@pytest.fixture
def settings(redis_server: LocalRedis, config_path: Path, tmp_path: Path) -> Settings:
    found = load_settings(
        {
            "TRUST_SIGNALS_STORE": redis_server.url,
            "TRUST_SIGNALS_CONFIG": str(config_path),
            "TRUST_SIGNALS_AUDIT_TOKEN": AUDIT_TOKEN,
            "TRUST_SIGNALS_STORE_TIMEOUT_SECONDS": "0.05",
            "TRUST_SIGNALS_BREAKER_FAILURES": "2",
            "TRUST_SIGNALS_BREAKER_RESET_SECONDS": str(BREAKER_RESET_SECONDS),
        }
    )
    load_both(found, tmp_path)
    return found


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    app = create_app(settings, clock=lambda: FIXED_NOW, background_refresh=False)
    client = app.test_client()
    assert client.get(SEARCH.replace(",O-2", "")).status_code == 200  # O-1 now cached
    return client


def badges(body: dict) -> dict[str, list[str]]:  # type: ignore[type-arg]
    return {o["offer_id"]: [b["id"] for b in o["badges"]] for o in body["offers"]}


def test_hung_store_search_answers_from_cache_and_says_degraded(
    client: FlaskClient, redis_server: LocalRedis
) -> None:
    redis_server.pause()
    try:
        response = client.get(SEARCH)
    finally:
        redis_server.resume()
    body = response.get_json()
    assert response.status_code == 200
    assert badges(body) == {"O-1": ["big_seller"], "O-2": []}
    assert body["missing"] == []
    assert body["degraded"] is True
    assert response.headers["X-Trust-Signals-Degraded"] == "true"


def test_dead_store_gives_default_features_and_an_empty_pdp_never_a_5xx(
    client: FlaskClient, redis_server: LocalRedis
) -> None:
    redis_server.stop()
    features = client.post("/v1/features", json={"marketplace": "US", "offer_ids": ["O-2"]})
    pdp = client.get("/v1/offers/O-2?marketplace=US")
    assert features.status_code == 200
    assert features.get_json()["vectors"] == [[0.0, 0.5, 0.0]]
    assert features.get_json()["missing_mask"] == [[True, True, True]]
    assert features.get_json()["degraded"] is True
    assert pdp.status_code == 200
    assert pdp.get_json()["badges"] == []
    assert pdp.get_json()["degraded"] is True


def test_dead_store_makes_the_service_not_ready_and_spp_a_503(
    client: FlaskClient, redis_server: LocalRedis
) -> None:
    redis_server.stop()
    ready = client.get("/readyz")
    profile = client.get("/v1/sellers/S-SMALL/profile?marketplace=US")
    assert ready.status_code == 503
    assert profile.status_code == 503
    assert profile.get_json()["code"] == "store_unavailable"
    assert profile.headers["Retry-After"] == "1"


def test_dead_store_is_named_to_token_holders_and_the_log_never_to_anyone(
    client: FlaskClient, redis_server: LocalRedis, caplog: pytest.LogCaptureFixture
) -> None:
    address = redis_server.url.removeprefix("redis://").partition("/")[0]
    redis_server.stop()
    anonymous = client.get("/readyz")
    audited = client.get("/readyz", headers={"Authorization": f"Bearer {AUDIT_TOKEN}"})
    status = client.get("/v1/status")

    assert (anonymous.status_code, anonymous.get_json()["code"]) == (503, "not_ready")
    assert anonymous.get_json()["detail"] == "the service cannot serve yet; see its log"
    assert address in audited.get_json()["detail"]
    assert address in caplog.text
    assert address not in status.get_data(as_text=True)
    assert set(status.get_json()) == {"config_version", "active", "lost", "store_breaker"}


def open_the_breaker(client: FlaskClient, redis_server: LocalRedis) -> None:
    """Stop the store and fail as many searches as the breaker takes to open."""
    redis_server.stop()
    for _ in range(2):
        client.get(SEARCH)


def test_breaker_opens_after_failures_and_closes_when_the_store_is_back(
    client: FlaskClient, redis_server: LocalRedis, settings: Settings, tmp_path: Path
) -> None:
    open_the_breaker(client, redis_server)
    assert client.get("/v1/status").get_json()["store_breaker"] == "open"
    degraded_count = client.get("/metrics").get_data(as_text=True)
    assert 'trust_signals_degraded_responses_total{endpoint="/v1/badges"} 2.0' in degraded_count

    redis_server.start()  # a new, empty server on the same port
    load_both(settings, tmp_path)
    time.sleep(BREAKER_RESET_SECONDS * 2)  # the breaker's reset time, in real time
    body = client.get(SEARCH).get_json()
    assert "degraded" not in body
    assert badges(body) == {"O-1": ["big_seller"], "O-2": ["fast_delivery"]}
    assert client.get("/v1/status").get_json()["store_breaker"] == "closed"
    assert client.get("/readyz").status_code == 200


def refresh(client: FlaskClient) -> None:
    """What each worker's background thread does every reload interval."""
    client.application.extensions["trust_signals"].signals.refresh()


def test_a_probe_that_finds_the_store_empty_releases_the_breaker(
    client: FlaskClient, redis_server: LocalRedis, settings: Settings, tmp_path: Path
) -> None:
    open_the_breaker(client, redis_server)
    redis_server.start()  # back, but empty: the probe's answer is "no such snapshot"
    time.sleep(BREAKER_RESET_SECONDS * 2)

    probe = client.get(SEARCH)

    assert probe.status_code == 200 and probe.get_json()["degraded"] is True
    assert client.get("/v1/status").get_json()["store_breaker"] == "closed"
    load_both(settings, tmp_path)
    for path in (
        SEARCH,
        "/v1/sellers/S-SMALL/profile?marketplace=US",
        "/v1/programs?group_by=marketplace",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "degraded" not in response.get_json(), path


def test_store_restarted_empty_keeps_the_last_good_view_degraded_never_a_404(
    client: FlaskClient, redis_server: LocalRedis
) -> None:
    redis_server.stop()
    redis_server.start()  # Redis without persistence: back with no keys at all
    refresh(client)

    search = client.get(SEARCH)
    features = client.post("/v1/features", json={"marketplace": "US", "offer_ids": ["O-2"]})
    pdp = client.get("/v1/offers/O-2?marketplace=US")
    profile = client.get("/v1/sellers/S-SMALL/profile?marketplace=US")
    ready = client.get("/readyz")

    assert search.status_code == 200
    assert badges(search.get_json()) == {"O-1": ["big_seller"], "O-2": []}  # O-1 from cache
    assert search.get_json()["degraded"] is True
    assert (features.status_code, features.get_json()["degraded"]) == (200, True)
    assert features.get_json()["missing_mask"] == [[True, True, True]]
    assert (pdp.status_code, pdp.get_json()["degraded"]) == (200, True)
    assert (profile.status_code, profile.get_json()["code"]) == (503, "store_unavailable")
    assert profile.headers["Retry-After"] == "1"
    assert ready.status_code == 200  # every replica shares the store: pulling them helps none
    assert (ready.get_json()["status"], ready.get_json()["lost"]) == ("degraded", ["DE", "US"])
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'trust_signals_marketplace_data_lost{marketplace="US"} 1.0' in metrics
    status = client.get("/v1/status").get_json()
    assert (status["store_breaker"], status["lost"]) == ("closed", ["DE", "US"])


def test_reloading_after_a_data_loss_serves_normally_again(
    client: FlaskClient, redis_server: LocalRedis, settings: Settings, tmp_path: Path
) -> None:
    redis_server.stop()
    redis_server.start()
    refresh(client)

    load_both(settings, tmp_path)
    refresh(client)

    search = client.get(SEARCH).get_json()
    ready = client.get("/readyz").get_json()
    assert "degraded" not in search
    assert badges(search) == {"O-1": ["big_seller"], "O-2": ["fast_delivery"]}
    assert (ready["status"], ready["lost"]) == ("ready", [])
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'trust_signals_marketplace_data_lost{marketplace="US"} 0.0' in metrics


def test_a_deactivated_marketplace_is_no_longer_served(
    client: FlaskClient, settings: Settings
) -> None:
    build_store(settings).deactivate("US")
    refresh(client)

    search = client.get(SEARCH)
    de = client.get("/v1/badges?marketplace=DE&surface=search&offer_ids=D-O1")

    assert (search.status_code, search.get_json()["code"]) == (404, "unknown_marketplace")
    assert de.status_code == 200
    assert client.get("/readyz").get_json()["lost"] == []


def test_a_store_never_loaded_answers_503_not_a_404(
    redis_server: LocalRedis, config_path: Path
) -> None:
    settings = load_settings(
        {"TRUST_SIGNALS_STORE": redis_server.url, "TRUST_SIGNALS_CONFIG": str(config_path)}
    )
    client = create_app(settings, clock=lambda: FIXED_NOW, background_refresh=False).test_client()

    search = client.get(SEARCH)

    assert (search.status_code, search.get_json()["code"]) == (503, "no_active_snapshot")
    assert search.headers["Retry-After"] == "5"
