"""DSI-weighted indices: defect rate D, index I, shrinkage, pooling, improvement opportunities."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.unit.snapshot_builders import offer_counts, seller_counts
from trust_signals.domain.indices import (
    defect_counts,
    entity_index,
    improvement_opportunities,
    pooled_rates,
    quality_index,
    shrunk_rates,
    weighted_defect_rate,
)
from trust_signals.domain.snapshots import OfferCounts, SellerCounts

WEIGHTS = {"late_delivery": 1.0, "damaged": 2.0, "cancellation": 0.5}

KINDS = ("late_delivery", "damaged", "cancellation", "late_shipment")
weights_st = st.fixed_dictionaries({k: st.floats(0.0, 5.0) for k in KINDS})
defects_st = st.fixed_dictionaries({k: st.integers(0, 1_000) for k in KINDS})
rates_st = st.fixed_dictionaries({k: st.floats(0.0, 1.0) for k in KINDS})


@pytest.mark.parametrize(
    ("family", "counts", "expected"),
    [
        (
            "fq",
            seller_counts(
                shipments=90,
                late_shipments=4,
                shipments_with_valid_tracking=85,
                on_time_tracked_shipments=80,
                late_deliveries=3,
                cancellations=2,
                damaged=1,
                not_as_described=6,
                fq_claims=7,
                feedback_count=10,
                fq_negative_feedback=8,
            ),
            {
                "late_shipment": 4,
                "late_delivery": 3,
                "cancellation": 2,
                "missing_tracking": 5,
                "damaged": 1,
                "not_as_described": 6,
                "fq_claim": 7,
                "fq_negative_feedback": 8,
            },
        ),
        (
            "csq",
            seller_counts(
                contacts=20,
                contacts_answered_24h=17,
                contacts_unsatisfactory=2,
                returns=10,
                return_dissatisfaction=4,
                cs_claims=1,
                feedback_count=10,
                cs_negative_feedback=5,
            ),
            {
                "unanswered_contact": 3,
                "unsatisfactory_contact": 2,
                "return_dissatisfaction": 4,
                "cs_claim": 1,
                "cs_negative_feedback": 5,
            },
        ),
        (
            "fq",
            offer_counts(
                orders=40, on_time_deliveries=30, late_deliveries=6, cancellations=2, damaged=1
            ),
            {"late_delivery": 6, "cancellation": 2, "damaged": 1, "not_as_described": 0},
        ),
    ],
    ids=["seller-fq", "seller-csq", "offer-fq"],
)
def test_defect_counts_per_type_from_window_counts(
    family: str, counts: SellerCounts | OfferCounts, expected: dict[str, int]
) -> None:
    assert defect_counts(counts, family) == expected


@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        ({"late_delivery": 0.03, "damaged": 0.01, "cancellation": 0.04}, 0.07),
        ({"late_delivery": 0.03}, 0.03),
        ({"late_delivery": 0.03, "not_as_described": 0.5}, 0.03),
        ({}, 0.0),
    ],
    ids=["all-weighted-types", "missing-type-counts-zero", "unweighted-type-ignored", "empty"],
)
def test_weighted_defect_rate_sums_weight_times_rate(
    rates: dict[str, float], expected: float
) -> None:
    assert weighted_defect_rate(rates, WEIGHTS) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("weighted_rate", "expected"),
    [(0.0, 100.0), (0.07, 93.0), (0.5, 50.0), (1.0, 0.0), (1.5, 0.0)],
    ids=["no-defects", "seven-percent", "half", "one", "clamped-at-zero"],
)
def test_quality_index_is_100_times_one_minus_d_clamped(
    weighted_rate: float, expected: float
) -> None:
    assert quality_index(weighted_rate) == pytest.approx(expected)


def test_index_by_hand_for_a_small_seller_without_shrinkage() -> None:
    # D = (1.0·3 + 2.0·1 + 0.5·4) / 100 = 0.07, so I = 93.
    defects = {"late_delivery": 3, "damaged": 1, "cancellation": 4}

    assert entity_index(defects, 100, WEIGHTS, {}, 0.0) == pytest.approx(93.0)


@pytest.mark.parametrize(
    ("defects", "orders", "prior", "pseudo_orders", "expected"),
    [
        (
            {"late_delivery": 2, "damaged": 0},
            10,
            {"late_delivery": 0.05, "damaged": 0.01},
            40.0,
            # (2 + 40·0.05) / 50 and (0 + 40·0.01) / 50
            {"late_delivery": 0.08, "damaged": 0.008},
        ),
        (
            {"late_delivery": 2, "damaged": 1},
            10,
            {"late_delivery": 0.05},
            40.0,
            {"late_delivery": 0.08, "damaged": 0.02},
        ),
        (
            {"late_delivery": 2},
            10,
            {"late_delivery": 0.05},
            0.0,
            {"late_delivery": 0.2},
        ),
        (
            {"late_delivery": 0},
            0,
            {"late_delivery": 0.05},
            40.0,
            {"late_delivery": 0.05},
        ),
    ],
    ids=[
        "shrunk-toward-prior",
        "type-without-prior-shrinks-to-zero",
        "no-pseudo-orders",
        "no-orders",
    ],
)
def test_shrunk_rates_by_hand(
    defects: dict[str, int],
    orders: int,
    prior: dict[str, float],
    pseudo_orders: float,
    expected: dict[str, float],
) -> None:
    assert shrunk_rates(defects, orders, prior, pseudo_orders) == pytest.approx(expected)


def test_shrunk_rates_without_orders_or_pseudo_orders_are_none() -> None:
    assert shrunk_rates({"late_delivery": 0}, 0, {"late_delivery": 0.05}, 0.0) is None


def test_entity_index_on_shrunk_rates_by_hand() -> None:
    # Shrunk rates 0.08 and 0.008 (above); D = 1.0·0.08 + 2.0·0.008 = 0.096, I = 90.4.
    index = entity_index(
        {"late_delivery": 2, "damaged": 0},
        10,
        {"late_delivery": 1.0, "damaged": 2.0},
        {"late_delivery": 0.05, "damaged": 0.01},
        40.0,
    )

    assert index == pytest.approx(90.4)


def test_entity_index_without_orders_is_none_even_with_pseudo_orders() -> None:
    assert entity_index({"late_delivery": 0}, 0, WEIGHTS, {"late_delivery": 0.05}, 40.0) is None


def test_entity_index_clamps_at_zero() -> None:
    # Defect types overlap on an order, so D can exceed 1: D = 1.0·0.9 + 2.0·0.6 = 2.1.
    assert entity_index({"late_delivery": 90, "damaged": 60}, 100, WEIGHTS, {}, 0.0) == 0.0


def test_pooled_rates_weigh_entities_by_orders_not_by_mean_of_rates() -> None:
    small = ({"late_delivery": 1, "damaged": 0}, 10)  # 10 % late
    large = ({"late_delivery": 10, "damaged": 5}, 1000)  # 1 % late

    # The mean of the two rates would be 5.5 % late; pooling gives 11 / 1010.
    assert pooled_rates([small, large]) == (
        {"late_delivery": pytest.approx(11 / 1010), "damaged": pytest.approx(5 / 1010)},
        1010,
    )


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([], ({}, 0)),
        (
            [({"late_delivery": 0}, 0), ({"damaged": 0}, 0)],
            ({"late_delivery": 0.0, "damaged": 0.0}, 0),
        ),
    ],
    ids=["no-entities", "no-orders"],
)
def test_pooled_rates_without_orders_are_zero(
    groups: list[tuple[dict[str, int], int]], expected: tuple[dict[str, float], int]
) -> None:
    assert pooled_rates(groups) == expected


@pytest.mark.parametrize(
    ("own", "target", "weights", "expected"),
    [
        (
            # Before: D = 0.05 + 2·0.04 + 0.5·0.01 = 0.135, I = 86.5. Damaged to 0.01: I = 92.5
            # (+6); late to 0.02: I = 89.5 (+3); cancellation is already better than target.
            {"late_delivery": 0.05, "damaged": 0.04, "cancellation": 0.01},
            {"late_delivery": 0.02, "damaged": 0.01, "cancellation": 0.03},
            WEIGHTS,
            [("damaged", pytest.approx(6.0)), ("late_delivery", pytest.approx(3.0))],
        ),
        (
            # D = 1.4 (index 0). Late to 0: D = 0.5, +50; damaged to 0: D = 0.9, +10.
            {"late_delivery": 0.9, "damaged": 0.5},
            {},
            {"late_delivery": 1.0, "damaged": 1.0},
            [("late_delivery", pytest.approx(50.0)), ("damaged", pytest.approx(10.0))],
        ),
        (
            # D = 2.5: fixing either type alone leaves the index at 0, so nothing is gained.
            {"late_delivery": 1.0, "damaged": 1.5},
            {},
            {"late_delivery": 1.0, "damaged": 1.0},
            [],
        ),
        (
            {"late_delivery": 0.03, "damaged": 0.03},
            {"late_delivery": 0.01, "damaged": 0.01},
            {"late_delivery": 1.0, "damaged": 1.0},
            [("damaged", pytest.approx(2.0)), ("late_delivery", pytest.approx(2.0))],
        ),
        (
            {"late_delivery": 0.05, "damaged": 0.05},
            {"late_delivery": 0.01, "damaged": 0.01},
            {"late_delivery": 1.0},
            [("late_delivery", pytest.approx(4.0))],
        ),
    ],
    ids=[
        "largest-first-only-worse-types",
        "gain-measured-on-clamped-index",
        "no-gain-while-still-clamped",
        "ties-by-name",
        "unweighted-type-left-out",
    ],
)
def test_improvement_opportunities_by_hand(
    own: dict[str, float],
    target: dict[str, float],
    weights: dict[str, float],
    expected: list[tuple[str, float]],
) -> None:
    assert improvement_opportunities(own, target, weights) == expected


@given(
    defects_st,
    st.integers(1, 1_000),
    weights_st,
    rates_st,
    st.floats(0.0, 500.0),
    st.sampled_from(KINDS),
    st.integers(1, 100),
)
def test_more_defects_of_any_weighted_type_never_raise_the_index(
    defects: dict[str, int],
    orders: int,
    weights: dict[str, float],
    prior: dict[str, float],
    pseudo_orders: float,
    kind: str,
    extra: int,
) -> None:
    before = entity_index(defects, orders, weights, prior, pseudo_orders)
    worse = {**defects, kind: defects[kind] + extra}

    after = entity_index(worse, orders, weights, prior, pseudo_orders)

    assert before is not None and after is not None
    assert after <= before


@given(defects_st, st.integers(1, 1_000), rates_st, st.floats(0.0, 500.0))
def test_shrinkage_moves_each_rate_between_its_own_and_the_prior(
    defects: Mapping[str, int], orders: int, prior: Mapping[str, float], pseudo_orders: float
) -> None:
    shrunk = shrunk_rates(defects, orders, prior, pseudo_orders)

    assert shrunk is not None
    for kind, value in shrunk.items():
        own = defects[kind] / orders
        low, high = min(own, prior[kind]), max(own, prior[kind])
        assert low - 1e-12 <= value <= high + 1e-12, kind


@given(defects_st, st.integers(0, 1_000), weights_st, rates_st, st.floats(0.0, 500.0))
def test_index_lies_between_0_and_100(
    defects: Mapping[str, int],
    orders: int,
    weights: Mapping[str, float],
    prior: Mapping[str, float],
    pseudo_orders: float,
) -> None:
    index = entity_index(defects, orders, weights, prior, pseudo_orders)

    assert index is None or 0.0 <= index <= 100.0


@given(rates_st, rates_st, weights_st)
def test_improvement_opportunities_are_positive_and_sorted_largest_first(
    own: Mapping[str, float], target: Mapping[str, float], weights: Mapping[str, float]
) -> None:
    gains = improvement_opportunities(own, target, weights)

    assert [points for _, points in gains] == sorted((p for _, p in gains), reverse=True)
    assert all(points > 0 and own[kind] > target[kind] for kind, points in gains)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(defects_st, st.integers(0, 1_000)), min_size=1, max_size=10))
def test_pooled_rates_are_summed_defects_over_summed_orders(
    groups: list[tuple[dict[str, int], int]],
) -> None:
    assume(sum(orders for _, orders in groups) > 0)
    total_defects = {k: sum(d[k] for d, _ in groups) for k in KINDS}
    total_orders = sum(orders for _, orders in groups)

    rates, orders = pooled_rates(groups)

    assert (rates, orders) == (
        {k: pytest.approx(total_defects[k] / total_orders) for k in KINDS},
        total_orders,
    )


@given(
    st.dictionaries(st.sampled_from(KINDS), st.integers(0, 1_000)),
    st.integers(1, 1_000),
    weights_st,
    rates_st,
    st.floats(0.0, 500.0),
)
def test_entity_index_is_the_index_of_the_shrunk_weighted_rates_exactly(
    defects: Mapping[str, int],
    orders: int,
    weights: Mapping[str, float],
    prior: Mapping[str, float],
    pseudo_orders: float,
) -> None:
    """The one-pass index equals the formula built from its parts, to the last bit, also
    when the entity has counts for only some weighted types (an offer)."""
    shrunk = shrunk_rates(defects, orders, prior, pseudo_orders)
    assert shrunk is not None
    expected = quality_index(weighted_defect_rate(shrunk, weights))

    assert entity_index(defects, orders, weights, prior, pseudo_orders) == expected
