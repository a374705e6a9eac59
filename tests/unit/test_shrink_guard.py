"""The shrink guard's rule: empty snapshots never, large drops only when allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trust_signals.store.activation import shrink_problem
from trust_signals.store.base import SnapshotInfo


def info(snapshot_id: str, sellers: int, offers: int, active: bool = False) -> SnapshotInfo:
    loaded = datetime(2026, 11, 27, tzinfo=UTC)
    return SnapshotInfo(snapshot_id, "US", date(2026, 11, 27), loaded, sellers, offers, active)


ACTIVE = info("US-1", 1_000, 10_000, active=True)


@pytest.mark.parametrize("counts", [(0, 0), (0, 5), (5, 0)])
@pytest.mark.parametrize("max_shrink", [0.2, None])
def test_an_empty_snapshot_is_always_refused(
    counts: tuple[int, int], max_shrink: float | None
) -> None:
    problem = shrink_problem(info("US-2", *counts), ACTIVE, max_shrink)

    assert problem is not None
    assert "would wipe every badge and stat of US" in problem
    assert "snapshots deactivate US" in problem


def test_a_drop_beyond_the_limit_is_refused_saying_by_how_much() -> None:
    problem = shrink_problem(info("US-2", 1_000, 7_000), ACTIVE, 0.2)

    assert problem == (
        "snapshot US-2 has 7,000 offers, 30.0% fewer than the active US-1 (10,000); more than "
        "20% fewer is refused: activate it with --allow-shrink if the drop is real"
    )


def test_a_drop_within_the_limit_a_growth_and_a_first_snapshot_pass() -> None:
    assert shrink_problem(info("US-2", 800, 8_000), ACTIVE, 0.2) is None
    assert shrink_problem(info("US-2", 5_000, 90_000), ACTIVE, 0.2) is None
    assert shrink_problem(info("US-2", 1, 1), None, 0.2) is None


def test_allowing_the_shrink_lets_any_non_empty_drop_through() -> None:
    assert shrink_problem(info("US-2", 1, 1), ACTIVE, None) is None


@given(
    sellers=st.integers(1, 2_000),
    offers=st.integers(1, 20_000),
    limit=st.floats(0, 1, allow_nan=False),
)
def test_refused_exactly_when_a_count_drops_by_more_than_the_limit(
    sellers: int, offers: int, limit: float
) -> None:
    drops = (1 - sellers / ACTIVE.seller_count, 1 - offers / ACTIVE.offer_count)

    refused = shrink_problem(info("US-2", sellers, offers), ACTIVE, limit) is not None

    assert refused == any(drop > limit for drop in drops)
