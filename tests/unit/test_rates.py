"""Measures: rates from counts, their bounds, and NO_DATA for nothing to estimate from."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trust_signals.domain.rates import NO_DATA, Measure, exact, rate


@pytest.mark.parametrize(
    ("events", "opportunities"),
    [(0, 0), (0, -1)],
    ids=["zero-opportunities", "negative-opportunities"],
)
def test_rate_without_opportunities_is_no_data_not_zero(events: int, opportunities: int) -> None:
    assert rate(events, opportunities, 1.96) == Measure(None, None, None, 0)


@pytest.mark.parametrize(
    ("events", "opportunities", "expected"),
    [
        (3, 3, Measure(1.0, pytest.approx(0.4385, abs=5e-5), 1.0, 3, 3)),
        (0, 10, Measure(0.0, 0.0, pytest.approx(0.2775, abs=5e-5), 10, 0)),
        (
            50,
            100,
            Measure(0.5, pytest.approx(0.4038, abs=5e-5), pytest.approx(0.5962, abs=5e-5), 100, 50),
        ),
    ],
    ids=["3-of-3", "0-of-10", "50-of-100"],
)
def test_rate_is_the_proportion_with_its_wilson_bounds_and_sample(
    events: int, opportunities: int, expected: Measure
) -> None:
    assert rate(events, opportunities, 1.96) == expected


@pytest.mark.parametrize(
    ("which", "expected"),
    [("point", 0.5), ("lower", 0.25), ("upper", 0.75)],
    ids=["point", "lower", "upper"],
)
def test_measure_bound_picks_the_named_value(which: str, expected: float) -> None:
    assert Measure(0.5, 0.25, 0.75, 20).bound(which) == expected


@pytest.mark.parametrize("which", ["point", "lower", "upper"], ids=["point", "lower", "upper"])
def test_no_data_bound_is_none(which: str) -> None:
    assert NO_DATA.bound(which) is None


def test_exact_measure_has_equal_bounds() -> None:
    assert exact(93.5, 120) == Measure(93.5, 93.5, 93.5, 120)


@given(st.integers(1, 1_000_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_rate_lies_within_its_bounds_in_unit_range(sample: tuple[int, int]) -> None:
    events, opportunities = sample
    measure = rate(events, opportunities, 1.96)
    assert measure.value is not None and measure.lower is not None and measure.upper is not None
    assert measure.sample == opportunities
    assert 0.0 <= measure.lower <= measure.value <= measure.upper <= 1.0
