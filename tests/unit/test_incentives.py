"""Incentive programs in the domain: percentiles in cohorts, streaks over snapshots, problems.

The percentiles are computed by hand from the cohort's values: a sketch of 101 quantiles
interpolated between the sorted values, and the share of the sketch below the seller's
value, ties counting half.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.domain_builders import seller_counts, seller_snapshot, signal_params
from trust_signals.domain.badge_rules import CohortCondition, Condition, Group
from trust_signals.domain.badges import BadgeRule, rule_problems
from trust_signals.domain.cohorts import CohortBenchmark, CohortSpec, metric_benchmark
from trust_signals.domain.incentive_programs import (
    CompiledProgram,
    IncentiveProgram,
    compile_program,
    program_problems,
)
from trust_signals.domain.incentives import (
    CohortStanding,
    ConditionResult,
    SnapshotSeller,
    cohort_standing,
    evaluate_snapshot,
    qualify,
    standings,
)
from trust_signals.domain.indices import SELLER_DEFECTS
from trust_signals.domain.signals import Subject
from trust_signals.domain.snapshots import SellerSnapshot

TODAY = date(2026, 11, 27)
SPEC = CohortSpec((90, 365, 1095), ("category",), 2)
# Only late deliveries weigh, with no shrinkage: fq_index = 100 * (1 - late / orders).
WEIGHTS = {family: dict.fromkeys(kinds, 0.0) for family, kinds in SELLER_DEFECTS.items()}
WEIGHTS["fq"]["late_delivery"] = 1.0
WEIGHTS["csq"]["cs_claim"] = 1.0
PARAMS = signal_params(weights=WEIGHTS)
FQ_TOP = CohortCondition(
    "seller.fq_percentile", "point", ">=", 60, id="fq_top", cohort=("category", "tenure")
)
ORDERS = Condition("seller.orders", "point", ">=", 100, id="orders")
# The seller's cohort on (tenure, category), in the canonical order of the dimensions.
TENURE_CATEGORY = "tenure=365-1095d|category=electronics"


def program(*conditions: Condition | Group, **overrides: Any) -> IncentiveProgram:
    fields: dict[str, Any] = {
        "id": "fq_leaders",
        "copy_key": "incentive.fq_leaders",
        "approval_reference": "LEGAL-TEST-FQL",
        "marketplaces": frozenset({"US"}),
        "effective_from": date(2026, 1, 1),
        "effective_until": None,
        "enabled": True,
        "streak": 3,
        "when": Group("all", conditions or (FQ_TOP, ORDERS)),
        "window": "90d",
    }
    return IncentiveProgram(**{**fields, **overrides})


def seller(late_90d: int = 100, **overrides: Any) -> SellerSnapshot:
    """An electronics seller of 400 days with 1,000 orders over 90 days."""
    counts = seller_counts(orders=1000, late_deliveries=late_90d)
    return seller_snapshot(category_group="electronics", windows={"90d": counts}, **overrides)


# The cohort's fq_index values: 80, 85, 90, 95 (late deliveries 200, 150, 100, 50 of 1,000).
# Its sketch interpolates them: point p (0..100) is 80 + 0.15 p.
COHORT = CohortBenchmark(
    TENURE_CATEGORY, 4, {"fq_index": metric_benchmark("fq_index", [80.0, 85.0, 90.0, 95.0])}, {}
)


def cohorts(key: str) -> CohortBenchmark | None:
    """The benchmarks of the snapshot: only the seller's (tenure, category) cohort is shown."""
    return COHORT if key == TENURE_CATEGORY else None


def at(
    compiled: CompiledProgram,
    snapshot_id: str,
    who: SellerSnapshot | None,
    lookup: Any = cohorts,
) -> SnapshotSeller:
    """The seller as snapshot `snapshot_id` has it, with its percentiles there."""
    if who is None:
        return SnapshotSeller(snapshot_id, TODAY, None, {})
    subject = Subject(who, None, TODAY, {})
    return SnapshotSeller(
        snapshot_id, TODAY, subject, standings(compiled, subject, SPEC, PARAMS, lookup)
    )


# --- percentiles ------------------------------------------------------------------------


def test_percentile_is_the_share_of_the_cohort_sketch_below_the_value() -> None:
    compiled = compile_program(program())

    subject = Subject(seller(late_90d=100), None, TODAY, {})

    found = standings(compiled, subject, SPEC, PARAMS, cohorts)

    # fq_index 90: sketch points p = 0..66 (80 + 0.15 p < 90) lie below it and none equals
    # it, so 67 of the 101 points are below and 67 at or below.
    assert found == {
        ("fq_index", ("tenure", "category")): CohortStanding(TENURE_CATEGORY, 67 / 101 * 100)
    }


@pytest.mark.parametrize(
    ("late_90d", "expected"),
    [
        (50, 100.5 / 101 * 100),  # 95, the top point: 100 points below, 101 at or below
        (200, 0.5 / 101 * 100),  # 80, the bottom point: none below, one at or below
        (150, 34 / 101 * 100),  # 85 lies between points 33 and 34: 34 below, none equal
    ],
    ids=["best", "worst", "second"],
)
def test_percentile_by_hand_at_the_cohorts_own_values(late_90d: int, expected: float) -> None:
    compiled = compile_program(program())
    subject = Subject(seller(late_90d=late_90d), None, TODAY, {})

    [standing] = standings(compiled, subject, SPEC, PARAMS, cohorts).values()

    assert standing.percentile == pytest.approx(expected)


def test_condition_on_a_percentile_compares_it_with_the_threshold() -> None:
    compiled = compile_program(program())

    result = evaluate_snapshot(compiled, at(compiled, "US-3", seller(late_90d=100)), PARAMS)

    assert result.conditions[0] == ConditionResult(
        "when.all[0]",
        "fq_top",
        "seller.fq_percentile",
        None,
        TENURE_CATEGORY,
        "point",
        ">=",
        60,
        67 / 101 * 100,
        None,
        True,
        f"{67 / 101 * 100} >= 60",
    )


def test_cohort_below_the_minimum_size_gives_no_percentile_and_fails_the_condition() -> None:
    compiled = compile_program(program())
    small = at(compiled, "US-3", seller(), lookup=lambda key: None)

    result = evaluate_snapshot(compiled, small, PARAMS)

    assert (result.met, result.conditions[0].value, result.conditions[0].passed) == (
        False,
        None,
        False,
    )
    assert result.conditions[0].reason == (
        f"cohort {TENURE_CATEGORY} is below the minimum size: no percentile"
    )


def test_no_percentile_without_the_sellers_own_index() -> None:
    assert cohort_standing(TENURE_CATEGORY, COHORT, "fq_index", None) == (
        CohortStanding(TENURE_CATEGORY, None, "no fq_index over 90d: no orders")
    )


def test_no_percentile_when_no_cohort_member_has_the_metric() -> None:
    empty = replace(COHORT, metrics={})

    assert cohort_standing(TENURE_CATEGORY, empty, "fq_index", 90.0) == CohortStanding(
        TENURE_CATEGORY, None, f"no seller of cohort {TENURE_CATEGORY} has a fq_index"
    )


def test_a_cohort_of_no_dimension_is_the_whole_marketplace() -> None:
    everyone = CohortCondition("seller.csq_percentile", "point", ">=", 0, id="csq", cohort=())
    compiled = compile_program(program(everyone))
    asked: list[str] = []

    def lookup(key: str) -> None:
        asked.append(key)

    standings(compiled, Subject(seller(), None, TODAY, {}), SPEC, PARAMS, lookup)

    assert (compiled.needs, asked) == ((("csq_index", ()),), ["all"])


# --- plain conditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "who", "value", "passed", "reason"),
    [
        (ORDERS, seller(), 1000, True, "1000 >= 100"),
        (replace(ORDERS, threshold=5000), seller(), 1000, False, "1000 not >= 5000"),
        (
            Condition("seller.late_delivery_rate", "point", "<=", 0.2, id="late", min_sample=2000),
            seller(),
            0.1,
            False,
            "sample 1000 below minimum 2000",
        ),
        (
            Condition("seller.days_since_first_sale", "point", ">=", 90, id="first_sale"),
            seller(first_sale_date=None),
            None,
            False,
            "no data",
        ),
    ],
    ids=["passes", "fails", "sample-below-minimum", "no-data"],
)
def test_a_plain_condition_reads_like_a_badge_explanation(
    condition: Condition, who: SellerSnapshot, value: float | None, passed: bool, reason: str
) -> None:
    compiled = compile_program(program(condition))

    [result] = evaluate_snapshot(compiled, at(compiled, "US-3", who), PARAMS).conditions

    assert (result.value, result.passed, result.reason) == (value, passed, reason)


def test_a_condition_without_a_window_takes_the_programs_and_an_attribute_none() -> None:
    tenure = Condition("seller.tenure_days", "point", ">=", 90, id="tenure")
    compiled = compile_program(program(ORDERS, tenure, window="365d"))

    assert [c.window for c in compiled.conditions] == ["365d", None]


def test_any_group_holds_when_one_of_its_conditions_does() -> None:
    never = replace(ORDERS, threshold=10**9, id="huge")
    compiled = compile_program(program(Group("any", (never, ORDERS))))

    result = evaluate_snapshot(compiled, at(compiled, "US-3", seller()), PARAMS)

    assert (result.met, [c.passed for c in result.conditions]) == (True, [False, True])


# --- streaks ----------------------------------------------------------------------------

GOOD, BAD = seller(late_90d=50), seller(late_90d=200)  # percentile 99.5 and 0.5


def streak_of(
    length: int, *days: SellerSnapshot | None, **overrides: Any
) -> tuple[CompiledProgram, Any]:
    """The program with `streak` = length, qualified over `days` (newest first)."""
    compiled = compile_program(program(streak=length, **overrides))
    ids = [f"US-{len(days) - i}" for i in range(len(days))]
    history = [
        evaluate_snapshot(compiled, at(compiled, snapshot_id, day), PARAMS)
        for snapshot_id, day in zip(ids[1:], days[1:], strict=True)
    ]
    found = qualify(
        compiled,
        "S1",
        at(compiled, ids[0], days[0]),
        history,
        params=PARAMS,
        marketplace="US",
        on=TODAY,
    )
    return compiled, found


def test_qualified_in_all_three_snapshots_qualifies() -> None:
    _, found = streak_of(3, GOOD, GOOD, GOOD)

    assert (found.qualified, found.reasons) == (True, ())
    assert [(s.snapshot_id, s.met) for s in found.snapshots] == [
        ("US-3", True),
        ("US-2", True),
        ("US-1", True),
    ]


def test_dropped_in_the_middle_snapshot_does_not_qualify() -> None:
    _, found = streak_of(3, GOOD, BAD, GOOD)

    assert found.qualified is False
    assert found.reasons == (
        f"US-2: when.all[0] seller.fq_percentile: {0.5 / 101 * 100} not >= 60",
    )


def test_a_streak_of_two_counts_only_the_last_two_snapshots() -> None:
    _, found = streak_of(2, GOOD, GOOD, BAD)

    assert found.qualified is True
    assert [s.snapshot_id for s in found.snapshots] == ["US-3", "US-2"]


def test_a_streak_of_one_is_the_active_snapshot_alone() -> None:
    _, found = streak_of(1, BAD, GOOD, GOOD)

    assert (found.qualified, len(found.snapshots)) == (False, 1)


def test_a_seller_absent_from_a_snapshot_of_the_streak_does_not_qualify() -> None:
    _, found = streak_of(3, GOOD, GOOD, None)

    assert (found.qualified, found.snapshots[2].found, found.snapshots[2].conditions[0].reason) == (
        False,
        False,
        "not in the snapshot",
    )
    assert found.reasons == ("US-1: not in the snapshot",)


def test_fewer_snapshots_than_the_streak_cannot_qualify() -> None:
    _, found = streak_of(3, GOOD, GOOD)

    assert found.qualified is False
    assert found.reasons == ("a streak of 3 needs 3 snapshots; 2 retained",)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"enabled": False}, "disabled (kill switch)"),
        ({"marketplaces": frozenset({"DE"})}, "not approved in US"),
        ({"effective_from": date(2026, 11, 28)}, "not effective before 2026-11-28"),
        ({"effective_until": TODAY}, "not effective from 2026-11-27"),
    ],
    ids=["kill-switch", "not-approved", "not-yet", "expired"],
)
def test_a_program_not_live_qualifies_nobody_and_says_why(
    overrides: dict[str, Any], reason: str
) -> None:
    _, found = streak_of(3, GOOD, GOOD, GOOD, **overrides)

    assert (found.qualified, found.withheld_reason, found.reasons) == (False, reason, (reason,))
    assert all(s.met for s in found.snapshots)


def test_a_program_effective_until_a_later_day_is_live_before_it() -> None:
    _, found = streak_of(3, GOOD, GOOD, GOOD, effective_until=date(2026, 11, 28))

    assert found.qualified is True


# --- problems ---------------------------------------------------------------------------

PROBLEMS = [
    ({"marketplaces": frozenset()},
     ("marketplaces", "must name at least one approved marketplace")),
    ({"effective_until": date(2026, 1, 1)}, ("effective_until", "must be after effective_from")),
    ({"streak": 0}, ("streak", "must be at least 1")),
    ({"window": "7d"}, ("window", "must be one of 30d, 90d, 365d")),
    ({"window": None},
     ("when.all[1].window", "required: the rule has no window or window_by_volume")),
    ({"when": Group("all", (replace(ORDERS, id=None),))},
     ("when.all[0].id", "required: it names the condition's export column")),
    ({"when": Group("all", (replace(FQ_TOP, bound="lower"),))},
     ("when.all[0].bound", "a percentile has no bounds: must be point")),
    ({"when": Group("all", (replace(FQ_TOP, window="90d"),))},
     ("when.all[0].window", "signal 'seller.fq_percentile' has no window")),
    ({"when": Group("all", (replace(FQ_TOP, min_sample=10),))},
     ("when.all[0].min_sample", "a percentile has no sample: its cohort has min_cohort_size")),
    ({"when": Group("all", (replace(FQ_TOP, cohort=("colour",)),))},
     ("when.all[0].cohort", "must be among tenure, location, category, channel")),
    ({"when": Group("all", (replace(FQ_TOP, cohort=("category", "category")),))},
     ("when.all[0].cohort", "must not repeat a dimension")),
    ({"when": Group("all", (replace(FQ_TOP, threshold=101),))},
     ("when.all[0].threshold", "must be between 0 and 100")),
    ({"when": Group("all", (replace(FQ_TOP, comparator="=="),))},
     ("when.all[0].comparator", "must be one of >=, <=, >, <")),
    ({"when": Group("all", (replace(FQ_TOP, signal="seller.fq_index"),))},
     ("when.all[0].signal", "only seller.fq_percentile, seller.csq_percentile take a cohort")),
    ({"when": Group("all", (Condition("seller.fq_percentile", "point", ">=", 50, id="p"),))},
     ("when.all[0].cohort", "required: the dimensions of the cohort to rank in")),
    ({"when": Group("all", (Condition("offer.orders", "point", ">=", 1, "90d", id="o"),))},
     ("when.all[0].signal", "a seller-level rule can only use seller signals")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "problem"), PROBLEMS, ids=[f"{p[1][0]}-{i}" for i, p in enumerate(PROBLEMS)]
)
def test_an_invalid_program_is_reported_with_its_path(
    overrides: dict[str, Any], problem: tuple[str, str]
) -> None:
    assert problem in program_problems(program(**overrides))


def test_a_valid_program_has_no_problems() -> None:
    assert program_problems(program()) == []


def test_compiling_an_invalid_program_names_every_problem() -> None:
    with pytest.raises(ValueError, match="incentive 'fq_leaders': streak: must be at least 1"):
        compile_program(program(streak=0))


def test_a_badge_cannot_use_a_cohort_relative_signal() -> None:
    badge = BadgeRule(
        "ranked",
        "seller",
        frozenset({"spp"}),
        1,
        frozenset({"US"}),
        date(2026, 1, 1),
        None,
        True,
        "badge.ranked",
        "LEGAL-TEST",
        Group("all", (FQ_TOP,)),
    )

    assert rule_problems(badge) == [
        ("when.all[0].signal", "a cohort-relative signal is for incentive programs only")
    ]


@given(
    st.integers(min_value=1, max_value=4),
    st.lists(st.sampled_from(["good", "bad", "absent"]), min_size=1, max_size=5),
)
def test_qualified_exactly_when_each_of_the_newest_streak_snapshots_is_met(
    length: int, days: list[str]
) -> None:
    sellers = {"good": GOOD, "bad": BAD, "absent": None}

    _, found = streak_of(length, *(sellers[day] for day in days))

    newest = days[:length]
    assert found.qualified == (len(newest) == length and set(newest) == {"good"})
    assert [s.met for s in found.snapshots] == [day == "good" for day in newest]
