"""Store stages through the real app: programs pooled per stage (checked against a hand
computation from the raw counts) and benchmarks against the same cohort in established stores.

Three stores: US and DE established, IN emerging. The API test config has no shrinkage
(`shrinkage_pseudo_orders = 0`), so a seller's FQ index is its own counts' index.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.builders import offer_record, seller_counts, seller_record, write_snapshot_dir
from tests.conftest import ADMIN_TOKEN, FIXED_NOW, FIXTURES
from trust_signals.api import create_app
from trust_signals.api.responses import BenchmarkResponseSchema, ProgramsResponseSchema
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config
from trust_signals.domain.snapshots import WINDOWS
from trust_signals.service.config_versions import activate_config_file
from trust_signals.store.base import ServingStore
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration
Record = dict[str, Any]

STAGES = {"US": "established", "DE": "established", "IN": "emerging"}
CONFIG_TEXT = (FIXTURES / "api_config.toml").read_text()
WEIGHTS: Mapping[str, Mapping[str, float]] = tomllib.loads(CONFIG_TEXT)["dsi_weights"]
# Each defect type's count in a window's raw counts (the domain brief's FQ and CSQ lists).
DEFECTS: Mapping[str, Mapping[str, Callable[[Record], int]]] = {
    "fq": {
        "late_shipment": lambda c: c["late_shipments"],
        "late_delivery": lambda c: c["late_deliveries"],
        "cancellation": lambda c: c["cancellations"],
        "missing_tracking": lambda c: c["shipments"] - c["shipments_with_valid_tracking"],
        "damaged": lambda c: c["damaged"],
        "not_as_described": lambda c: c["not_as_described"],
        "fq_claim": lambda c: c["fq_claims"],
        "fq_negative_feedback": lambda c: c["fq_negative_feedback"],
    },
    "csq": {
        "unanswered_contact": lambda c: c["contacts"] - c["contacts_answered_24h"],
        "unsatisfactory_contact": lambda c: c["contacts_unsatisfactory"],
        "return_dissatisfaction": lambda c: c["return_dissatisfaction"],
        "cs_claim": lambda c: c["cs_claims"],
        "cs_negative_feedback": lambda c: c["cs_negative_feedback"],
    },
}


def staged_config(stages: Mapping[str, str]) -> str:
    """The API test config with a `[marketplaces.XX]` table naming each store's stage."""
    tables = "".join(f'[marketplaces.{m}]\nstore_stage = "{s}"\n\n' for m, s in stages.items())
    return CONFIG_TEXT.replace("\n[end]\n", f"\n{tables}[end]\n")


def seller(
    seller_id: str,
    marketplace: str,
    category: str,
    *,
    volume: str = "90d",
    first_party: bool = False,
    tenure_days: int = 400,
    **counts: int,
) -> Record:
    """A seller whose 90-day counts are a `volume` window's default counts with `counts`."""
    windows = {w: seller_counts(w) for w in WINDOWS}
    windows["90d"] = seller_counts(volume, **counts)
    return seller_record(
        seller_id=seller_id,
        marketplace=marketplace,
        location=marketplace,
        category_group=category,
        first_party=first_party,
        tenure_days=tenure_days,
        windows=windows,
    )


SELLERS: Mapping[str, list[Record]] = {
    "US": [
        seller("U-1", "US", "electronics"),
        seller("U-2", "US", "electronics", late_deliveries=40, damaged=10),
        seller("U-3", "US", "media", cs_claims=5),
        seller("US-1P", "US", "general", volume="365d", first_party=True),
    ],
    "DE": [
        seller("D-1", "DE", "electronics", late_deliveries=0, late_shipments=0),
        seller("D-2", "DE", "electronics", volume="365d", tenure_days=100),
        seller("D-3", "DE", "media", contacts_answered_24h=60),
    ],
    "IN": [
        seller("I-1", "IN", "electronics", late_deliveries=20),
        seller("I-2", "IN", "electronics", cancellations=30),
        seller("I-3", "IN", "media"),
    ],
}


def pooled_index(sellers: list[Record], family: str, window: str = "90d") -> float:
    """By hand: I = 100 max(0, 1 - sum_k w_k defects_k / orders) over everyone's counts."""
    orders = sum(s["windows"][window]["orders"] for s in sellers)
    weighted = sum(
        WEIGHTS[family][kind] * count(s["windows"][window])
        for s in sellers
        for kind, count in DEFECTS[family].items()
    )
    return 100 * max(0.0, 1 - weighted / orders)


def index_of(seller_id: str) -> float:
    """A seller's own FQ index over 90 days (no shrinkage in this config)."""
    [found] = [s for sellers in SELLERS.values() for s in sellers if s["seller_id"] == seller_id]
    return pooled_index([found], "fq")


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The API test config with US and DE established and IN emerging."""
    path = tmp_path / "config.toml"
    path.write_text(staged_config(STAGES))
    return path


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> ServingStore:
    """The three stores' snapshots loaded and active, on SQLite and on the local Redis."""
    if request.param == "sqlite":
        chosen: ServingStore = SqliteSnapshotStore(Path(settings.store))
    else:
        chosen = request.getfixturevalue("open_redis_store")()
    config = load_config(settings.config)
    for marketplace, sellers in SELLERS.items():
        offers = [offer_record(offer_id=f"{marketplace}-O1", seller_id=sellers[0]["seller_id"])]
        for offer in offers:
            offer["marketplace"] = marketplace
        directory = write_snapshot_dir(
            tmp_path / f"snap-{marketplace}", sellers, offers, marketplace=marketplace
        )
        load_snapshot_dir(chosen, directory, config)
    return chosen


@pytest.fixture
def app(settings: Settings, store: ServingStore) -> Iterator[Flask]:
    yield create_app(settings, store=store, clock=lambda: FIXED_NOW, background_refresh=False)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- programs ---------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["90d", "365d"])
def test_programs_pool_each_stage_order_weighted_over_its_stores(
    client: FlaskClient, window: str
) -> None:
    body = client.get(f"/v1/programs?group_by=store_stage&window={window}").get_json()

    established = SELLERS["US"] + SELLERS["DE"]  # first-party retail included
    emerging = SELLERS["IN"]
    assert body["groups"] == [
        {
            "group": "emerging",
            "marketplaces": ["IN"],
            "sellers": 3,
            "orders": sum(s["windows"][window]["orders"] for s in emerging),
            "fq_index": pytest.approx(pooled_index(emerging, "fq", window), rel=1e-12),
            "csq_index": pytest.approx(pooled_index(emerging, "csq", window), rel=1e-12),
        },
        {
            "group": "established",
            "marketplaces": ["DE", "US"],
            "sellers": 7,
            "orders": sum(s["windows"][window]["orders"] for s in established),
            "fq_index": pytest.approx(pooled_index(established, "fq", window), rel=1e-12),
            "csq_index": pytest.approx(pooled_index(established, "csq", window), rel=1e-12),
        },
    ]
    assert (body["group_by"], body["window"]) == ("store_stage", window)
    assert body["snapshot_ids"] == {m: f"{m}-2026-11-27" for m in ("US", "DE", "IN")}
    assert ProgramsResponseSchema().validate(body) == {}


def test_pooling_is_by_orders_not_an_average_of_the_stores_indices(client: FlaskClient) -> None:
    stores = client.get("/v1/programs?group_by=marketplace").get_json()["groups"]
    stages = client.get("/v1/programs?group_by=store_stage").get_json()["groups"]
    us, de = (next(g for g in stores if g["group"] == m) for m in ("US", "DE"))
    established = stages[1]
    weighted = (us["fq_index"] * us["orders"] + de["fq_index"] * de["orders"]) / (
        us["orders"] + de["orders"]
    )
    # A linear index pooled by orders is the order-weighted mean of the stores' indices,
    # not their plain mean (US has 2,520 orders over 90 days here, DE 2,160).
    assert established["fq_index"] == pytest.approx(weighted, rel=1e-12)
    assert established["fq_index"] != pytest.approx((us["fq_index"] + de["fq_index"]) / 2)


def test_programs_of_one_store_by_stage_is_its_stage_alone(client: FlaskClient) -> None:
    body = client.get("/v1/programs?group_by=store_stage&marketplace=IN").get_json()
    assert [(g["group"], g["marketplaces"], g["sellers"]) for g in body["groups"]] == [
        ("emerging", ["IN"], 3)
    ]
    assert body["snapshot_ids"] == {"IN": "IN-2026-11-27"}


def test_every_program_group_names_the_stores_it_pools(client: FlaskClient) -> None:
    body = client.get("/v1/programs?group_by=first_party").get_json()
    assert [(g["group"], g["marketplaces"], g["sellers"]) for g in body["groups"]] == [
        ("first_party", ["US"], 1),
        ("third_party", ["DE", "IN", "US"], 9),
    ]


def test_a_new_store_stage_is_served_at_once_without_recomputing(
    client: FlaskClient, store: ServingStore, tmp_path: Path
) -> None:
    # Activated without computing any signals for it: a config whose signals were missing
    # would not be served, so the new version answering shows none were needed.
    edited = tmp_path / "all-established.toml"
    edited.write_text(staged_config({**STAGES, "IN": "established"}))
    activation = activate_config_file(store, edited, "TEST-STAGES", "tests")
    reloaded = client.post(
        "/admin/config/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert reloaded.get_json() == {"config_version": activation.config.version}

    body = client.get("/v1/programs?group_by=store_stage").get_json()

    everyone = [s for sellers in SELLERS.values() for s in sellers]
    assert body["config_version"] == activation.config.version
    assert [(g["group"], g["marketplaces"], g["sellers"]) for g in body["groups"]] == [
        ("established", ["DE", "IN", "US"], 10)
    ]
    assert body["groups"][0]["fq_index"] == pytest.approx(pooled_index(everyone, "fq"), rel=1e-12)


# -- benchmarks against the established stores ------------------------------------------


def benchmark(client: FlaskClient, seller_id: str, marketplace: str, query: str) -> Any:
    response = client.get(f"/v1/sellers/{seller_id}/benchmark?marketplace={marketplace}&{query}")
    assert response.status_code == 200
    body = response.get_json()
    assert BenchmarkResponseSchema().validate(body) == {}
    return body


def test_a_seller_compares_with_its_cohort_pooled_over_the_established_stores(
    client: FlaskClient,
) -> None:
    body = benchmark(client, "I-1", "IN", "dimensions=category&compare=established")

    established = body["established"]
    assert (established["marketplaces"], established["cohort"], established["reason"]) == (
        ["DE", "US"],
        {"key": "category=electronics", "size": 4, "sizes": {"DE": 2, "US": 2}},
        None,
    )
    # US's two electronics sellers span [U-2, U-1] and DE's [D-2, D-1], where U-1 and D-2
    # have the same rates: half the pooled cohort is spread evenly over each span, so the
    # quartiles are the spans' midpoints and the median their common end.
    low, middle, high = index_of("U-2"), index_of("U-1"), index_of("D-1")
    assert index_of("D-2") == pytest.approx(middle)
    fq = established["metrics"]["fq_index"]
    assert (fq["cohort_count"], fq["cohort_p25"], fq["cohort_median"], fq["cohort_p75"]) == (
        4,
        pytest.approx((low + middle) / 2),
        pytest.approx(middle),
        pytest.approx((middle + high) / 2),
    )
    # I-1 sits in US's span: F = 1/2 (x - low) / (middle - low), read off a 101-point sketch.
    own = body["metrics"]["fq_index"]["value"]
    assert own == pytest.approx(index_of("I-1"))
    assert fq["percentile"] == pytest.approx(50 * (own - low) / (middle - low), abs=1.0)
    # The seller's own store's cohort is still the main one.
    assert body["cohort"] == {"key": "category=electronics", "withheld": False, "size": 2}


def test_a_cohort_shown_in_one_established_store_only_pools_to_its_own_figures(
    client: FlaskClient,
) -> None:
    # D-2's tenure is 100 days: DE has one electronics seller of 365 days or more, below
    # the minimum of 2, so only US's cohort exists to pool.
    query = "dimensions=tenure,category"
    compared = benchmark(client, "I-1", "IN", f"{query}&compare=established")["established"]
    us = benchmark(client, "U-1", "US", query)

    assert compared["cohort"] == {"key": us["cohort"]["key"], "size": 2, "sizes": {"US": 2}}
    for metric, place in compared["metrics"].items():
        assert {k: v for k, v in place.items() if k != "percentile"} == {
            k: v for k, v in us["metrics"][metric].items() if k.startswith("cohort_")
        }


def test_a_cohort_below_the_minimum_in_every_established_store_is_not_shown(
    client: FlaskClient,
) -> None:
    # One media seller in US and one in DE: each below the minimum of 2, so neither store
    # computed the cohort, and nothing of it is pooled even though together they are 2.
    body = benchmark(client, "I-3", "IN", "dimensions=category&compare=established")
    assert body["established"] == {
        "marketplaces": ["DE", "US"],
        "cohort": None,
        "reason": "cohort below the minimum size (2 sellers) in every established "
        "marketplace; not shown",
        "metrics": {},
    }


def test_an_established_sellers_comparison_includes_its_own_store(client: FlaskClient) -> None:
    body = benchmark(client, "U-1", "US", "dimensions=category&compare=established")
    assert body["established"]["cohort"]["sizes"] == {"DE": 2, "US": 2}


def test_without_compare_a_benchmark_has_no_established_section(client: FlaskClient) -> None:
    assert "established" not in benchmark(client, "I-1", "IN", "dimensions=category")


def test_compare_names_a_store_stage_to_compare_with(client: FlaskClient) -> None:
    response = client.get("/v1/sellers/I-1/benchmark?marketplace=IN&compare=emerging")
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["compare: Must be one of: established."]
