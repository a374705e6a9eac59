"""A snapshot stored in another record form is refused with a clear error, never misread."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import us_snapshot
from trust_signals.api import create_app
from trust_signals.config import Settings
from trust_signals.errors import TrustSignalsError
from trust_signals.ingest.loader import load_snapshot
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration


def test_snapshot_without_the_current_record_form_is_not_served(
    settings: Settings, tmp_path: Path
) -> None:
    store = SqliteSnapshotStore(Path(settings.store))
    load_snapshot(us_snapshot(tmp_path / "us"), store)  # no artifacts: an older loader's output
    with pytest.raises(TrustSignalsError, match="load it again with `trust-signals load --force`"):
        create_app(settings, store=store, background_refresh=False)
