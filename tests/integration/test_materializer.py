"""The materializer over a real SQLite store: on every core or in-process alike, and a new
config served only once its signals are stored; serve-time changes apply at once."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import AUDIT_TOKEN, FIXED_NOW, activate_kill_switch
from trust_signals.api import create_app
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.service.config_versions import activate_config_file, active_config
from trust_signals.service.materializer import materialize_active, materialize_snapshot
from trust_signals.service.signal_rows import OFFERS, SELLERS
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration
SEARCH = "/v1/badges?marketplace=US&surface=search&offer_ids=O-1"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("materializer")
    generate_snapshots(
        out, sellers=300, offers=3_000, marketplaces=["US"], seed=3, as_of=date(2026, 11, 27)
    )
    return out / "US"


def test_rows_computed_on_every_core_equal_rows_computed_in_process(
    tmp_path: Path, generated: Path, config_path: Path
) -> None:
    store = SqliteSnapshotStore(tmp_path / "store")
    config = active_config(store, config_path)
    info = load_snapshot_dir(store, generated, config)
    version = config.for_marketplace("US").signals_version
    sellers = [s.seller_id for s in store.iter_sellers(info.snapshot_id)]
    offers = [o.offer_id for o in store.offers_of_sellers(info.snapshot_id, sellers)]
    in_process = (
        store.get_signal_rows(info.snapshot_id, version, SELLERS, sellers),
        store.get_signal_rows(info.snapshot_id, version, OFFERS, offers),
    )

    store.delete_signals(info.snapshot_id, version)
    done: list[int] = []
    opener = partial(SqliteSnapshotStore, tmp_path / "store")
    materialize_snapshot(store, info, config, open_store=opener, workers=2, progress=done.append)

    assert sum(done) == len(sellers) + len(offers) == 3_300
    assert store.get_signal_rows(info.snapshot_id, version, SELLERS, sellers) == in_process[0]
    assert store.get_signal_rows(info.snapshot_id, version, OFFERS, offers) == in_process[1]


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> tuple[Flask, SqliteSnapshotStore]:
    from tests.conftest import de_snapshot, us_snapshot

    store = SqliteSnapshotStore(Path(settings.store))
    config = active_config(store, settings.config)
    load_snapshot_dir(store, us_snapshot(tmp_path / "us"), config)
    load_snapshot_dir(store, de_snapshot(tmp_path / "de"), config)
    app = create_app(settings, store=store, clock=lambda: FIXED_NOW, background_refresh=False)
    return app, store


def refresh(app: Flask) -> None:
    app.extensions["trust_signals"].signals.refresh()


def test_a_kill_switch_is_served_at_once_without_computing_anything(
    served: tuple[Flask, SqliteSnapshotStore], config_path: Path
) -> None:
    app, store = served
    client = app.test_client()
    versions = store.signal_versions("US-2026-11-27")

    activation = activate_kill_switch(store, config_path)
    refresh(app)

    body = client.get(SEARCH).get_json()
    assert body["config_version"] == activation.config.version
    assert [b["id"] for b in body["offers"][0]["badges"]] == ["fast_delivery"]  # big_seller off
    assert store.signal_versions("US-2026-11-27") == versions


def test_a_config_whose_signals_are_not_stored_is_not_served_until_they_are(
    served: tuple[Flask, SqliteSnapshotStore], config_path: Path, tmp_path: Path
) -> None:
    app, store = served
    client = app.test_client()
    before = client.get(SEARCH).get_json()["config_version"]
    stricter = tmp_path / "stricter.toml"
    text = config_path.read_text()
    stricter.write_text(text.replace("threshold = 1000", "threshold = 100000", 1))
    new = load_config(stricter)
    assert new.base.signals_version != load_config(config_path).base.signals_version

    activate_config_file(store, stricter, "TEST-STRICTER", "tests")  # no signals stored
    refresh(app)
    kept = client.get(SEARCH).get_json()

    materialize_active(store, new)
    refresh(app)
    after = client.get(SEARCH).get_json()

    assert kept["config_version"] == before
    assert kept["offers"][0]["badges"][0]["id"] == "big_seller"
    assert after["config_version"] == new.version
    assert [b["id"] for b in after["offers"][0]["badges"]] == ["fast_delivery"]
    status = client.get("/v1/status", headers={"Authorization": f"Bearer {AUDIT_TOKEN}"})
    assert status.get_json()["config_version"] == new.version


def test_a_store_loaded_without_signals_serves_what_is_ready_and_says_why(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import de_snapshot, us_snapshot

    store = SqliteSnapshotStore(Path(settings.store))
    config = active_config(store, settings.config)
    load_snapshot_dir(store, us_snapshot(tmp_path / "us"), config)
    load_snapshot_dir(store, de_snapshot(tmp_path / "de"), config)
    store.delete_signals("DE-2026-11-27", config.for_marketplace("DE").signals_version)

    app = create_app(settings, store=store, clock=lambda: FIXED_NOW, background_refresh=False)
    client = app.test_client()

    assert client.get(SEARCH).status_code == 200
    de = client.get("/v1/badges?marketplace=DE&surface=search&offer_ids=D-O1")
    assert (de.status_code, de.get_json()["code"]) == (404, "unknown_marketplace")
    assert "trust-signals materialize" in caplog.text
