"""Count changes coaching tries on the engine: good units in every window, defects set at
today's volume; each read back through the engine's own counters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.snapshot_builders import seller_counts, seller_snapshot, valid_seller_counts
from trust_signals.domain.count_changes import (
    COUNT_UNITS,
    DEFECT_FIELDS,
    GOOD_UNITS,
    RATE_CHANGES,
    add_good,
    defect_count,
    defect_opportunities,
    rate_defects,
    with_count,
    with_defect_count,
    with_rate_defects,
)
from trust_signals.domain.indices import SELLER_DEFECTS
from trust_signals.domain.signals import GOOD_RATES, SELLER_COUNTS, SELLER_RATES
from trust_signals.domain.snapshots import WINDOWS, SellerCounts

COUNTS = st.integers(0, 1000)
DEFECT_TYPES = {kind: count for family in SELLER_DEFECTS.values() for kind, count in family.items()}


def test_every_seller_rate_and_defect_type_has_its_change() -> None:
    assert set(RATE_CHANGES) == set(SELLER_RATES)
    assert set(DEFECT_FIELDS) == set(DEFECT_TYPES)
    assert {unit for unit, _ in RATE_CHANGES.values()} | set(COUNT_UNITS.values()) <= set(
        GOOD_UNITS
    )
    assert set(COUNT_UNITS) <= set(SELLER_COUNTS)


@given(
    counts=valid_seller_counts(), n=st.integers(0, 1000), rate=st.sampled_from(sorted(RATE_CHANGES))
)
def test_good_events_add_to_a_rates_opportunities_and_never_to_its_defects(
    counts: SellerCounts, n: int, rate: str
) -> None:
    events, opportunities = SELLER_RATES[rate]
    seller = seller_snapshot(counts=counts)
    changed = add_good(seller, RATE_CHANGES[rate][0], n)
    for window in WINDOWS:
        before, after = seller.windows[window], changed.windows[window]
        assert opportunities(after) == opportunities(before) + n
        added = n if rate in GOOD_RATES else 0
        assert events(after) == events(before) + added
        assert rate_defects(after, rate) == rate_defects(before, rate)


@given(
    counts=valid_seller_counts(), n=st.integers(0, 1000), name=st.sampled_from(sorted(COUNT_UNITS))
)
def test_good_events_raise_a_good_count_by_as_many(counts: SellerCounts, n: int, name: str) -> None:
    seller = seller_snapshot(counts=counts)
    changed = add_good(seller, COUNT_UNITS[name], n)
    count = SELLER_COUNTS[name]
    assert count(changed.windows["90d"]) == count(seller.windows["90d"]) + n


@given(
    counts=valid_seller_counts(), n=st.integers(0, 1000), unit=st.sampled_from(sorted(GOOD_UNITS))
)
def test_good_events_add_no_defect_of_the_indices(counts: SellerCounts, n: int, unit: str) -> None:
    seller = seller_snapshot(counts=counts)
    changed = add_good(seller, unit, n).windows["30d"]
    assert {k: c(changed) for k, c in DEFECT_TYPES.items()} == {
        k: c(counts) for k, c in DEFECT_TYPES.items()
    }


@given(counts=valid_seller_counts(), rate=st.sampled_from(sorted(RATE_CHANGES)), data=st.data())
def test_setting_a_rates_defects_keeps_its_opportunities(
    counts: SellerCounts, rate: str, data: st.DataObject
) -> None:
    events, opportunities = SELLER_RATES[rate]
    defects = data.draw(st.integers(0, opportunities(counts)))
    changed = with_rate_defects(counts, rate, defects)
    assert opportunities(changed) == opportunities(counts)
    assert rate_defects(changed, rate) == defects
    failures = opportunities(changed) - events(changed)
    assert (failures if rate in GOOD_RATES else events(changed)) == defects


@given(counts=valid_seller_counts(), defect=st.sampled_from(sorted(DEFECT_FIELDS)), data=st.data())
def test_setting_a_defect_types_count_is_what_the_index_counts(
    counts: SellerCounts, defect: str, data: st.DataObject
) -> None:
    count = data.draw(st.integers(0, defect_opportunities(counts, defect)))
    changed = with_defect_count(counts, defect, count)
    assert DEFECT_TYPES[defect](changed) == count == defect_count(changed, defect)
    assert defect_count(counts, defect) == DEFECT_TYPES[defect](counts)
    assert defect_opportunities(changed, defect) == defect_opportunities(counts, defect)


def test_fewer_defects_lower_the_counts_they_bound() -> None:
    counts = seller_counts(transaction_defects=9, transaction_defect_buyers=7, returns=5)
    changed = with_count(counts, "transaction_defects", 3)
    assert (changed.transaction_defects, changed.transaction_defect_buyers) == (3, 3)
    assert with_count(counts, "transaction_defects", 8).transaction_defect_buyers == 7


def test_a_count_past_its_opportunity_is_refused() -> None:
    counts = seller_counts(orders=10)
    with pytest.raises(ValueError, match="late_shipments: must not exceed shipments"):
        with_count(counts, "late_shipments", 11)


def test_five_star_ratings_and_no_change_at_all() -> None:
    seller = seller_snapshot(counts=seller_counts(ratings=(1, 0, 0, 2, 3)))
    assert add_good(seller, "five_star_ratings", 4).windows["365d"].ratings == (1, 0, 0, 2, 7)
    assert add_good(seller, "orders", 0) is seller
