"""The client's results read from response bodies: whole values, and malformed bodies named
by the path of the first bad field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from trust_signals.client import (
    AppliedTarget,
    Badge,
    BadgeChanges,
    BadgeRef,
    BadgesResult,
    Benchmark,
    CoachedBadge,
    Coaching,
    CoachingCohort,
    CoachingOpportunity,
    Cohort,
    CohortPlace,
    Criterion,
    FeaturesResult,
    FirstPartyMetrics,
    IndexProjection,
    MalformedResponse,
    MetricBenchmark,
    MoreGood,
    OfferBadgeCounts,
    OfferFailing,
    OfferResult,
    Opportunity,
    PercentileProjection,
    PooledCohort,
    ProgramGroup,
    Programs,
    Resource,
    RuleGroup,
    SnapshotInfo,
    StageComparison,
    Stat,
    Status,
    WhatIf,
)
from trust_signals.client.results import (
    parse_badges,
    parse_benchmark,
    parse_coaching,
    parse_features,
    parse_offer,
    parse_programs,
    parse_status,
    parse_what_if,
)

ENVELOPE = {"snapshot_id": "US-1", "config_version": "c1", "marketplace": "US"}
FAST = {"id": "fast_delivery", "copy_key": "badge.fast_delivery", "level": "offer"}
ON_TIME = {
    "id": "on_time_delivery",
    "value": 0.96,
    "display": "96 %",
    "sample_size": 360,
    "window": "90d",
    "withheld": False,
    "withheld_reason": None,
}
BADGES = {
    **ENVELOPE,
    "surface": "pdp",
    "offers": [{"offer_id": "O-1", "badges": [FAST]}, {"offer_id": "O-2", "badges": []}],
    "missing": ["O-9"],
}
OFFER = {
    **ENVELOPE,
    "offer_id": "O-1",
    "badges": [FAST],
    "seller": {"seller_id": "S-1", "stats": [ON_TIME]},
}
FEATURES = {
    **ENVELOPE,
    "schema_version": "fs-1",
    "feature_names": ["orders_log", "on_time"],
    "offer_ids": ["O-1", "O-9"],
    "vectors": [[1.5, 1], [0.0, 0.5]],
    "missing_mask": [[False, False], [True, True]],
    "missing": ["O-9"],
}
IN_COHORT = {
    "value": 90.75,
    "percentile": 50.0,
    "cohort_p25": 88.0,
    "cohort_median": 90.75,
    "cohort_p75": 93,
    "cohort_count": 2,
}
BENCHMARK = {
    **ENVELOPE,
    "seller_id": "S-1",
    "dimensions": ["category"],
    "cohort": {"key": "category=electronics", "withheld": False, "size": 2},
    "metrics": {"fq_index": IN_COHORT},
    "first_party": [{"seller_id": "US-1P", "metrics": {"fq_index": 95.0, "csq_index": None}}],
    "improvement_opportunities": [
        {"family": "fq", "defect_type": "late_delivery", "index_points": 1.25}
    ],
}
RESOURCE = {"copy_key": "coaching.cs_provider", "link": "https://sellers.example.com/cs"}
CRITERION = {
    "path": "when.all[1].any[0]",
    "signal": "seller.contact_response_rate",
    "window": "90d",
    "bound": "lower",
    "comparator": ">=",
    "threshold": 0.9,
    "min_sample": 20,
    "sample": 90,
    "value": 0.39,
    "passes": False,
    "more_good": {"count": 412, "unit": "answered_contacts"},
    "max_defects": None,
    "reason": "fails even with no defects at today's volume",
    "resources": [RESOURCE],
}
COACHING = {
    **ENVELOPE,
    "seller_id": "S-1",
    "cohort": {"key": "category=electronics", "size": None},
    "badges": [
        {
            "badge_id": "reliable_seller",
            "copy_key": "badge.reliable_seller",
            "holds": False,
            "rule": "all",
            "groups": [
                {
                    "path": "when.all[1]",
                    "mode": "any",
                    "passes": False,
                    "must_pass": 1,
                    "failing": ["when.all[1].any[0]"],
                }
            ],
            "criteria": [CRITERION],
        }
    ],
    "offers": [
        {
            "badge_id": "fast_delivery",
            "copy_key": "badge.fast_delivery",
            "holding": 3,
            "not_holding": 1,
            "failing": [
                {"path": "when.all[0]", "signal": "offer.on_time_delivery_rate", "offers": 1}
            ],
        }
    ],
    "opportunities": [
        {
            "family": "csq",
            "defect": "unanswered_contact",
            "index_points": 2,
            "resources": [RESOURCE],
        }
    ],
}
WHAT_IF = {
    **ENVELOPE,
    "seller_id": "S-1",
    "dimensions": ["category"],
    "cohort": {"key": "category=electronics", "size": 3},
    "targets": [
        {
            "defect": "late_shipment",
            "window": "90d",
            "count": 9,
            "current_count": 60,
            "opportunities": 354,
        }
    ],
    "indices": [{"family": "fq", "window": "90d", "current": 88.5, "projected": 93}],
    "percentiles": [{"metric": "fq_index", "window": "90d", "current": 10.5, "projected": None}],
    "badges": {
        "earned": [{"badge_id": "reliable_seller", "copy_key": "badge.reliable_seller"}],
        "lost": [],
        "kept": [],
    },
}
US_SNAPSHOT = {
    "snapshot_id": "US-1",
    "marketplace": "US",
    "as_of": "2026-11-27",
    "loaded_at": "2026-11-27T12:00:00+00:00",
    "seller_count": 4,
    "offer_count": 3,
    "active": True,
}
STATUS = {"config_version": "c1", "active": {"US": US_SNAPSHOT}, "lost": []}
PROGRAMS = {
    "snapshot_ids": {"US": "US-1"},
    "config_version": "c1",
    "group_by": "marketplace",
    "window": "90d",
    "groups": [
        {
            "group": "US",
            "marketplaces": ["US"],
            "sellers": 4,
            "orders": 1200,
            "fq_index": 90.75,
            "csq_index": None,
        }
    ],
}
ESTABLISHED = {
    "marketplaces": ["DE", "US"],
    "cohort": {"key": "category=electronics", "size": 40, "sizes": {"DE": 15, "US": 25}},
    "reason": None,
    "metrics": {
        "fq_index": {
            "percentile": 42.5,
            "cohort_p25": 85,
            "cohort_median": 90.5,
            "cohort_p75": 94.0,
            "cohort_count": 38,
        }
    },
}


def changed(body: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A deep copy of `body` with `change` applied."""
    copied = copy.deepcopy(body)
    change(copied)
    return copied


def test_badges_answer_every_asked_id_in_order() -> None:
    assert parse_badges(BADGES, ["O-9", "O-1", "O-2"]) == BadgesResult(
        "US-1",
        "c1",
        "US",
        "pdp",
        {"O-9": (), "O-1": (Badge("fast_delivery", "badge.fast_delivery", "offer"),), "O-2": ()},
        ("O-9",),
        degraded=False,
    )


def test_an_offer_carries_its_sellers_id_and_stats() -> None:
    assert parse_offer(OFFER) == OfferResult(
        "US-1",
        "c1",
        "US",
        "O-1",
        "S-1",
        (Badge("fast_delivery", "badge.fast_delivery", "offer"),),
        (Stat("on_time_delivery", 0.96, "96 %", 360, "90d", False, None),),
        degraded=False,
    )


def test_feature_rows_are_keyed_by_the_asked_ids_with_numbers_as_floats() -> None:
    assert parse_features(FEATURES, ["O-1", "O-9"]) == FeaturesResult(
        "US-1",
        "c1",
        "US",
        "fs-1",
        ("orders_log", "on_time"),
        {"O-1": (1.5, 1.0), "O-9": (0.0, 0.5)},
        {"O-1": (False, False), "O-9": (True, True)},
        ("O-9",),
        degraded=False,
    )


def test_a_shown_cohort_has_a_size_and_its_metrics_their_place_in_it() -> None:
    assert parse_benchmark(BENCHMARK) == Benchmark(
        "US-1",
        "c1",
        "US",
        "S-1",
        ("category",),
        Cohort("category=electronics", False, 2, None),
        {"fq_index": MetricBenchmark(90.75, 50.0, 88.0, 90.75, 93.0, 2)},
        (FirstPartyMetrics("US-1P", {"fq_index": 95.0, "csq_index": None}),),
        (Opportunity("fq", "late_delivery", 1.25),),
        None,
        degraded=False,
    )


def test_a_benchmark_compared_with_established_stores_has_the_pooled_cohort() -> None:
    result = parse_benchmark(changed(BENCHMARK, lambda b: b.update(established=ESTABLISHED)))

    assert result.established == StageComparison(
        ("DE", "US"),
        PooledCohort("category=electronics", 40, {"DE": 15, "US": 25}),
        None,
        {"fq_index": CohortPlace(42.5, 85.0, 90.5, 94.0, 38)},
    )


def test_an_established_cohort_not_shown_is_none_with_the_reason() -> None:
    not_shown = {"marketplaces": [], "cohort": None, "reason": "none served", "metrics": {}}

    result = parse_benchmark(changed(BENCHMARK, lambda b: b.update(established=not_shown)))

    assert result.established == StageComparison((), None, "none served", {})


def test_program_groups_name_the_marketplaces_they_pool() -> None:
    assert parse_programs(PROGRAMS) == Programs(
        {"US": "US-1"},
        "c1",
        "marketplace",
        "90d",
        (ProgramGroup("US", ("US",), 4, 1200, 90.75, None),),
        degraded=False,
    )


def test_a_withheld_cohort_has_a_reason_and_its_metrics_no_place_in_it() -> None:
    withheld = changed(
        BENCHMARK,
        lambda b: b.update(
            cohort={"key": "all", "withheld": True, "reason": "too_small"},
            metrics={"fq_index": {"value": 90.75}},
        ),
    )

    result = parse_benchmark(withheld)

    assert (result.cohort, result.metrics) == (
        Cohort("all", True, None, "too_small"),
        {"fq_index": MetricBenchmark(90.75, None, None, None, None, None)},
    )


def test_coaching_reads_every_criterion_with_what_it_takes() -> None:
    cs = Resource("coaching.cs_provider", "https://sellers.example.com/cs")
    assert parse_coaching(COACHING) == Coaching(
        "US-1",
        "c1",
        "US",
        "S-1",
        CoachingCohort("category=electronics", None),
        (
            CoachedBadge(
                "reliable_seller",
                "badge.reliable_seller",
                False,
                "all",
                (RuleGroup("when.all[1]", "any", False, 1, ("when.all[1].any[0]",)),),
                (
                    Criterion(
                        "when.all[1].any[0]",
                        "seller.contact_response_rate",
                        "90d",
                        "lower",
                        ">=",
                        0.9,
                        20,
                        90,
                        0.39,
                        False,
                        MoreGood(412, "answered_contacts"),
                        None,
                        "fails even with no defects at today's volume",
                        (cs,),
                    ),
                ),
            ),
        ),
        (
            OfferBadgeCounts(
                "fast_delivery",
                "badge.fast_delivery",
                3,
                1,
                (OfferFailing("when.all[0]", "offer.on_time_delivery_rate", 1),),
            ),
        ),
        (CoachingOpportunity("csq", "unanswered_contact", 2.0, (cs,)),),
        degraded=False,
    )


def test_a_what_if_reads_targets_projections_and_badge_changes() -> None:
    assert parse_what_if(WHAT_IF) == WhatIf(
        "US-1",
        "c1",
        "US",
        "S-1",
        ("category",),
        CoachingCohort("category=electronics", 3),
        (AppliedTarget("late_shipment", "90d", 9, 60, 354),),
        (IndexProjection("fq", "90d", 88.5, 93.0),),
        (PercentileProjection("fq_index", "90d", 10.5, None),),
        BadgeChanges((BadgeRef("reliable_seller", "badge.reliable_seller"),), (), ()),
        degraded=False,
    )


def test_an_anonymous_status_has_no_config_error_retained_snapshots_or_pid() -> None:
    as_of, loaded_at = date(2026, 11, 27), datetime(2026, 11, 27, 12, tzinfo=UTC)

    assert parse_status(STATUS) == Status(
        "c1",
        None,
        {"US": SnapshotInfo("US-1", "US", as_of, loaded_at, 4, 3, True)},
        (),
        None,
        degraded=False,
    )


def test_an_audited_status_has_them() -> None:
    audited = changed(
        STATUS, lambda b: b.update(config_error="bad", snapshots=[US_SNAPSHOT], pid=7)
    )

    result = parse_status(audited)

    assert (result.config_error, len(result.snapshots), result.pid) == ("bad", 1, 7)


def _parent(body: dict[str, Any], path: str) -> tuple[Any, Any]:
    """The container holding the value at a dotted path (list indexes as numbers), and its
    key or index there."""
    *parents, last = path.split(".")
    target: Any = body
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    return target, int(last) if isinstance(target, list) else last


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change setting the value at a dotted path."""

    def change(body: dict[str, Any]) -> None:
        target, key = _parent(body, path)
        target[key] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    """A change removing the key at a dotted path."""

    def change(body: dict[str, Any]) -> None:
        target, key = _parent(body, path)
        del target[key]

    return change


def _badges(body: Any) -> object:
    return parse_badges(body, ["O-1", "O-2"])


def _features(body: Any) -> object:
    return parse_features(body, ["O-1", "O-9"])


MALFORMED = [
    # (id, parse, valid body, change, message)
    ("badge-id", _badges, BADGES, _set("offers.0.badges.0.id", 7),
     "offers[0].badges[0].id: expected a string"),
    ("badges-not-array", _badges, BADGES, _set("offers.1.badges", {}),
     "offers[1].badges: expected an array"),
    ("offer-entry", _badges, BADGES, _set("offers.1", "O-2"), "offers[1]: expected a JSON object"),
    ("null-snapshot", _badges, BADGES, _set("snapshot_id", None), "snapshot_id: expected a string"),
    ("missing-missing", _badges, BADGES, _drop("missing"), "missing: missing"),
    ("seller-stats", parse_offer, OFFER, _drop("seller.stats"), "seller.stats: missing"),
    ("seller-list", parse_offer, OFFER, _set("seller", []), "seller: expected a JSON object"),
    ("stat-sample", parse_offer, OFFER, _set("seller.stats.0.sample_size", True),
     "seller.stats[0].sample_size: expected an integer"),
    ("stat-value", parse_offer, OFFER, _set("seller.stats.0.value", "0.96"),
     "seller.stats[0].value: expected a number"),
    ("vector-entry", _features, FEATURES, _set("vectors.1.0", False),
     "vectors[1][0]: expected a number"),
    ("mask-entry", _features, FEATURES, _set("missing_mask.0.1", 0),
     "missing_mask[0][1]: expected true or false"),
    ("vector-width", _features, FEATURES, _set("vectors.1", [0.0]),
     "vectors[1]: expected one entry per feature name"),
    ("no-echo", _features, FEATURES, _set("offer_ids", ["O-9", "O-1"]),
     "offer_ids: do not echo the ids asked"),
    ("cohort-size", parse_benchmark, BENCHMARK, _drop("cohort.size"), "cohort.size: missing"),
    ("withheld-reason", parse_benchmark, BENCHMARK, _set("cohort.withheld", True),
     "cohort.reason: missing"),
    ("metric-count", parse_benchmark, BENCHMARK, _set("metrics.fq_index.cohort_count", None),
     "metrics.fq_index.cohort_count: expected an integer"),
    ("first-party", parse_benchmark, BENCHMARK, _set("first_party.0.metrics.csq_index", "n/a"),
     "first_party[0].metrics.csq_index: expected a number"),
    ("as-of", parse_status, STATUS, _set("active.US.as_of", "27/11/2026"),
     "active.US.as_of: expected an ISO 8601 date"),
    ("pid", parse_status, STATUS, _set("pid", None), "pid: expected an integer"),
    ("group-orders", parse_programs, PROGRAMS, _set("groups.0.orders", 1.5),
     "groups[0].orders: expected an integer"),
    ("group-marketplaces", parse_programs, PROGRAMS, _drop("groups.0.marketplaces"),
     "groups[0].marketplaces: missing"),
    ("established-size", parse_benchmark, {**BENCHMARK, "established": ESTABLISHED},
     _set("established.cohort.sizes.US", "25"), "established.cohort.sizes.US: expected an integer"),
    ("established-reason", parse_benchmark, {**BENCHMARK, "established": ESTABLISHED},
     _drop("established.reason"), "established.reason: missing"),
    ("established-place", parse_benchmark, {**BENCHMARK, "established": ESTABLISHED},
     _set("established.metrics.fq_index.cohort_median", None),
     "established.metrics.fq_index.cohort_median: expected a number"),
    ("more-good", parse_coaching, COACHING, _set("badges.0.criteria.0.more_good.count", "412"),
     "badges[0].criteria[0].more_good.count: expected an integer"),
    ("coaching-cohort", parse_coaching, COACHING, _set("cohort", None),
     "cohort: expected a JSON object"),
    ("offer-failing", parse_coaching, COACHING, _drop("offers.0.failing.0.offers"),
     "offers[0].failing[0].offers: missing"),
    ("what-if-badges", parse_what_if, WHAT_IF, _set("badges.lost", None),
     "badges.lost: expected an array"),
    ("what-if-index", parse_what_if, WHAT_IF, _set("indices.0.current", "88.5"),
     "indices[0].current: expected a number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("parse", "body", "change", "message"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_a_malformed_body_names_the_path_of_the_bad_field(
    parse: Callable[[Any], object],
    body: dict[str, Any],
    change: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    with pytest.raises(MalformedResponse) as raised:
        parse(changed(body, change))

    assert raised.value.detail == message


def test_a_body_that_is_not_an_object_is_malformed() -> None:
    with pytest.raises(MalformedResponse) as raised:
        parse_offer(["O-1"])

    assert raised.value.detail == "body: expected a JSON object"
