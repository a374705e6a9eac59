"""The coaching test data: the API test config with a seller badge of an `any` group and the
coaching resources, and the US snapshot of the API tests with S-LATE, an electronics seller
that ships late and leaves contacts unanswered, with two offers (one delivered late)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.builders import (
    offer_counts,
    offer_record,
    seller_counts,
    seller_record,
    write_snapshot_dir,
)
from tests.conftest import FIXTURES, us_snapshot
from trust_signals.domain.snapshots import WINDOWS

COACHING_CONFIG = """
[[badges]]
id = "reliable_seller"
level = "seller"
surfaces = ["spp"]
priority = 30
marketplaces = ["US"]
effective_from = 2026-01-01
enabled = true
copy_key = "badge.reliable_seller"
approval_reference = "TEST-0001-REL"
window = "90d"

[[badges.when.all]]
id = "late"
signal = "seller.late_shipment_rate"
bound = "upper"
comparator = "<"
threshold = 0.05

[[badges.when.all]]

[[badges.when.all.any]]
id = "response"
signal = "seller.contact_response_rate"
bound = "lower"
comparator = ">="
threshold = 0.9
min_sample = 20

[[badges.when.all.any]]
id = "tenure"
signal = "seller.tenure_days"
bound = "point"
comparator = ">="
threshold = 1000

[[coaching.resources]]
defect = "late_shipment"
copy_key = "coaching.fulfillment_program"
link = "https://sellers.example.com/fulfillment"

[[coaching.resources]]
criterion = "seller.contact_response_rate"
copy_key = "coaching.cs_provider"
link = "https://sellers.example.com/customer-service"

"""
FULFILLMENT = {
    "copy_key": "coaching.fulfillment_program",
    "link": "https://sellers.example.com/fulfillment",
}
CS_PROVIDER = {
    "copy_key": "coaching.cs_provider",
    "link": "https://sellers.example.com/customer-service",
}


def coaching_config(path: Path) -> Path:
    """The API test config with COACHING_CONFIG added, written to `path`."""
    text = (FIXTURES / "api_config.toml").read_text()
    marker = "# The last table"
    path.write_text(text.replace(marker, COACHING_CONFIG + marker, 1))
    return path


def late_seller() -> dict[str, Any]:
    """S-LATE: 60 of 354 shipments late and 45 of 90 contacts unanswered over 90 days."""
    windows = {w: seller_counts(w) for w in WINDOWS}
    windows["90d"] = seller_counts("90d", late_shipments=60, contacts_answered_24h=45)
    return seller_record(seller_id="S-LATE", windows=windows)


def coaching_snapshot(directory: Path) -> Path:
    """The US snapshot of the API tests with S-LATE and its offers O-L1 and O-L2 (late)."""
    us_snapshot(directory)
    late = {w: offer_counts(w) for w in WINDOWS}
    late["90d"] = offer_counts("90d", on_time_deliveries=60, late_deliveries=60)
    offers = [
        offer_record(offer_id="O-L1", seller_id="S-LATE"),
        offer_record(offer_id="O-L2", seller_id="S-LATE", windows=late),
    ]
    _extend(directory, [late_seller()], offers)
    return directory


def _extend(directory: Path, sellers: list[Any], offers: list[Any]) -> None:
    """Rewrite a snapshot directory with more records (the manifest follows)."""

    def records(name: str) -> list[Any]:
        return [orjson.loads(line) for line in (directory / name).read_bytes().splitlines()]

    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    write_snapshot_dir(
        directory,
        records("sellers.jsonl") + sellers,
        records("offers.jsonl") + offers,
        marketplace=manifest["marketplace"],
        as_of=manifest["as_of"],
    )
