"""Seller profile page stats: window fallback, withholding, and the legal display rounding."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    Z,
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
)
from trust_signals.domain.profile_stats import (
    ProfileStat,
    StatDefinition,
    display_percent,
    display_value,
    profile_stat,
    profile_stats,
)
from trust_signals.domain.rates import exact, rate
from trust_signals.domain.signals import Subject, average_rating, compile_signal
from trust_signals.domain.snapshots import SellerCounts


def stat(
    signal: str,
    windows: tuple[str, ...] = ("90d",),
    min_sample: int = 10,
    format: str = "percent",
    higher_is_better: bool = True,
    id: str = "stat",
) -> StatDefinition:
    return StatDefinition(
        id,
        signal,
        windows,
        min_sample,
        format,
        higher_is_better,
        tuple(compile_signal(signal, window) for window in windows),
    )


def seller_with(window_counts: Mapping[str, SellerCounts] | None = None) -> Subject:
    return subject(seller_snapshot(window_counts=window_counts))


@pytest.mark.parametrize(
    ("events", "opportunities", "higher_is_better", "expected"),
    [
        (989, 1000, True, "98 %"),
        (999, 1000, True, "99 %"),
        (9999, 10000, True, "99 %"),
        (1000, 1000, True, "100 %"),
        (29, 100, True, "29 %"),
        (0, 10, True, "0 %"),
        (0, 1000, False, "0 %"),
        (1, 1000, False, "1 %"),
        (1, 100000, False, "1 %"),
        (11, 1000, False, "2 %"),
        (7, 100, False, "7 %"),
        (10, 10, False, "100 %"),
    ],
    ids=[
        "good-floored-98.9-to-98",
        "good-999-of-1000-is-99-not-100",
        "good-9999-of-10000-is-99-not-100",
        "good-all-is-100",
        "good-exact-29-despite-float-error",
        "good-none-is-0",
        "defect-none-is-0",
        "defect-0.1-ceiled-to-1",
        "defect-0.001-is-1-never-0",
        "defect-1.1-ceiled-to-2",
        "defect-exact-7-despite-float-error",
        "defect-all-is-100",
    ],
)
def test_display_percent_rounds_against_the_seller(
    events: int, opportunities: int, higher_is_better: bool, expected: str
) -> None:
    assert display_percent(rate(events, opportunities, Z), higher_is_better) == expected


@pytest.mark.parametrize(
    ("events", "opportunities", "higher_is_better", "expected"),
    [
        (2**60 - 1, 2**60, True, "99 %"),
        (949_999_999_995, 10**12, True, "94 %"),
        (10**13 - 1, 10**13, True, "99 %"),
        (1, 2**60, False, "1 %"),
        (50_000_000_001, 10**12, False, "6 %"),
    ],
    ids=[
        "good-one-short-of-2-60-is-99",
        "good-a-hair-below-95-is-94",
        "good-one-short-of-10-13-is-99",
        "defect-one-in-2-60-is-1",
        "defect-a-hair-above-5-is-6",
    ],
)
def test_display_percent_is_exact_at_huge_samples(
    events: int, opportunities: int, higher_is_better: bool, expected: str
) -> None:
    # Each within a float's rounding of the next whole percent, yet short of it.
    assert display_percent(rate(events, opportunities, Z), higher_is_better) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12"), (1234, "1,234"), (1234567, "1,234,567")],
    ids=["count-small", "count-thousands", "count-millions"],
)
def test_count_is_shown_with_thousands_separators(value: int, expected: str) -> None:
    definition = stat("seller.orders", format="count")

    assert display_value(exact(value, 100), definition) == expected


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ((0, 0, 0, 14, 86), "4.8"),
        ((0, 0, 0, 1, 99), "4.9"),
        ((0, 0, 0, 20, 80), "4.8"),
        ((0, 0, 0, 1, 0), "4.0"),
        ((0, 0, 0, 0, 3), "5.0"),
        ((1, 0, 0, 0, 0), "1.0"),
        ((0, 0, 0, 2 * 10**12 + 1, 8 * 10**12 - 1), "4.7"),
    ],
    ids=[
        "floored-4.86",
        "floored-4.99",
        "exact-4.8",
        "whole",
        "five",
        "one",
        "a-hair-below-4.8-at-huge-counts",
    ],
)
def test_rating_is_floored_to_one_decimal(
    ratings: tuple[int, int, int, int, int], expected: str
) -> None:
    definition = stat("seller.average_rating", format="rating")

    assert display_value(average_rating(ratings, Z), definition) == expected


def test_stat_shown_from_the_first_window_meeting_the_minimum() -> None:
    on = seller_with({"90d": seller_counts(orders=1000, late_deliveries=11)})
    definition = stat("seller.on_time_delivery_rate", ("90d", "365d"), id="on_time")

    shown = profile_stat(definition, on, signal_params())

    assert shown == ProfileStat("on_time", 0.989, "98 %", 1000, "90d", None)


def test_stat_falls_back_to_the_next_window_below_the_minimum() -> None:
    on = seller_with(
        {
            "30d": seller_counts(ratings=(0, 0, 0, 1, 4)),
            "365d": seller_counts(ratings=(0, 1, 1, 4, 34)),
        }
    )
    definition = stat("seller.average_rating", ("30d", "365d"), 10, "rating", id="rating")

    shown = profile_stat(definition, on, signal_params())

    # (2 + 3 + 16 + 170) / 40 = 4.775, floored to one decimal.
    assert shown == ProfileStat("rating", 4.775, "4.7", 40, "365d", None)


def test_stat_withheld_below_the_minimum_in_every_window_with_its_reason() -> None:
    on = seller_with(
        {
            "30d": seller_counts(feedback_count=3, positive_feedback=3),
            "365d": seller_counts(feedback_count=7, positive_feedback=7),
        }
    )
    definition = stat("seller.positive_feedback_rate", ("30d", "365d"), id="positive")

    shown = profile_stat(definition, on, signal_params())

    assert shown == ProfileStat("positive", None, None, 7, "365d", "sample 7 below minimum 10")


def test_stat_without_any_opportunity_is_withheld_never_zero_percent() -> None:
    definition = stat("seller.contact_response_rate", ("90d",), id="contacts")

    shown = profile_stat(definition, seller_with(), signal_params())

    assert shown == ProfileStat("contacts", None, None, 0, "90d", "sample 0 below minimum 10")


def test_defect_stat_without_defects_below_the_minimum_is_withheld_not_zero_percent() -> None:
    on = seller_with({"90d": seller_counts(orders=5)})
    definition = stat("seller.late_shipment_rate", min_sample=20, higher_is_better=False, id="late")

    shown = profile_stat(definition, on, signal_params())

    assert shown == ProfileStat("late", None, None, 5, "90d", "sample 5 below minimum 20")


def test_defect_stat_is_ceiled_against_the_seller() -> None:
    on = seller_with({"90d": seller_counts(orders=1000, late_shipments=11)})
    definition = stat("seller.late_shipment_rate", higher_is_better=False, id="late")

    shown = profile_stat(definition, on, signal_params())

    assert shown == ProfileStat("late", 0.011, "2 %", 1000, "90d", None)


def test_count_stat_shows_thousands_separator() -> None:
    on = seller_with({"365d": seller_counts(orders=1234)})
    definition = stat("seller.orders", ("365d",), 1, "count", id="orders")

    shown = profile_stat(definition, on, signal_params())

    assert shown == ProfileStat("orders", 1234, "1,234", 1234, "365d", None)


def test_profile_stats_keep_the_configured_order() -> None:
    definitions = [
        stat("seller.orders", ("365d",), 1, "count", id="orders"),
        stat("seller.late_shipment_rate", higher_is_better=False, id="late"),
        stat("seller.contact_response_rate", id="contacts"),
    ]

    shown = profile_stats(definitions, seller_with(), signal_params())

    assert [s.id for s in shown] == ["orders", "late", "contacts"]


@st.composite
def events_and_trials(draw: st.DrawFn) -> tuple[int, int]:
    """Samples of every size, huge ones included, with events often a few away from a whole
    percent: where a float rounds a rate onto it."""
    trials = draw(st.one_of(st.integers(1, 1_000_000), st.integers(2**40, 2**80)))
    percent = draw(st.integers(0, 100))
    near = -(-percent * trials // 100) + draw(st.integers(-3, 3))
    events = draw(st.one_of(st.integers(0, trials), st.just(min(max(near, 0), trials))))
    return events, trials


def shown_percent(display: str) -> int:
    number, unit = display.split(" ")
    assert unit == "%"
    return int(number)


@given(events_and_trials())
def test_good_rate_shows_the_exact_rate_floored(sample: tuple[int, int]) -> None:
    events, trials = sample

    shown = shown_percent(display_percent(rate(events, trials, Z), higher_is_better=True))

    assert shown == floor(Fraction(100 * events, trials)) <= Fraction(100 * events, trials)
    assert (shown == 100) == (events == trials)


@given(events_and_trials())
def test_defect_rate_shows_the_exact_rate_ceiled(sample: tuple[int, int]) -> None:
    events, trials = sample

    shown = shown_percent(display_percent(rate(events, trials, Z), higher_is_better=False))

    assert shown == ceil(Fraction(100 * events, trials)) >= Fraction(100 * events, trials)
    assert (shown == 0) == (events == 0)


@given(st.tuples(*[st.one_of(st.integers(0, 100_000), st.integers(0, 2**60))] * 5))
def test_rating_shows_the_exact_mean_floored(ratings: tuple[int, int, int, int, int]) -> None:
    definition = stat("seller.average_rating", format="rating")
    assume(sum(ratings) > 0)
    true_mean = Fraction(sum(stars * n for stars, n in enumerate(ratings, 1)), sum(ratings))

    shown = display_value(average_rating(ratings, Z), definition)

    assert Fraction(shown) <= true_mean < Fraction(shown) + Fraction(1, 10)
