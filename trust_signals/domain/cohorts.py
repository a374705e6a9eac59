"""Seller cohorts, shrinkage priors and cohort benchmarks (quartiles, percentile ranks)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Final

from trust_signals.domain.indices import SELLER_DEFECTS, improvement_opportunities, pooled_rates
from trust_signals.domain.snapshots import WINDOWS, SellerSnapshot

DIMENSIONS: Final = ("tenure", "location", "category", "channel")
SKETCH_POINTS: Final = 101  # quantiles at every whole percentile, 0..100
BENCHMARK_WINDOW: Final = "90d"  # the window cohort benchmarks (and percentiles) are over


@dataclass(frozen=True, slots=True)
class CohortSpec:
    """How sellers are grouped: tenure bands, shrinkage dimensions, minimum cohort size."""

    tenure_band_edges_days: tuple[int, ...]
    shrinkage_dimensions: tuple[str, ...]
    min_cohort_size: int


def tenure_band(tenure_days: int, edges: Sequence[int]) -> str:
    """The tenure band label of a seller, e.g. '<90d', '90-365d', '>=1095d'."""
    index = bisect_right(edges, tenure_days)
    if index == 0:
        return f"<{edges[0]}d"
    if index == len(edges):
        return f">={edges[-1]}d"
    return f"{edges[index - 1]}-{edges[index]}d"


def seller_dimensions(seller: SellerSnapshot, spec: CohortSpec) -> dict[str, str]:
    """The seller's value on every cohort dimension."""
    return {
        "tenure": tenure_band(seller.tenure_days, spec.tenure_band_edges_days),
        "location": seller.location,
        "category": seller.category_group,
        "channel": seller.fulfillment_channel,
    }


def canonical_dimensions(dimensions: Iterable[str]) -> tuple[str, ...]:
    """Dimensions in canonical order; ValueError on an unknown one."""
    chosen = set(dimensions)
    unknown = chosen - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown cohort dimension(s): {', '.join(sorted(unknown))}")
    return tuple(d for d in DIMENSIONS if d in chosen)


def cohort_key(values: Mapping[str, str], dimensions: Sequence[str]) -> str:
    """A stable key such as 'category=media|channel=fba'; 'all' for no dimension."""
    return "|".join(f"{d}={values[d]}" for d in dimensions) or "all"


def all_dimension_sets() -> list[tuple[str, ...]]:
    """Every subset of the dimensions, the empty one included (16 in all)."""
    return [c for n in range(len(DIMENSIONS) + 1) for c in combinations(DIMENSIONS, n)]


# The key of the marketplace-wide prior: the cohort of no dimension.
MARKETPLACE_PRIOR: Final = "all"


def prior_rates(
    sellers: Iterable[SellerSnapshot], spec: CohortSpec
) -> dict[str, dict[str, dict[str, float]]]:
    """Pooled defect rates per type for every shrinkage cohort: key -> window -> type -> rate.

    The priors describe third-party sellers, so first-party retail is left out of cohorts.
    MARKETPLACE_PRIOR holds the marketplace's third parties' rates (everyone's when they have
    no orders), and a cohort window without orders takes them: pooling no orders would give
    a prior of no defects at all, and shrink a seller toward perfect.
    """
    cohorts: dict[tuple[str, str], list[tuple[dict[str, int], int]]] = {}
    by_party: dict[tuple[bool, str], list[tuple[dict[str, int], int]]] = {}
    for seller in sellers:
        key = cohort_key(seller_dimensions(seller, spec), spec.shrinkage_dimensions)
        for window in WINDOWS:
            counts = seller.windows[window]
            defects = {
                kind: count(counts)
                for family in SELLER_DEFECTS.values()
                for kind, count in family.items()
            }
            by_party.setdefault((seller.first_party, window), []).append((defects, counts.orders))
            if not seller.first_party:
                cohorts.setdefault((key, window), []).append((defects, counts.orders))
    marketplace = _marketplace_rates(by_party)
    priors = {MARKETPLACE_PRIOR: marketplace}
    for (key, window), members in cohorts.items():
        rates, orders = pooled_rates(members)
        if orders or window in marketplace:
            priors.setdefault(key, {})[window] = rates if orders else marketplace[window]
    return priors


def _marketplace_rates(
    by_party: Mapping[tuple[bool, str], list[tuple[dict[str, int], int]]],
) -> dict[str, dict[str, float]]:
    """Per window, the third parties' pooled rates, else everyone's; no window without orders."""
    rates: dict[str, dict[str, float]] = {}
    for window in WINDOWS:
        third_parties = by_party.get((False, window), [])
        for members in (third_parties, third_parties + by_party.get((True, window), [])):
            pooled, orders = pooled_rates(members)
            if orders:
                rates[window] = pooled
                break
    return rates


def seller_prior(
    seller: SellerSnapshot,
    priors: Mapping[str, Mapping[str, Mapping[str, float]]],
    spec: CohortSpec,
) -> Mapping[str, Mapping[str, float]]:
    """The shrinkage prior (window -> defect type -> rate) of a seller's cohort; the
    marketplace's when no third-party seller shares it (as first-party retail may find)."""
    key = cohort_key(seller_dimensions(seller, spec), spec.shrinkage_dimensions)
    return priors.get(key) or priors.get(MARKETPLACE_PRIOR, {})


def quantile_sketch(values: Sequence[float]) -> list[float]:
    """Quantiles of sorted `values` at every whole percentile (linear interpolation)."""
    last = len(values) - 1
    sketch = []
    for p in range(SKETCH_POINTS):
        position = last * p / (SKETCH_POINTS - 1)
        low = int(position)
        high = min(low + 1, last)
        sketch.append(values[low] + (values[high] - values[low]) * (position - low))
    return sketch


def percentile_rank(sketch: Sequence[float], value: float, higher_is_better: bool) -> float:
    """Share (0-100) of the cohort the value does better than, read off the sketch.

    Ties count half (mid-rank), so a cohort where everyone scores 100 ranks a 100 at 50,
    not at 0 or 100. Accurate to about one percentile.
    """
    below = bisect_left(sketch, value)
    at_or_below = bisect_right(sketch, value)
    share_below = (below + at_or_below) / 2 / len(sketch) * 100.0
    return share_below if higher_is_better else 100.0 - share_below


@dataclass(frozen=True, slots=True)
class MetricBenchmark:
    """A cohort's distribution of one metric."""

    metric: str
    count: int
    p25: float
    p50: float
    p75: float
    sketch: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class CohortBenchmark:
    """One cohort: its size, each metric's distribution, median defect rates per type."""

    key: str
    size: int
    metrics: Mapping[str, MetricBenchmark]
    median_defect_rates: Mapping[str, float]


def metric_benchmark(metric: str, values: list[float]) -> MetricBenchmark:
    """The distribution of one metric over a cohort's members that have it."""
    values.sort()
    sketch = quantile_sketch(values)
    return MetricBenchmark(metric, len(values), sketch[25], sketch[50], sketch[75], tuple(sketch))


def median(values: list[float]) -> float:
    """The median of a non-empty list (sorts it in place)."""
    values.sort()
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def opportunities_against(
    own_rates: Mapping[str, float],
    cohort: CohortBenchmark,
    weights: Mapping[str, Mapping[str, float]],
) -> list[tuple[str, str, float]]:
    """(family, defect type, index points) gained by reaching the cohort median, largest first."""
    gains = [
        (family, kind, points)
        for family, family_weights in weights.items()
        for kind, points in improvement_opportunities(
            own_rates, cohort.median_defect_rates, family_weights
        )
    ]
    return sorted(gains, key=lambda g: (-g[2], g[0], g[1]))


# Metrics benchmarked per cohort, and whether higher is better for each.
BENCHMARK_METRICS: Final = {
    "fq_index": True,
    "csq_index": True,
    "order_defect_rate": False,
    "late_shipment_rate": False,
    "cancellation_rate": False,
    "valid_tracking_rate": True,
    "on_time_delivery_rate": True,
    "contact_response_rate": True,
}
DEFECT_TYPES: Final = tuple(kind for family in SELLER_DEFECTS.values() for kind in family)


@dataclass(frozen=True, slots=True)
class BenchmarkRow:
    """One third-party seller's cohort values, metrics and shrunk defect rates.

    Tuples aligned with DIMENSIONS, BENCHMARK_METRICS (None: no data) and DEFECT_TYPES keep
    a whole marketplace's rows small enough to hold while a snapshot loads.
    """

    dimensions: tuple[str, ...]
    metrics: tuple[float | None, ...]
    defect_rates: tuple[float, ...]


def cohort_benchmarks(rows: Sequence[BenchmarkRow], min_size: int) -> dict[str, CohortBenchmark]:
    """Benchmarks for every cohort of every dimension set; smaller cohorts are left out.

    A cohort below `min_size` is never computed, so it cannot leak through any later read.
    """
    result: dict[str, CohortBenchmark] = {}
    values = [dict(zip(DIMENSIONS, row.dimensions, strict=True)) for row in rows]
    for dimensions in all_dimension_sets():
        members: dict[str, list[int]] = {}
        for index, row_values in enumerate(values):
            members.setdefault(cohort_key(row_values, dimensions), []).append(index)
        for key, indices in members.items():
            if len(indices) >= min_size:
                result[key] = _cohort(key, [rows[i] for i in indices])
    return result


def _cohort(key: str, rows: list[BenchmarkRow]) -> CohortBenchmark:
    metrics = {}
    for position, metric in enumerate(BENCHMARK_METRICS):
        values = [v for row in rows if (v := row.metrics[position]) is not None]
        if values:
            metrics[metric] = metric_benchmark(metric, values)
    medians = {
        kind: median([row.defect_rates[position] for row in rows])
        for position, kind in enumerate(DEFECT_TYPES)
    }
    return CohortBenchmark(key, len(rows), metrics, medians)
