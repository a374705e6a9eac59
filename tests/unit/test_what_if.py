"""What-if: targets refused with their paths, indices and percentiles projected by the index
engine, seller badges earned and lost by the real rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    AS_OF,
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
    valid_seller_counts,
)
from trust_signals.domain.badges import BadgeRule, Condition, Group, compile_rules
from trust_signals.domain.cohorts import percentile_rank
from trust_signals.domain.count_changes import DEFECT_FIELDS, defect_opportunities
from trust_signals.domain.indices import SELLER_DEFECTS, entity_index
from trust_signals.domain.signals import Subject
from trust_signals.domain.snapshots import WINDOWS, SellerCounts
from trust_signals.domain.what_if import (
    MAX_TARGETS,
    AppliedTarget,
    IndexProjection,
    PercentileProjection,
    Target,
    apply_targets,
    project,
    target_problems,
)

WEIGHTS = {family: dict.fromkeys(kinds, 1.0) for family, kinds in SELLER_DEFECTS.items()}
PARAMS = signal_params(WEIGHTS, pseudo_orders=10.0)
PRIOR = {w: {k: 0.02 for kinds in SELLER_DEFECTS.values() for k in kinds} for w in WINDOWS}
# 1,000 orders; 40 late shipments over 90 days.
SELLER = seller_snapshot(
    counts=seller_counts(orders=1000),
    window_counts={"90d": seller_counts(orders=1000, late_shipments=40)},
)


def seller_rule(rule_id: str, *conditions: Condition, **overrides: Any) -> BadgeRule:
    fields: dict[str, Any] = {
        "id": rule_id,
        "level": "seller",
        "surfaces": frozenset({"spp"}),
        "priority": 1,
        "marketplaces": frozenset({"DE"}),
        "effective_from": date(2025, 1, 1),
        "effective_until": None,
        "enabled": True,
        "copy_key": f"badge.{rule_id}",
        "approval_reference": "T-1",
        "when": Group("all", conditions),
        "window": "90d",
    }
    return BadgeRule(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"defect": "late_shipments", "window": "90d", "count": 1}, "unknown defect type"),
        ({"defect": "late_shipment", "window": "7d", "count": 1}, "window: must be one of"),
        ({"defect": "late_shipment", "window": "90d"}, "exactly one of count, rate"),
        ({"defect": "late_shipment", "window": "90d", "count": 1, "rate": 0.1}, "exactly one"),
        ({"defect": "late_shipment", "window": "90d", "count": -1}, "count: must be at least 0"),
        ({"defect": "late_shipment", "window": "90d", "rate": 1.5}, "rate: must be between 0"),
    ],
)
def test_a_target_that_cannot_be_is_refused(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Target(**fields)


@pytest.mark.parametrize(
    ("rate", "opportunities", "count"), [(0.29, 100, 29), (0.01, 250, 2), (1.0, 7, 7), (0.0, 9, 0)]
)
def test_a_rate_sets_the_most_whole_defects_within_it(
    rate: float, opportunities: int, count: int
) -> None:
    assert Target("late_shipment", "90d", rate=rate).count_of(opportunities) == count


def test_targets_beyond_the_sellers_counts_or_repeated_are_named_by_path() -> None:
    targets = [
        Target("late_shipment", "90d", count=1001),
        Target("unanswered_contact", "30d", count=1),
        Target("late_shipment", "90d", rate=0.5),
    ]
    assert target_problems(SELLER, targets) == [
        ("targets[0].count", "1001 exceeds the seller's 1000 shipments over 90d"),
        ("targets[1].count", "1 exceeds the seller's 0 contacts over 30d"),
        ("targets[2]", "repeats late_shipment over 90d"),
    ]
    with pytest.raises(ValueError, match=r"targets\[0\].count: 1001 exceeds"):
        apply_targets(SELLER, targets)


def test_targets_change_only_their_window_and_defect() -> None:
    seller, applied = apply_targets(
        SELLER,
        [Target("late_shipment", "90d", count=4), Target("missing_tracking", "90d", rate=0.01)],
    )
    assert applied == (
        AppliedTarget("late_shipment", "90d", 4, 40, 1000),
        AppliedTarget("missing_tracking", "90d", 10, 0, 1000),
    )
    counts = seller.windows["90d"]
    assert (counts.late_shipments, counts.shipments_with_valid_tracking) == (4, 990)
    assert seller.windows["30d"] == SELLER.windows["30d"]


def test_projection_shows_indices_percentiles_and_badges_earned_and_lost() -> None:
    few_late = Condition("seller.late_shipment_rate", "point", "<=", 0.01)
    tracked = Condition("seller.valid_tracking_rate", "point", ">=", 0.995)
    rules = compile_rules(
        [
            seller_rule("few_late", few_late),
            seller_rule("tracked", tracked),
            seller_rule("busy", Condition("seller.orders", "point", ">=", 10)),
            seller_rule("elsewhere", few_late, marketplaces=frozenset({"US"})),
        ]
    )
    sketch = [80.0 + i * 0.2 for i in range(101)]
    who = Subject(SELLER, None, AS_OF, PRIOR)
    targets = [Target("late_shipment", "90d", count=0), Target("missing_tracking", "90d", count=10)]
    found = project(
        who,
        targets,
        rules,
        PARAMS,
        marketplace="DE",
        on=AS_OF,
        sketches={"fq_index": sketch},
        sketch_window="90d",
    )
    fq_90 = next(i for i in found.indices if (i.family, i.window) == ("fq", "90d"))
    late_weight = (40 + 10 * 0.02) / 1010 - (0 + 10 * 0.02) / 1010
    tracking_weight = 10 / 1010
    assert fq_90.projected == pytest.approx(fq_90.current + 100 * (late_weight - tracking_weight))
    assert len(found.indices) == 6
    assert found.percentiles == (
        PercentileProjection(
            "fq_index",
            "90d",
            percentile_rank(sketch, fq_90.current, True),
            percentile_rank(sketch, fq_90.projected, True),
        ),
    )
    assert [b.id for b in found.earned] == ["few_late"]
    assert [b.id for b in found.lost] == ["tracked"]
    assert [b.id for b in found.kept] == ["busy"]


def test_projection_without_orders_has_no_index_and_no_percentile() -> None:
    empty = seller_snapshot(counts=seller_counts(orders=0))
    found = project(
        subject(empty),
        [Target("cancellation", "30d", count=0)],
        (),
        PARAMS,
        marketplace="DE",
        on=AS_OF,
        sketches={"csq_index": [1.0] * 101},
        sketch_window="30d",
    )
    assert set(found.indices) == {
        IndexProjection(f, w, None, None) for f in ("fq", "csq") for w in WINDOWS
    }
    assert found.percentiles == (PercentileProjection("csq_index", "30d", None, None),)


def test_every_defect_in_every_window_fits_in_one_call() -> None:
    assert MAX_TARGETS == len(DEFECT_FIELDS) * len(WINDOWS) == 39


@given(
    counts=valid_seller_counts(),
    defect=st.sampled_from(sorted(DEFECT_FIELDS)),
    window=st.sampled_from(WINDOWS),
    share=st.floats(0.0, 1.0),
)
def test_projected_index_is_the_index_engine_on_the_targeted_counts(
    counts: SellerCounts, defect: str, window: str, share: float
) -> None:
    seller = seller_snapshot(counts=counts)
    count = int(share * defect_opportunities(counts, defect))
    found = project(
        Subject(seller, None, AS_OF, PRIOR),
        [Target(defect, window, count=count)],
        (),
        PARAMS,
        marketplace="DE",
        on=AS_OF,
        sketches={},
        sketch_window="90d",
    )
    family = next(f for f, kinds in SELLER_DEFECTS.items() if defect in kinds)
    defects = {k: c(counts) for k, c in SELLER_DEFECTS[family].items()} | {defect: count}
    expected = entity_index(defects, counts.orders, WEIGHTS[family], PRIOR[window], 10.0)
    (projected,) = [i.projected for i in found.indices if (i.family, i.window) == (family, window)]
    assert projected == (None if expected is None else pytest.approx(expected))
