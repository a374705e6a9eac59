"""Snapshot records: invariants on counts and windows raise ValueError naming the field."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    offer_counts,
    offer_snapshot,
    seller_counts,
    seller_snapshot,
    valid_offer_counts,
    valid_seller_counts,
)
from trust_signals.domain.snapshots import (
    OFFER_COUNT_BOUNDS,
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_BOUNDS,
    SELLER_COUNT_FIELDS,
    WINDOWS,
    OfferCounts,
    SellerCounts,
)

SELLER_SCALARS = [name for name in SELLER_COUNT_FIELDS if name != "ratings"]
SELLER_BOUNDS = [*SELLER_COUNT_BOUNDS, ("domestic_sales_amount", "sales_amount")]


def raised_message(build: Any, **kwargs: Any) -> str:
    with pytest.raises(ValueError) as raised:
        build(**kwargs)
    return str(raised.value)


@pytest.mark.parametrize("field", SELLER_SCALARS, ids=SELLER_SCALARS)
def test_seller_negative_count_names_the_field(field: str) -> None:
    assert raised_message(seller_counts, **{field: -1}) == f"{field}: must be non-negative"


@pytest.mark.parametrize("field", OFFER_COUNT_FIELDS, ids=OFFER_COUNT_FIELDS)
def test_offer_negative_count_names_the_field(field: str) -> None:
    assert raised_message(offer_counts, **{field: -1}) == f"{field}: must be non-negative"


@pytest.mark.parametrize(
    ("event", "opportunity"), SELLER_BOUNDS, ids=[event for event, _ in SELLER_BOUNDS]
)
def test_seller_event_above_its_opportunity_names_both(event: str, opportunity: str) -> None:
    one_more = getattr(seller_counts(), opportunity) + 1

    message = raised_message(seller_counts, **{event: one_more})

    assert message == f"{event}: must not exceed {opportunity}"


@pytest.mark.parametrize(
    ("event", "opportunity"), SELLER_BOUNDS, ids=[event for event, _ in SELLER_BOUNDS]
)
def test_seller_event_equal_to_its_opportunity_is_valid(event: str, opportunity: str) -> None:
    counts = seller_counts(**{event: getattr(seller_counts(), opportunity)})

    assert getattr(counts, event) == getattr(counts, opportunity)


@pytest.mark.parametrize(
    ("event", "opportunity"), OFFER_COUNT_BOUNDS, ids=[event for event, _ in OFFER_COUNT_BOUNDS]
)
def test_offer_event_above_its_opportunity_names_both(event: str, opportunity: str) -> None:
    message = raised_message(offer_counts, **{"orders": 10, "on_time_deliveries": 0, event: 11})

    assert message == f"{event}: must not exceed {opportunity}"


def test_offer_on_time_and_late_together_must_not_exceed_orders() -> None:
    message = raised_message(offer_counts, orders=10, on_time_deliveries=6, late_deliveries=5)

    assert message == "on_time_deliveries: with late_deliveries must not exceed orders"


@pytest.mark.parametrize(
    "ratings",
    [(1, 2, 3, 4), (1, 2, 3, 4, 5, 6), (), (0, 0, -1, 0, 0)],
    ids=["four-counts", "six-counts", "empty", "negative-count"],
)
def test_ratings_must_be_five_non_negative_counts(ratings: tuple[int, ...]) -> None:
    message = raised_message(seller_counts, ratings=ratings)

    assert message == "ratings: must hold five non-negative counts, for 1 to 5 stars"


@pytest.mark.parametrize(
    "windows",
    [WINDOWS[:2], (*WINDOWS, "7d"), ("30d", "90d", "180d"), ()],
    ids=["one-missing", "one-extra", "one-wrong", "none"],
)
def test_seller_windows_must_be_exactly_the_configured_set(windows: tuple[str, ...]) -> None:
    counts = {window: seller_counts() for window in windows}

    message = raised_message(partial(replace, seller_snapshot()), windows=counts)

    assert message == "windows: must be exactly 30d, 90d, 365d"


@pytest.mark.parametrize(
    "windows",
    [WINDOWS[1:], (*WINDOWS, "lifetime")],
    ids=["one-missing", "one-extra"],
)
def test_offer_windows_must_be_exactly_the_configured_set(windows: tuple[str, ...]) -> None:
    counts = {window: offer_counts() for window in windows}

    message = raised_message(partial(replace, offer_snapshot()), windows=counts)

    assert message == "windows: must be exactly 30d, 90d, 365d"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (seller_snapshot, "tenure_days"),
        (offer_snapshot, "handling_days"),
        (offer_snapshot, "return_window_days"),
    ],
    ids=["seller-tenure", "offer-handling", "offer-return-window"],
)
def test_snapshot_negative_days_name_the_field(build: Any, field: str) -> None:
    assert raised_message(build, **{field: -1}) == f"{field}: must be non-negative"


def test_snapshot_is_immutable() -> None:
    seller = seller_snapshot()

    with pytest.raises(FrozenInstanceError):
        seller.tenure_days = 5  # type: ignore[misc]


@settings(max_examples=30, deadline=None)
@given(valid_seller_counts(), st.sampled_from(SELLER_SCALARS), st.integers(-1_000, -1))
def test_any_negative_seller_count_is_rejected(
    counts: SellerCounts, field: str, negative: int
) -> None:
    message = raised_message(SellerCounts, **{**counts._asdict(), field: negative})

    assert message == f"{field}: must be non-negative"


@settings(max_examples=30, deadline=None)
@given(valid_seller_counts())
def test_counts_within_every_bound_are_accepted_as_given(counts: SellerCounts) -> None:
    assert SellerCounts(**counts._asdict()) == counts


@settings(max_examples=30, deadline=None)
@given(valid_offer_counts(), st.sampled_from(OFFER_COUNT_FIELDS), st.integers(-1_000, -1))
def test_any_negative_offer_count_is_rejected(
    counts: OfferCounts, field: str, negative: int
) -> None:
    message = raised_message(OfferCounts, **{**counts._asdict(), field: negative})

    assert message == f"{field}: must be non-negative"
