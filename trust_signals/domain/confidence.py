"""Wilson score interval for a binomial proportion."""

from __future__ import annotations

from math import sqrt


def wilson_interval(events: int, trials: int, z: float) -> tuple[float, float]:
    """Lower and upper bound of the Wilson score interval for events/trials, each in [0, 1].

    Wilson (1927), "Probable inference, the law of succession, and statistical inference",
    JASA 22:209-212. Unlike the normal approximation it stays inside [0, 1] and is honest for
    small samples: 3 of 3 on time gives a lower bound of 0.44 at z = 1.96, not 1.0.
    Requires trials > 0 and 0 <= events <= trials.
    """
    p = events / trials
    z2 = z * z
    inverse = 1.0 / trials
    denominator = 1.0 + z2 * inverse
    centre = p + 0.5 * z2 * inverse
    margin = z * sqrt(p * (1.0 - p) * inverse + 0.25 * z2 * inverse * inverse)
    lower = (centre - margin) / denominator
    upper = (centre + margin) / denominator
    # Rounding can push the bounds a hair past the estimate or outside [0, 1].
    if lower > p:
        lower = p
    if upper < p:
        upper = p
    return (lower if lower > 0.0 else 0.0), (upper if upper < 1.0 else 1.0)
