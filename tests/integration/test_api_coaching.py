"""Seller coaching and what-if through the Flask app over real stores (SQLite and Redis).

The test config adds to the API test config a seller badge with an `any` group and the
coaching resources; the US snapshot adds S-LATE, an electronics seller that ships late and
leaves contacts unanswered, with two offers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from tests.builders import (
    offer_counts,
    offer_record,
    seller_counts,
    seller_record,
    write_snapshot_dir,
)
from tests.conftest import FIXTURES, us_snapshot
from trust_signals.api.responses import CoachingResponseSchema, WhatIfResponseSchema
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config
from trust_signals.domain.confidence import wilson_interval
from trust_signals.domain.snapshots import WINDOWS
from trust_signals.store.base import ServingStore
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration
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
LATE_COACHING = "/v1/sellers/S-LATE/coaching?marketplace=US&dimensions=category"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The API test config with a seller badge of an `any` group and coaching resources."""
    text = (FIXTURES / "api_config.toml").read_text()
    marker = "# The last table"
    path = tmp_path / "config.toml"
    path.write_text(text.replace(marker, COACHING_CONFIG + marker, 1))
    return path


def late_seller() -> dict[str, Any]:
    """S-LATE: 60 of 354 shipments late and 45 of 90 contacts unanswered over 90 days."""
    windows = {w: seller_counts(w) for w in WINDOWS}
    windows["90d"] = seller_counts("90d", late_shipments=60, contacts_answered_24h=45)
    return seller_record(seller_id="S-LATE", windows=windows)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> ServingStore:
    """The US snapshot of the API tests and S-LATE with its offers, on each backend."""
    if request.param == "sqlite":
        chosen: ServingStore = SqliteSnapshotStore(Path(settings.store))
    else:
        chosen = request.getfixturevalue("open_redis_store")()
    directory = us_snapshot(tmp_path / "snap-us")
    late = {w: offer_counts(w) for w in WINDOWS}
    late["90d"] = offer_counts("90d", on_time_deliveries=60, late_deliveries=60)
    extra_sellers = [late_seller()]
    extra_offers = [
        offer_record(offer_id="O-L1", seller_id="S-LATE"),
        offer_record(offer_id="O-L2", seller_id="S-LATE", windows=late),
    ]
    _extend(directory, extra_sellers, extra_offers)
    load_snapshot_dir(chosen, directory, load_config(settings.config))
    return chosen


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


def test_coaching_lists_each_condition_of_a_missed_badge(client: FlaskClient) -> None:
    response = client.get(LATE_COACHING)
    assert response.status_code == 200
    body = response.get_json()
    assert CoachingResponseSchema().validate(body) == {}
    assert (body["snapshot_id"], body["marketplace"], body["seller_id"]) == (
        "US-2026-11-27",
        "US",
        "S-LATE",
    )
    assert body["cohort"] == {"key": "category=electronics", "size": 3}
    (badge,) = body["badges"]  # big_seller is held: 1,440 orders over 365 days
    assert (badge["badge_id"], badge["copy_key"], badge["holds"], badge["rule"]) == (
        "reliable_seller",
        "badge.reliable_seller",
        False,
        "all",
    )
    assert badge["groups"] == [
        {
            "path": "when",
            "mode": "all",
            "passes": False,
            "must_pass": 2,
            "failing": ["when.all[0]", "when.all[1]"],
        },
        {
            "path": "when.all[1]",
            "mode": "any",
            "passes": False,
            "must_pass": 1,
            "failing": ["when.all[1].any[0]", "when.all[1].any[1]"],
        },
    ]
    late, response_rate, tenure = badge["criteria"]
    more = late.pop("more_good")
    assert late == {
        "path": "when.all[0]",
        "signal": "seller.late_shipment_rate",
        "window": "90d",
        "bound": "upper",
        "comparator": "<",
        "threshold": 0.05,
        "min_sample": 0,
        "sample": 354,
        "value": pytest.approx(wilson_interval(60, 354, 1.96)[1]),
        "passes": False,
        "max_defects": 9,
        "reason": None,
        "resources": [FULFILLMENT],
    }
    # The engine's bound, one more clean order short of it, and at it.
    assert more["unit"] == "orders"
    assert wilson_interval(60, 354 + more["count"], 1.96)[1] < 0.05
    assert wilson_interval(60, 354 + more["count"] - 1, 1.96)[1] >= 0.05
    assert wilson_interval(9, 354, 1.96)[1] < 0.05 <= wilson_interval(10, 354, 1.96)[1]
    assert response_rate["more_good"]["unit"] == "answered_contacts"
    assert response_rate["resources"] == [CS_PROVIDER]
    assert tenure["reason"] == "seller.tenure_days is not a count: it is met in 600 days"
    assert (tenure["more_good"], tenure["max_defects"], tenure["resources"]) == (None, None, [])


def test_coaching_ranks_what_to_improve_with_its_resources(client: FlaskClient) -> None:
    body = client.get(LATE_COACHING).get_json()
    top = body["opportunities"][:2]
    assert [(o["family"], o["defect"]) for o in top] == [
        ("fq", "late_shipment"),
        ("csq", "unanswered_contact"),
    ]
    assert [o["resources"] for o in top] == [[FULFILLMENT], [CS_PROVIDER]]
    points = [o["index_points"] for o in body["opportunities"]]
    assert points == sorted(points, reverse=True) and points[0] > 0


def test_coaching_counts_the_offers_on_each_offer_badge(client: FlaskClient) -> None:
    body = client.get(LATE_COACHING).get_json()
    assert body["offers"] == [
        {
            "badge_id": "fast_delivery",
            "copy_key": "badge.fast_delivery",
            "holding": 1,
            "not_holding": 1,
            "failing": [
                {"path": "when.all[0]", "signal": "offer.on_time_delivery_rate", "offers": 1}
            ],
        }
    ]


def test_coaching_withholds_a_cohort_below_the_minimum_size(client: FlaskClient) -> None:
    body = client.get("/v1/sellers/S-SMALL/coaching?marketplace=US&dimensions=category").get_json()
    assert body["cohort"] == {"key": "category=media", "size": None}
    assert body["opportunities"] == []
    assert [b["badge_id"] for b in body["badges"]] == ["big_seller", "reliable_seller"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/v1/sellers/ghost/coaching?marketplace=US", 404, "seller_not_found"),
        ("/v1/sellers/S-LATE/coaching?marketplace=FR", 404, "unknown_marketplace"),
        ("/v1/sellers/S-LATE/coaching?marketplace=US&dimensions=colour", 400, "invalid_request"),
        ("/v1/sellers/S-LATE/coaching", 400, "invalid_request"),
        ("/v1/sellers/%20bad/coaching?marketplace=US", 400, "invalid_request"),
    ],
)
def test_coaching_refuses_what_it_cannot_answer(
    client: FlaskClient, url: str, status: int, code: str
) -> None:
    response = client.get(url)
    assert (response.status_code, response.get_json()["code"]) == (status, code)


def what_if(client: FlaskClient, body: dict[str, Any], seller: str = "S-LATE") -> Any:
    return client.post(f"/v1/sellers/{seller}/what-if", json=body)


def test_what_if_projects_indices_percentiles_and_badges(client: FlaskClient) -> None:
    targets = [
        {"defect": "late_shipment", "window": "90d", "count": 9},
        {"defect": "unanswered_contact", "window": "90d", "rate": 0.0},
    ]
    request = {"marketplace": "US", "dimensions": ["category"], "targets": targets}
    response = what_if(client, request)
    assert response.status_code == 200
    body = response.get_json()
    assert WhatIfResponseSchema().validate(body) == {}
    assert (body["seller_id"], body["dimensions"], body["cohort"]) == (
        "S-LATE",
        ["category"],
        {"key": "category=electronics", "size": 3},
    )
    assert body["targets"] == [
        {
            "defect": "late_shipment",
            "window": "90d",
            "count": 9,
            "current_count": 60,
            "opportunities": 354,
        },
        {
            "defect": "unanswered_contact",
            "window": "90d",
            "count": 0,
            "current_count": 45,
            "opportunities": 90,
        },
    ]
    indices = {(i["family"], i["window"]): i for i in body["indices"]}
    assert len(indices) == 6
    for family in ("fq", "csq"):
        assert indices[(family, "90d")]["projected"] > indices[(family, "90d")]["current"]
        assert indices[(family, "30d")]["projected"] == indices[(family, "30d")]["current"]
    fq = next(p for p in body["percentiles"] if p["metric"] == "fq_index")
    assert (fq["window"], fq["projected"] > fq["current"]) == ("90d", True)
    assert body["badges"] == {
        "earned": [{"badge_id": "reliable_seller", "copy_key": "badge.reliable_seller"}],
        "lost": [],
        "kept": [{"badge_id": "big_seller", "copy_key": "badge.big_seller"}],
    }


def test_what_if_in_a_withheld_cohort_has_no_percentile(client: FlaskClient) -> None:
    targets = [{"defect": "damaged", "window": "365d", "count": 0}]
    request = {"marketplace": "US", "dimensions": ["category"], "targets": targets}
    body = what_if(client, request, seller="S-SMALL").get_json()
    assert (body["cohort"], body["percentiles"]) == ({"key": "category=media", "size": None}, [])


@pytest.mark.parametrize(
    ("targets", "errors"),
    [
        (
            [{"defect": "late_shipment", "window": "90d", "count": 355}],
            ["targets[0].count: 355 exceeds the seller's 354 shipments over 90d"],
        ),
        (
            [
                {"defect": "late_shipment", "window": "90d", "count": 1},
                {"defect": "late_shipment", "window": "90d", "rate": 0.1},
            ],
            ["targets[1]: repeats late_shipment over 90d"],
        ),
        (
            [
                {"defect": "late_shipments", "window": "90d", "count": 1},
                {"defect": "damaged", "window": "7d", "count": 1},
                {"defect": "damaged", "window": "90d", "rate": 1.5},
                {"defect": "damaged", "window": "30d"},
                {"defect": "damaged", "window": "30d", "count": -1},
            ],
            [
                "targets[0].defect: Must be one of: late_shipment, late_delivery, cancellation, "
                "missing_tracking, damaged, not_as_described, fq_claim, fq_negative_feedback, "
                "unanswered_contact, unsatisfactory_contact, return_dissatisfaction, cs_claim, "
                "cs_negative_feedback.",
                "targets[1].window: Must be one of: 30d, 90d, 365d.",
                "targets[2].rate: Must be greater than or equal to 0 and less than or equal to 1.",
                "targets[3]: give exactly one of count, rate",
                "targets[4].count: Must be greater than or equal to 0.",
            ],
        ),
        ([], ["targets: Length must be between 1 and 39."]),
    ],
)
def test_what_if_refuses_impossible_targets_naming_each(
    client: FlaskClient, targets: list[Any], errors: list[str]
) -> None:
    response = what_if(client, {"marketplace": "US", "targets": targets})
    assert response.status_code == 400
    assert (response.get_json()["code"], response.get_json()["errors"]) == (
        "invalid_request",
        errors,
    )


def test_what_if_of_an_unknown_seller_is_not_found(client: FlaskClient) -> None:
    targets = [{"defect": "damaged", "window": "90d", "count": 0}]
    response = what_if(client, {"marketplace": "US", "targets": targets}, seller="ghost")
    assert (response.status_code, response.get_json()["code"]) == (404, "seller_not_found")


def test_what_if_needs_a_json_body(client: FlaskClient) -> None:
    response = client.post("/v1/sellers/S-LATE/what-if", data=b"{not json")
    assert (response.status_code, response.get_json()["code"]) == (400, "invalid_json")
