"""Shared fixtures: a real SQLite store loaded with small known snapshots, the app, a client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.builders import (
    offer_counts,
    offer_record,
    seller_counts,
    seller_record,
    write_snapshot_dir,
)
from trust_signals.api import create_app
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config, load_settings
from trust_signals.domain.snapshots import WINDOWS
from trust_signals.service.config_versions import Activation, activate_config_file
from trust_signals.store.base import ServingStore
from trust_signals.store.sqlite import SqliteSnapshotStore

FIXTURES = Path(__file__).parent / "fixtures"
FIXED_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ADMIN_TOKEN = "test-admin-token"
AUDIT_TOKEN = "test-audit-token"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's TRUST_SIGNALS_* settings."""
    import os

    for name in list(os.environ):
        if name.startswith("TRUST_SIGNALS_") and name != "TRUST_SIGNALS_TEST_REDIS_URL":
            monkeypatch.delenv(name)


def small_seller() -> dict:  # type: ignore[type-arg]
    """A seller with 120 orders in every window: below the big-seller threshold."""
    return seller_record(
        seller_id="S-SMALL",
        category_group="media",
        windows={w: seller_counts("30d") for w in WINDOWS},
    )


def late_offer(offer_id: str = "O-3") -> dict:  # type: ignore[type-arg]
    """An offer delivered late half of the time."""
    late = {w: offer_counts(w) for w in WINDOWS}
    late["90d"] = offer_counts("90d", on_time_deliveries=60, late_deliveries=60)
    return offer_record(offer_id=offer_id, seller_id="S-SMALL", windows=late)


def us_snapshot(directory: Path, as_of: str = "2026-11-27", o3_late: bool = True) -> Path:
    """US: O-1 from a big seller, O-2 on time from a small one, O-3 late (unless not)."""
    sellers = [
        seller_record(seller_id="S-BIG"),
        seller_record(seller_id="S-BIG2"),
        small_seller(),
        seller_record(seller_id="US-1P", first_party=True),
    ]
    offers = [
        offer_record(offer_id="O-1", seller_id="S-BIG"),
        offer_record(offer_id="O-2", seller_id="S-SMALL"),
        late_offer() if o3_late else offer_record(offer_id="O-3", seller_id="S-SMALL"),
    ]
    return write_snapshot_dir(directory, sellers, offers, marketplace="US", as_of=as_of)


EARLIER = "2026-11-20"


def earlier_us_snapshot(directory: Path) -> Path:
    """US a week earlier: S-BIG delivered late more often, S-BIG2 not selling yet."""
    late = {w: seller_counts(w, late_deliveries=10 * (i + 1)) for i, w in enumerate(WINDOWS)}
    sellers = [
        seller_record(seller_id="S-BIG", windows=late),
        seller_record(seller_id="S-SMALL", category_group="media"),
        seller_record(seller_id="US-1P", first_party=True),
    ]
    offers = [offer_record(offer_id="O-1", seller_id="S-BIG")]
    return write_snapshot_dir(directory, sellers, offers, marketplace="US", as_of=EARLIER)


def de_snapshot(directory: Path) -> Path:
    """DE: one seller and one offer."""
    return write_snapshot_dir(
        directory,
        [seller_record(seller_id="D-S1", marketplace="DE", location="DE")],
        [offer_record(offer_id="D-O1", seller_id="D-S1", marketplace="DE")],
        marketplace="DE",
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A private copy of the API test config, which seeds the store (and tests may edit)."""
    path = tmp_path / "config.toml"
    shutil.copy(FIXTURES / "api_config.toml", path)
    return path


def activate_kill_switch(store: ServingStore, config: Path) -> Activation:
    """Activate, as `config activate` does, a copy of `config` with its first badge
    (big_seller in the test config) switched off; the file itself is left as it was."""
    edited = config.with_name(f"killed-{config.name}")
    edited.write_text(config.read_text().replace("enabled = true", "enabled = false", 1))
    return activate_config_file(store, edited, "TEST-EDIT", "tests")


@pytest.fixture
def settings(tmp_path: Path, config_path: Path) -> Settings:
    """Settings naming a fresh SQLite store and the test config, admin and audit on."""
    return load_settings(
        {
            "TRUST_SIGNALS_STORE": str(tmp_path / "store"),
            "TRUST_SIGNALS_CONFIG": str(config_path),
            "TRUST_SIGNALS_ADMIN_TOKEN": ADMIN_TOKEN,
            "TRUST_SIGNALS_AUDIT_TOKEN": AUDIT_TOKEN,
        }
    )


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> ServingStore:
    """A store with the US and DE snapshots loaded and active: every API test runs on a
    SQLite directory and on the local Redis (a fresh key prefix, emptied afterwards)."""
    if request.param == "sqlite":
        chosen: ServingStore = SqliteSnapshotStore(Path(settings.store))
    else:
        chosen = request.getfixturevalue("open_redis_store")()
    config = load_config(settings.config)
    load_snapshot_dir(chosen, us_snapshot(tmp_path / "snap-us"), config)
    load_snapshot_dir(chosen, de_snapshot(tmp_path / "snap-de"), config)
    return chosen


@pytest.fixture
def app(settings: Settings, store: ServingStore) -> Iterator[Flask]:
    """The real app over the real store, at a fixed time, refreshed by the test."""
    yield create_app(settings, store=store, clock=lambda: FIXED_NOW, background_refresh=False)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()
