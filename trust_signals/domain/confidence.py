"""Wilson score interval for a binomial proportion.

Wilson (1927), "Probable inference, the law of succession, and statistical inference",
JASA 22:209-212. Unlike the normal approximation it stays inside [0, 1] and is honest for
small samples: 3 of 3 on time gives a lower bound of 0.44 at z = 1.96, not 1.0.
Both functions require trials > 0 and 0 <= events <= trials.
"""

from __future__ import annotations

from math import sqrt

LOWER = -1.0
UPPER = 1.0


def _score(events: int, trials: int, z: float) -> tuple[float, float, float, float]:
    """The estimate p, and the interval's centre, half-width and divisor: (c ± m) / d."""
    p = events / trials
    z2 = z * z
    inverse = 1.0 / trials
    centre = p + 0.5 * z2 * inverse
    margin = z * sqrt(p * (1.0 - p) * inverse + 0.25 * z2 * inverse * inverse)
    return p, centre, margin, 1.0 + z2 * inverse


def wilson_interval(events: int, trials: int, z: float) -> tuple[float, float]:
    """Lower and upper bound of the Wilson score interval for events/trials, each in [0, 1]."""
    p, centre, margin, divisor = _score(events, trials, z)
    lower = (centre - margin) / divisor
    upper = (centre + margin) / divisor
    # Rounding can push a bound a hair past the estimate or outside [0, 1].
    lower = 0.0 if lower < 0.0 else (p if lower > p else lower)
    return lower, (1.0 if upper > 1.0 else (p if upper < p else upper))


def wilson_bound(events: int, trials: int, z: float, side: float) -> float:
    """One side (`LOWER` or `UPPER`) of `wilson_interval`, equal to it, computed alone.

    A ranking feature or a badge condition reads one side only.
    """
    p, centre, margin, divisor = _score(events, trials, z)
    bound = (centre + side * margin) / divisor
    if side < 0.0:
        return 0.0 if bound < 0.0 else (p if bound > p else bound)
    return 1.0 if bound > 1.0 else (p if bound < p else bound)
