"""Cohort reads across stores: one marketplace's stored cohort, and the same cohort pooled
over the served marketplaces of a store stage (see `domain.store_stages` for the method)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trust_signals.domain.cohorts import BENCHMARK_METRICS, CohortBenchmark, percentile_rank
from trust_signals.domain.store_stages import PooledCohort, pooled_cohort
from trust_signals.service.cohort_artifacts import decode_benchmark
from trust_signals.service.reads import TrustSignals
from trust_signals.service.view import MISSING, Market, View


def cohort_benchmark(
    signals: TrustSignals, view: View, market: Market, key: str
) -> CohortBenchmark | None:
    """A cohort's benchmark, decoded once per process and cached; None when suppressed."""
    name = f"benchmark:{view.cohort_model.version}:{key}"

    def compute(todo: list[str]) -> tuple[dict[str, Any], frozenset[str]]:
        blob = signals.artifact(market, name)
        return {key: MISSING if blob is None else decode_benchmark(blob)}, frozenset()

    found: CohortBenchmark | None = signals.lookup(
        "cohort", view, market, [key], compute, False
    ).items[0]
    return found


@dataclass(frozen=True, slots=True)
class StageComparison:
    """A seller's cohort in the stores of one stage; `cohort` None, with `reason`, when
    there is nothing to show."""

    stage: str
    marketplaces: tuple[str, ...]  # the stage's served marketplaces
    cohort: PooledCohort | None
    reason: str | None
    percentiles: Mapping[str, float]  # the seller's, for each metric it has a value of


def stage_comparison(
    signals: TrustSignals,
    view: View,
    stage: str,
    key: str,
    own: Mapping[str, float | None],
) -> StageComparison:
    """The cohort `key` pooled over the served marketplaces of `stage`, and where the
    seller's own metrics (`own`) place it there.

    The store stage is the live config's, read now: changing it needs no recomputation.
    """
    marketplaces = tuple(
        sorted(m for m, market in view.markets.items() if market.config.store_stage == stage)
    )
    if not marketplaces:
        return StageComparison(stage, (), None, f"no {stage} marketplace is served", {})
    pooled = _pooled(signals, view, [view.markets[m] for m in marketplaces], key)
    if pooled is None:
        minimum = view.config.cohort_spec.min_cohort_size
        reason = (
            f"cohort below the minimum size ({minimum} sellers) in every {stage} "
            "marketplace; not shown"
        )
        return StageComparison(stage, marketplaces, None, reason, {})
    ranks = {
        metric: percentile_rank(bench.sketch, value, BENCHMARK_METRICS[metric])
        for metric, bench in pooled.metrics.items()
        if (value := own.get(metric)) is not None
    }
    return StageComparison(stage, marketplaces, pooled, None, ranks)


def _pooled(
    signals: TrustSignals, view: View, markets: list[Market], key: str
) -> PooledCohort | None:
    """The cohort pooled over `markets`, computed once per process and cached (mixing the
    sketches costs ~2 ms). The cache entry sits with the first market and names every
    pooled snapshot, so a new snapshot in any of them, or a new config, is a new entry."""
    entry = "|".join([key, *(market.snapshot.snapshot_id for market in markets)])

    def compute(todo: list[str]) -> tuple[dict[str, Any], frozenset[str]]:
        cohorts = {}
        for market in markets:
            found = cohort_benchmark(signals, view, market, key)
            if found is not None:  # a cohort below the minimum there was never computed
                cohorts[market.snapshot.marketplace] = found
        pooled = pooled_cohort(key, cohorts)
        return {entry: MISSING if pooled is None else pooled}, frozenset()

    found: PooledCohort | None = signals.lookup(
        "stage_cohort", view, markets[0], [entry], compute, False
    ).items[0]
    return found
