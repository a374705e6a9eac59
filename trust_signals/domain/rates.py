"""Measures: a point estimate with its confidence bounds and the sample behind it."""

from __future__ import annotations

from typing import NamedTuple

from trust_signals.domain.confidence import wilson_interval


class Measure(NamedTuple):
    """A signal's value: point estimate, bounds and sample size.

    `value` is None when there is nothing to estimate from (zero opportunities): such a
    rate is unknown, never 0 %. Exact quantities (counts, attributes, indices) have
    lower == upper == value. A NamedTuple: one is built per signal evaluated, and a tuple
    costs a third of a frozen dataclass.
    """

    value: float | None
    lower: float | None
    upper: float | None
    sample: int
    # For a ratio of counts (a rate's events, a rating's total stars), the integer that over
    # `sample` is `value` exactly: displays round on it, where a float can round 2**60 - 1 of
    # 2**60 up to 1.0.
    numerator: int | None = None

    def bound(self, which: str) -> float | None:
        """The point estimate ('point'), or the 'lower' or 'upper' bound."""
        if which == "point":
            return self.value
        return self.lower if which == "lower" else self.upper


NO_DATA = Measure(None, None, None, 0)


def rate(events: int, opportunities: int, z: float) -> Measure:
    """events / opportunities with its Wilson interval; NO_DATA when opportunities are 0."""
    if opportunities <= 0:
        return NO_DATA
    lower, upper = wilson_interval(events, opportunities, z)
    return Measure(events / opportunities, lower, upper, opportunities, events)


def exact(value: float, sample: int) -> Measure:
    """A measure known exactly: a count, an attribute or a computed index."""
    return Measure(value, value, value, sample)
