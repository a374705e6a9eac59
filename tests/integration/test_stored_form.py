"""A snapshot stored in another record form is refused with a clear error, never misread."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.builders import offer_record, seller_record
from tests.conftest import us_snapshot
from trust_signals.api import create_app
from trust_signals.config import Settings
from trust_signals.errors import TrustSignalsError
from trust_signals.ingest.loader import load_snapshot
from trust_signals.store.codec import BODY_FORMAT_ARTIFACT, offer_body, seller_body
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration


def test_snapshot_without_the_current_record_form_is_not_served(
    settings: Settings, tmp_path: Path
) -> None:
    store = SqliteSnapshotStore(Path(settings.store))
    load_snapshot(us_snapshot(tmp_path / "us"), store)  # no artifacts: an older loader's output
    with pytest.raises(TrustSignalsError, match="load it again with `trust-signals load --force`"):
        create_app(settings, store=store, background_refresh=False)


def test_snapshot_stored_without_its_offers_by_seller_is_not_served(
    settings: Settings, tmp_path: Path
) -> None:
    store = SqliteSnapshotStore(Path(settings.store))
    writer = store.begin("US-1", "US", date(2026, 11, 27))
    writer.add_sellers([("S-1", seller_body(seller_record()))])
    writer.add_offers([("O-1", "S-1", offer_body(offer_record()))])
    writer.put_artifact(BODY_FORMAT_ARTIFACT, b"positional-1")  # before offers were by seller
    writer.commit()
    store.activate("US-1")

    with pytest.raises(TrustSignalsError, match="positional-1.*load it again with"):
        create_app(settings, store=store, background_refresh=False)
