"""The searches coaching runs: exact boundaries within the ranges they assume, in few calls."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trust_signals.domain.change_search import (
    fewest_passing,
    first_holding,
    last_holding,
    regimes,
)


@given(low=st.integers(0, 50), edge=st.integers(0, 10**9), span=st.integers(0, 10**9))
def test_first_holding_finds_the_edge_of_a_monotone_predicate(
    low: int, edge: int, span: int
) -> None:
    high = low + span
    calls: list[int] = []

    def holds(n: int) -> bool:
        calls.append(n)
        return n >= edge

    found = first_holding(holds, low, high)
    assert found == (max(low, edge) if edge <= high else None)
    assert len(calls) <= 2 * 31 + 2


def test_first_holding_on_an_empty_range() -> None:
    assert first_holding(lambda n: True, 5, 4) is None


@given(low=st.integers(0, 50), edge=st.integers(-1, 10**6), span=st.integers(0, 10**6))
def test_last_holding_finds_the_edge_of_a_down_set(low: int, edge: int, span: int) -> None:
    high = low + span
    found = last_holding(lambda n: n <= edge, low, high)
    assert found == (None if edge < low else min(edge, high))


@given(switch=st.integers(1, 10**6), start=st.booleans())
def test_regimes_split_where_the_side_changes(switch: int, start: bool) -> None:
    found = regimes(lambda n: (n >= switch) is not start, 0, 10**6)
    assert found == [(0, switch - 1), (switch, 10**6)]


def test_regimes_without_a_side_or_a_change_are_one_range() -> None:
    assert regimes(None, 0, 9) == [(0, 9)]
    assert regimes(lambda n: True, 0, 9) == [(0, 9)]


def test_fewest_passing_starts_from_the_minimum_sample() -> None:
    # Passes below the minimum sample (n < 10 has a passing value), fails from 10 to 39:
    # the first pass once sampled is 40, and a search of `passes` alone could land anywhere.
    def sampled(n: int) -> bool:
        return n >= 10

    def passes(n: int) -> bool:
        return sampled(n) and (n < 5 or n >= 40)

    assert fewest_passing(sampled, passes, 0, 1000) == 40
    assert fewest_passing(sampled, lambda n: sampled(n) and n < 12, 0, 1000) == 10
    assert fewest_passing(lambda n: False, passes, 0, 1000) is None
