"""Stores' stages (emerging, established) and a cohort pooled over the stores of a stage.

A cohort pooled over marketplaces is built from what each marketplace's snapshot stores for
it: its size and, per metric, the member count and the 101-point quantile sketch. The
sellers' own values are not kept, so the pooled quantiles are those of the mixture of the
marketplaces' distributions, each read off its sketch and weighted by its member count.
A sketch of n members places them to within one percentile of rank plus 1/n (a member's
step), and so does the mixture with the smallest n: pooled figures are approximate to that,
and exact where one marketplace contributes alone (or all contribute the same sketch).

Only cohorts a marketplace shows (at least `min_cohort_size` sellers there) exist to pool:
a smaller one is never computed, so no figure of a handful of competitors exists anywhere.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from trust_signals.domain.cohorts import (
    BENCHMARK_METRICS,
    SKETCH_POINTS,
    CohortBenchmark,
    MetricBenchmark,
)

STORE_STAGES: Final = ("emerging", "established")
# A marketplace the config does not place is emerging: that a store is an established one,
# a reference for the others, is a claim the config has to make.
DEFAULT_STORE_STAGE: Final = "emerging"
_LAST: Final = SKETCH_POINTS - 1


@dataclass(frozen=True, slots=True)
class PooledCohort:
    """One cohort over several marketplaces: its size, each marketplace's part, its metrics."""

    key: str
    size: int
    sizes: Mapping[str, int]  # marketplace -> the size of its cohort
    metrics: Mapping[str, MetricBenchmark]


def pooled_cohort(key: str, cohorts: Mapping[str, CohortBenchmark]) -> PooledCohort | None:
    """The cohort pooled over the marketplaces' cohorts (marketplace -> its benchmark of the
    same key); None when no marketplace has it."""
    if not cohorts:
        return None
    metrics = {}
    for metric in BENCHMARK_METRICS:
        parts = [c.metrics[metric] for c in cohorts.values() if metric in c.metrics]
        if parts:
            metrics[metric] = pooled_metric(parts)
    sizes = {marketplace: cohort.size for marketplace, cohort in sorted(cohorts.items())}
    return PooledCohort(key, sum(sizes.values()), sizes, metrics)


def pooled_metric(parts: Sequence[MetricBenchmark]) -> MetricBenchmark:
    """One metric over several cohorts: their sketches mixed, weighted by member count."""
    count = sum(part.count for part in parts)
    sketch = mixed_sketch([(part.count, part.sketch) for part in parts])
    return MetricBenchmark(parts[0].metric, count, sketch[25], sketch[50], sketch[75], sketch)


def mixed_sketch(parts: Sequence[tuple[int, Sequence[float]]]) -> tuple[float, ...]:
    """The quantile sketch of a mixture of distributions given as (weight, sketch) parts.

    Each sketch is read as the distribution whose CDF runs linearly from (q_i, i/100) to
    (q_i+1, (i+1)/100), which is what the interpolation of `quantile_sketch` implies, and
    jumps where a sketch repeats a value (tied members). The mixture's CDF is then linear
    between the union of the sketches' points, so walking those points once inverts it
    exactly. Positions are kept in weight x percentile units, whole numbers at every point
    of a sketch, so that one part, or several alike, give their own points back unchanged.
    """
    total = sum(weight for weight, _ in parts)
    points = sorted({value for _, sketch in parts for value in sketch})
    below = [sum(w * _position_below(s, x) for w, s in parts) for x in points]
    at = [sum(w * _position_at(s, x) for w, s in parts) for x in points]
    quantiles = []
    j = 0
    for i in range(SKETCH_POINTS):
        target = i * total
        while at[j] < target and j < len(points) - 1:
            j += 1
        if j > 0 and below[j] > target:
            # On the linear piece from points[j-1], where the mixture is below the target.
            share = (target - at[j - 1]) / (below[j] - at[j - 1])
            quantiles.append(points[j - 1] + share * (points[j] - points[j - 1]))
        else:  # at the point itself: exactly, or within the jump of a tie
            quantiles.append(points[j])
    return tuple(quantiles)


def _position_at(sketch: Sequence[float], x: float) -> float:
    """Percentiles (0-100) of the sketch's distribution at or below x."""
    return _position(sketch, bisect_right(sketch, x), x)


def _position_below(sketch: Sequence[float], x: float) -> float:
    """Percentiles (0-100) of the sketch's distribution strictly below x."""
    return _position(sketch, bisect_left(sketch, x), x)


def _position(sketch: Sequence[float], upper: int, x: float) -> float:
    """The sketch's percentile at x, interpolated between the points either side of
    `upper`, the index bisecting the sketch at x (right: at or below, left: below)."""
    if upper > _LAST:  # x at or past the last point
        return float(_LAST)
    if upper == 0:
        return 0.0
    low, high = sketch[upper - 1], sketch[upper]
    return upper - 1 + (x - low) / (high - low)
