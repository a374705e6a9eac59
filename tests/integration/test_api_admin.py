"""Admin endpoints: activation, rollback and config reload (kill switch) through the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.builders import offer_record, seller_record, write_snapshot_dir
from tests.conftest import ADMIN_TOKEN, activate_kill_switch, us_snapshot
from trust_signals.api import create_app
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config, load_settings
from trust_signals.store.base import ServingStore

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SEARCH_O3 = "/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-3"


def o3_badges(client: FlaskClient) -> tuple[str, list[str]]:
    body = client.get(SEARCH_O3).get_json()
    return body["snapshot_id"], [b["id"] for b in body["offers"][1]["badges"]]


def test_admin_is_off_without_a_configured_token(
    tmp_path: Path, config_path: Path, store: ServingStore
) -> None:
    settings = load_settings(
        {"TRUST_SIGNALS_STORE": str(tmp_path / "store"), "TRUST_SIGNALS_CONFIG": str(config_path)}
    )
    client = create_app(settings, store=store, background_refresh=False).test_client()
    assert client.post("/admin/config/reload", headers=AUTH).status_code == 404


def test_admin_needs_the_bearer_token(client: FlaskClient) -> None:
    response = client.post("/admin/config/reload", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_activating_a_new_snapshot_serves_it_and_rollback_restores(
    client: FlaskClient, store: ServingStore, settings: Settings, tmp_path: Path
) -> None:
    fixed = us_snapshot(tmp_path / "next", as_of="2026-11-28", o3_late=False)
    load_snapshot_dir(store, fixed, load_config(settings.config), activate=False)
    assert o3_badges(client) == ("US-2026-11-27", [])

    response = client.post("/admin/snapshots/US-2026-11-28/activate", headers=AUTH)
    assert response.status_code == 200
    assert o3_badges(client) == ("US-2026-11-28", ["fast_delivery"])

    client.post("/admin/snapshots/US-2026-11-27/activate", headers=AUTH)
    assert o3_badges(client) == ("US-2026-11-27", [])


def test_activating_an_unknown_snapshot_is_a_404(client: FlaskClient) -> None:
    response = client.post("/admin/snapshots/US-1999-01-01/activate", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json()["code"] == "snapshot_not_found"


def test_kill_switch_takes_a_badge_off_at_once_even_from_the_cache(
    client: FlaskClient, store: ServingStore, config_path: Path
) -> None:
    before = client.get(SEARCH_O3).get_json()
    assert [b["id"] for b in before["offers"][0]["badges"]] == ["big_seller"]

    activate_kill_switch(store, config_path)
    response = client.post("/admin/config/reload", headers=AUTH)
    after = client.get(SEARCH_O3).get_json()

    assert response.status_code == 200
    assert after["config_version"] == response.get_json()["config_version"]
    assert after["config_version"] != before["config_version"]
    assert [b["id"] for b in after["offers"][0]["badges"]] == ["fast_delivery"]


def test_stored_config_this_version_cannot_read_is_refused_and_the_old_one_keeps_serving(
    client: FlaskClient, store: ServingStore, config_path: Path
) -> None:
    # Stored by another version of the code, say: activation through the CLI validates first.
    version = client.get("/v1/status").get_json()["config_version"]
    text = config_path.read_text().replace("threshold = 0.9", "threshold = 9")
    store.add_config("unreadable", text, "TEST-BAD", "tests")
    store.activate_config("unreadable", "tests")

    response = client.post("/admin/config/reload", headers=AUTH)

    problem = response.get_json()
    assert response.status_code == 422
    assert "badges[1].when.all[0].threshold" in problem["detail"]
    assert client.get(SEARCH_O3).get_json()["config_version"] == version
    status = client.get("/v1/status", headers=AUTH).get_json()
    assert "badges[1].when.all[0].threshold" in status["config_error"]


def test_one_response_never_mixes_configs(
    app: Flask, store: ServingStore, config_path: Path
) -> None:
    # The view is read once per request: a reload between two lookups of one request
    # cannot change what that request computes from.
    service = app.extensions["trust_signals"].signals
    view = service.view()
    activate_kill_switch(store, config_path)
    service.refresh()
    market = view.market("US")
    [(_, badges)] = service.precomputed.badges(view, market, "search", ["O-1"]).offers
    assert [b.id for b in badges] == ["big_seller"]
    assert service.view().config.version != view.config.version


def test_activation_that_would_wipe_most_offers_is_refused_unless_allowed(
    client: FlaskClient, store: ServingStore, settings: Settings, tmp_path: Path
) -> None:
    sellers = [seller_record(seller_id="S-BIG")]
    offer = offer_record(seller_id="S-BIG")
    shrunk = write_snapshot_dir(tmp_path / "shrunk", sellers, [offer], as_of="2026-11-28")
    load_snapshot_dir(store, shrunk, load_config(settings.config), activate=False)

    refused = client.post("/admin/snapshots/US-2026-11-28/activate", headers=AUTH)
    allowed = client.post("/admin/snapshots/US-2026-11-28/activate?allow_shrink=true", headers=AUTH)

    assert (refused.status_code, refused.get_json()["code"]) == (409, "activation_refused")
    assert (
        "has 1 seller, 75.0% fewer than the active US-2026-11-27 (4)"
        in refused.get_json()["detail"]
    )
    assert allowed.status_code == 200
    assert allowed.get_json()["active"]["US"] == "US-2026-11-28"
