"""The read API through the Flask test client over a real SQLite store."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import ADMIN_TOKEN, AUDIT_TOKEN
from trust_signals.api.responses import (
    BadgesResponseSchema,
    FeaturesResponseSchema,
    OfferResponseSchema,
    ProfileResponseSchema,
)

pytestmark = pytest.mark.integration
BIG = {"id": "big_seller", "copy_key": "badge.big_seller", "level": "seller"}
FAST = {"id": "fast_delivery", "copy_key": "badge.fast_delivery", "level": "offer"}
AUDIT = {"Authorization": f"Bearer {AUDIT_TOKEN}"}


def badges_of(body: dict) -> dict[str, list[str]]:  # type: ignore[type-arg]
    return {o["offer_id"]: [b["id"] for b in o["badges"]] for o in body["offers"]}


def test_search_badges_respect_priority_and_the_one_badge_cap(client: FlaskClient) -> None:
    response = client.get("/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-2,O-3")
    assert response.status_code == 200
    body = response.get_json()
    assert body["offers"] == [
        {"offer_id": "O-1", "badges": [BIG]},
        {"offer_id": "O-2", "badges": [FAST]},
        {"offer_id": "O-3", "badges": []},
    ]
    assert body["missing"] == []
    assert body["snapshot_id"] == "US-2026-11-27"
    assert len(body["config_version"]) == 12
    assert BadgesResponseSchema().validate(body) == {}


def test_pdp_surface_shows_several_badges_in_priority_order(client: FlaskClient) -> None:
    body = client.get("/v1/badges?marketplace=US&surface=pdp&offer_ids=O-1").get_json()
    assert badges_of(body) == {"O-1": ["big_seller", "fast_delivery"]}


def test_unknown_offer_ids_are_listed_as_missing_not_errors(client: FlaskClient) -> None:
    body = client.get("/v1/badges?marketplace=US&surface=search&offer_ids=nope,O-2").get_json()
    assert badges_of(body) == {"O-2": ["fast_delivery"]}
    assert body["missing"] == ["nope"]


def test_post_badges_answers_like_get(client: FlaskClient) -> None:
    posted = client.post(
        "/v1/badges", json={"marketplace": "US", "surface": "search", "offer_ids": ["O-1", "O-3"]}
    ).get_json()
    got = client.get("/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-3").get_json()
    assert posted == got


def test_badge_not_approved_in_a_marketplace_is_never_shown(client: FlaskClient) -> None:
    # The DE seller has 1,440 orders in 365 days, but big_seller is approved in US only.
    body = client.get("/v1/badges?marketplace=DE&surface=pdp&offer_ids=D-O1").get_json()
    assert badges_of(body) == {"D-O1": ["fast_delivery"]}


def test_pdp_offer_has_its_badges_and_a_name_free_seller_summary(client: FlaskClient) -> None:
    response = client.get("/v1/offers/O-2?marketplace=US")
    body = response.get_json()
    assert response.status_code == 200
    assert body["badges"] == [FAST]
    assert body["seller"]["seller_id"] == "S-SMALL"
    # S-SMALL has 120 orders per window: below the on-time stat's 200 minimum, so only the
    # order count passes the display rules.
    assert [s["id"] for s in body["seller"]["stats"]] == ["orders"]
    assert OfferResponseSchema().validate(body) == {}


def test_seller_profile_stats_carry_display_sample_and_window(client: FlaskClient) -> None:
    body = client.get("/v1/sellers/S-BIG/profile?marketplace=US").get_json()
    on_time, orders = body["stats"]
    # 90d: 360 orders, 12 late -> 348/360 = 96.67 %, floored.
    assert on_time == {
        "id": "on_time_delivery",
        "value": pytest.approx(348 / 360),
        "display": "96 %",
        "sample_size": 360,
        "window": "90d",
        "withheld": False,
        "withheld_reason": None,
    }
    assert orders["display"] == "1,440"
    assert body["badges"] == [BIG]
    assert ProfileResponseSchema().validate(body) == {}


def test_stat_below_minimum_sample_is_withheld_never_zero(client: FlaskClient) -> None:
    stats = client.get("/v1/sellers/S-SMALL/profile?marketplace=US").get_json()["stats"]
    assert stats[0]["id"] == "on_time_delivery"
    assert stats[0]["withheld"] is True
    assert stats[0]["display"] is None
    assert stats[0]["value"] is None


def test_features_are_in_schema_order_with_a_missing_mask(client: FlaskClient) -> None:
    body = client.post(
        "/v1/features", json={"marketplace": "US", "offer_ids": ["O-3", "ghost"]}
    ).get_json()
    assert body["feature_names"] == [
        "offer_orders_90d_log",
        "offer_on_time_point",
        "seller_tenure_days",
    ]
    assert body["vectors"][0] == [pytest.approx(4.795790545596741), 0.5, 400.0]
    assert body["missing_mask"] == [[False, False, False], [True, True, True]]
    assert body["vectors"][1] == [0.0, 0.5, 0.0]
    assert body["missing"] == ["ghost"]
    assert body["schema_version"].startswith("fs-")
    assert FeaturesResponseSchema().validate(body) == {}


def test_features_are_deterministic_for_a_snapshot_and_schema(client: FlaskClient) -> None:
    request = {"marketplace": "US", "offer_ids": ["O-1", "O-2", "O-3"]}
    first = client.post("/v1/features", json=request).get_json()
    second = client.post("/v1/features", json=request).get_json()
    assert first == second


def test_benchmark_against_a_cohort_and_first_party(client: FlaskClient) -> None:
    body = client.get("/v1/sellers/S-BIG/benchmark?marketplace=US&dimensions=category").get_json()
    assert body["cohort"] == {"key": "category=electronics", "withheld": False, "size": 2}
    fq = body["metrics"]["fq_index"]
    assert fq["cohort_median"] == pytest.approx(fq["value"])  # both electronics sellers alike
    assert body["first_party"][0]["seller_id"] == "US-1P"
    assert body["improvement_opportunities"] == []


def test_benchmark_withholds_a_cohort_below_minimum_size(client: FlaskClient) -> None:
    body = client.get("/v1/sellers/S-SMALL/benchmark?marketplace=US&dimensions=category").get_json()
    assert body["cohort"] == {
        "key": "category=media",
        "withheld": True,
        "reason": "cohort below the minimum size; not shown",
    }
    assert "percentile" not in body["metrics"]["fq_index"]


def test_benchmark_compared_with_established_stores_when_none_is_served(
    client: FlaskClient,
) -> None:
    # The API test config places no store, so US and DE are both emerging.
    body = client.get(
        "/v1/sellers/S-BIG/benchmark?marketplace=US&dimensions=category&compare=established"
    ).get_json()
    assert body["established"] == {
        "marketplaces": [],
        "cohort": None,
        "reason": "no established marketplace is served",
        "metrics": {},
    }
    assert body["cohort"]["withheld"] is False  # the store's own cohort is still shown


def test_stores_without_a_stage_pool_as_emerging(client: FlaskClient) -> None:
    body = client.get("/v1/programs?group_by=store_stage").get_json()
    sides = client.get("/v1/programs?group_by=marketplace").get_json()["groups"]
    [emerging] = body["groups"]
    assert (emerging["group"], emerging["marketplaces"], emerging["sellers"]) == (
        "emerging",
        ["DE", "US"],
        sum(g["sellers"] for g in sides),
    )
    assert emerging["orders"] == sum(g["orders"] for g in sides)


def test_programs_pool_orders_per_group(client: FlaskClient) -> None:
    body = client.get("/v1/programs?marketplace=US&group_by=first_party").get_json()
    groups = {g["group"]: g for g in body["groups"]}
    assert groups["first_party"]["sellers"] == 1
    assert groups["third_party"]["sellers"] == 3
    assert groups["first_party"]["orders"] == 360  # 90d window by default


def test_programs_show_marketplaces_side_by_side(client: FlaskClient) -> None:
    body = client.get("/v1/programs?group_by=marketplace").get_json()
    assert [g["group"] for g in body["groups"]] == ["DE", "US"]
    assert body["snapshot_ids"] == {"DE": "DE-2026-11-27", "US": "US-2026-11-27"}


def test_explain_offer_lists_every_rule_condition_by_condition(client: FlaskClient) -> None:
    body = client.get("/v1/explain/offers/O-3?marketplace=US", headers=AUDIT).get_json()
    rules = {r["rule_id"]: r for r in body["rules"]}
    assert set(rules) == {"big_seller", "fast_delivery"}
    fast = rules["fast_delivery"]
    assert fast["approval_reference"] == "TEST-0001-FAST"
    assert fast["earned"] is False
    (condition,) = fast["conditions"]
    assert condition["value"] == pytest.approx(0.5)
    assert condition["passed"] is False
    assert body["snapshot_id"] == "US-2026-11-27"


def test_status_names_active_snapshots_config_and_cache(client: FlaskClient) -> None:
    client.get("/v1/badges?marketplace=US&surface=search&offer_ids=O-1")
    body = client.get("/v1/status", headers=AUDIT).get_json()
    assert body["active"]["US"]["snapshot_id"] == "US-2026-11-27"
    assert {s["snapshot_id"] for s in body["snapshots"]} == {"US-2026-11-27", "DE-2026-11-27"}
    assert body["cache"]["misses"] >= 1
    assert isinstance(body["pid"], int)


def test_anonymous_status_shows_snapshots_config_and_breaker_only(client: FlaskClient) -> None:
    body = client.get("/v1/status").get_json()
    assert set(body) == {"config_version", "active", "lost", "store_breaker"}
    assert {m: info["snapshot_id"] for m, info in body["active"].items()} == {
        "US": "US-2026-11-27",
        "DE": "DE-2026-11-27",
    }
    assert (body["lost"], body["store_breaker"]) == ([], "closed")


def test_admin_token_sees_the_status_details_too(client: FlaskClient) -> None:
    body = client.get("/v1/status", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert {"pid", "snapshots", "cache", "store_error", "config_error"} <= set(body.get_json())


def test_second_lookup_is_served_from_the_cache(client: FlaskClient) -> None:
    url = "/v1/badges?marketplace=US&surface=search&offer_ids=O-1"
    client.get(url)
    before = client.get("/v1/status", headers=AUDIT).get_json()["cache"]
    client.get(url)
    after = client.get("/v1/status", headers=AUDIT).get_json()["cache"]
    assert after["hits"] == before["hits"] + 1
    assert after["misses"] == before["misses"]


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready"
    assert ready["active"] == {"US": "US-2026-11-27", "DE": "DE-2026-11-27"}


def test_metrics_count_requests_per_endpoint(client: FlaskClient) -> None:
    client.get("/v1/badges?marketplace=US&surface=search&offer_ids=O-1")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'trust_signals_requests_total{endpoint="/v1/badges",status="200"} 1.0' in text
    assert "trust_signals_request_duration_seconds_bucket" in text
    assert 'trust_signals_active_snapshot_age_seconds{marketplace="US"}' in text
