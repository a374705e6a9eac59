"""Wilson score interval: published values and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trust_signals.domain.confidence import LOWER, UPPER, wilson_bound, wilson_interval


@st.composite
def events_and_trials(draw: st.DrawFn, max_trials: int = 100_000) -> tuple[int, int]:
    trials = draw(st.integers(1, max_trials))
    return draw(st.integers(0, trials)), trials


# Reference values at z = 1.96: Newcombe (1998), "Two-sided confidence intervals for the single
# proportion", Stat. Med. 17:857-872 (its worked examples), and the 3-of-3 case the module cites.
@pytest.mark.parametrize(
    ("events", "trials", "expected"),
    [
        (3, 3, (0.4385, 1.0)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (50, 100, (0.4038, 0.5962)),
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (1, 29, (0.0061, 0.1718)),
    ],
    ids=["3-of-3", "0-of-10", "10-of-10", "50-of-100", "81-of-263", "15-of-148", "1-of-29"],
)
def test_wilson_interval_matches_published_values(
    events: int, trials: int, expected: tuple[float, float]
) -> None:
    assert wilson_interval(events, trials, 1.96) == pytest.approx(expected, abs=5e-5)


def test_wilson_interval_with_zero_z_is_the_point_estimate() -> None:
    assert wilson_interval(3, 12, 0.0) == (0.25, 0.25)


@given(events_and_trials())
def test_wilson_interval_contains_the_point_estimate_within_unit_range(
    sample: tuple[int, int],
) -> None:
    events, trials = sample
    lower, upper = wilson_interval(events, trials, 1.96)
    assert 0.0 <= lower <= events / trials <= upper <= 1.0


@given(events_and_trials(max_trials=10_000), st.integers(2, 100))
def test_wilson_interval_narrows_with_more_trials_at_the_same_proportion(
    sample: tuple[int, int], factor: int
) -> None:
    events, trials = sample
    lower, upper = wilson_interval(events, trials, 1.96)
    more_lower, more_upper = wilson_interval(events * factor, trials * factor, 1.96)
    assert more_upper - more_lower < upper - lower


@given(events_and_trials(), st.floats(0.5, 3.0), st.floats(1.01, 2.0))
def test_wilson_interval_widens_with_higher_confidence(
    sample: tuple[int, int], z: float, factor: float
) -> None:
    events, trials = sample
    lower, upper = wilson_interval(events, trials, z)
    wide_lower, wide_upper = wilson_interval(events, trials, z * factor)
    assert (wide_lower, wide_upper) == (min(lower, wide_lower), max(upper, wide_upper))


@given(events_and_trials(), st.floats(0.0, 4.0))
def test_each_wilson_bound_alone_equals_its_side_of_the_interval(
    sample: tuple[int, int], z: float
) -> None:
    events, trials = sample

    alone = (wilson_bound(events, trials, z, LOWER), wilson_bound(events, trials, z, UPPER))

    assert alone == wilson_interval(events, trials, z)
