"""Seller benchmarks and program comparisons: reads of what each snapshot load precomputed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from trust_signals.domain.cohorts import (
    BENCHMARK_METRICS,
    CohortBenchmark,
    cohort_key,
    opportunities_against,
    percentile_rank,
    seller_dimensions,
)
from trust_signals.domain.indices import quality_index, weighted_defect_rate
from trust_signals.domain.signals import SignalParams
from trust_signals.service.answers import Envelope
from trust_signals.service.cohort_artifacts import GroupTotals, seller_defect_rates, seller_metrics
from trust_signals.service.reads import TrustSignals
from trust_signals.service.signal_reads import envelope
from trust_signals.service.stage_reports import StageComparison, cohort_benchmark, stage_comparison
from trust_signals.service.view import Market, SellerSignals, View

# Pooled at read time from each marketplace's whole totals, by the live config's stage.
STAGE_GROUPING: Final = "store_stage"


def benchmark_answer(
    signals: TrustSignals,
    marketplace: str,
    seller_id: str,
    dimensions: Sequence[str],
    compare: str | None = None,
) -> BenchmarkAnswer:
    """The benchmark call: one seller against its chosen cohort and first-party retail, and
    with `compare` (a store stage) against the same cohort in that stage's stores."""
    view = signals.view()
    market = view.market(marketplace)
    report = benchmark(signals, view, market, seller_id, dimensions)
    comparison = (
        None
        if compare is None
        else stage_comparison(signals, view, compare, report.cohort_key, report.metrics)
    )
    return BenchmarkAnswer(envelope(view, market), tuple(dimensions), report, comparison)


def programs_answer(
    signals: TrustSignals, marketplace: str | None, group_by: str, window: str
) -> ProgramsAnswer:
    """The programs call: groups of one marketplace, or every marketplace side by side."""
    view = signals.view()
    markets = [view.market(marketplace)] if marketplace else list(view.markets.values())
    return ProgramsAnswer(
        {m.snapshot.marketplace: m.snapshot.snapshot_id for m in markets},
        view.config.version,
        group_by,
        window,
        tuple(programs(signals, view, marketplace, group_by, window)),
    )


def benchmark(
    signals: TrustSignals, view: View, market: Market, seller_id: str, dimensions: Sequence[str]
) -> BenchmarkReport:
    """A seller against its chosen cohort and first-party retail."""
    seller = signals.seller(view, market, seller_id)
    key, cohort = seller_cohort(signals, view, market, seller, dimensions)
    params = market.config.params
    own = seller_metrics(seller.subject, params)
    first_party: list[tuple[str, Mapping[str, float | None]]] = [
        (fp.subject.seller.seller_id, seller_metrics(fp.subject, params))
        for fp in signals.sellers(view, market, _first_party_ids(signals, market)).items
        if fp is not None
    ]
    if cohort is None:
        return BenchmarkReport(seller_id, key, None, own, {}, first_party, [])
    ranks = {
        metric: percentile_rank(bench.sketch, value, BENCHMARK_METRICS[metric])
        for metric, bench in cohort.metrics.items()
        if (value := own.get(metric)) is not None
    }
    opportunities = seller_opportunities(seller, cohort, params)
    return BenchmarkReport(seller_id, key, cohort, own, ranks, first_party, opportunities)


def seller_cohort(
    signals: TrustSignals,
    view: View,
    market: Market,
    seller: SellerSignals,
    dimensions: Sequence[str],
) -> tuple[str, CohortBenchmark | None]:
    """The key of the seller's cohort on `dimensions`, and its benchmark (None: withheld)."""
    values = seller_dimensions(seller.subject.seller, market.config.cohort_spec)
    key = cohort_key(values, dimensions)
    return key, cohort_benchmark(signals, view, market, key)


def seller_opportunities(
    seller: SellerSignals, cohort: CohortBenchmark, params: SignalParams
) -> list[tuple[str, str, float]]:
    """(family, defect type, index points) the seller gains by reaching the cohort's median
    rate of each defect type, largest first."""
    rates = seller_defect_rates(seller.subject.seller, seller.subject.prior_rates, params)
    return opportunities_against(rates, cohort, params.weights)


def _first_party_ids(signals: TrustSignals, market: Market) -> list[str]:
    blob = signals.artifact(market, "first_party")
    return [] if blob is None else list(orjson.loads(blob))


def programs(
    signals: TrustSignals, view: View, marketplace: str | None, group_by: str, window: str
) -> list[ProgramFigures]:
    """FQ/CSQ indices pooled per program group (or per marketplace or store stage)."""
    markets = [view.market(marketplace)] if marketplace else list(view.markets.values())
    pooled: dict[str, dict[str, Any]] = {}
    for market in markets:
        blob = signals.artifact(market, "programs")
        totals = orjson.loads(blob) if blob else {}
        for group, figures in _program_groups(totals, market, group_by, window):
            entry = pooled.setdefault(
                group, {"sellers": 0, "orders": 0, "defects": {}, "marketplaces": set()}
            )
            entry["sellers"] += figures["sellers"]
            entry["orders"] += figures["orders"]
            for kind, count in figures["defects"].items():
                entry["defects"][kind] = entry["defects"].get(kind, 0) + count
            entry["marketplaces"].add(market.snapshot.marketplace)
    weights = view.config.params.weights
    return [
        program_figures(
            group,
            tuple(sorted(entry["marketplaces"])),
            entry["sellers"],
            entry["orders"],
            entry["defects"],
            weights,
        )
        for group, entry in sorted(pooled.items())
    ]


def _program_groups(
    totals: Mapping[str, Any], market: Market, group_by: str, window: str
) -> Iterator[tuple[str, GroupTotals]]:
    """A marketplace's stored totals per group of one window; for the store stage grouping,
    its whole totals (its one `marketplace` group) under the stage the live config gives it."""
    if group_by == STAGE_GROUPING:
        for windows in totals.get("marketplace", {}).values():
            yield market.config.store_stage, windows[window]
        return
    for group, windows in totals.get(group_by, {}).items():
        yield group, windows[window]


@dataclass(frozen=True, slots=True)
class BenchmarkReport:
    """A seller's benchmark; `cohort` None means the cohort is withheld (too small)."""

    seller_id: str
    cohort_key: str
    cohort: CohortBenchmark | None
    metrics: Mapping[str, float | None]
    percentiles: Mapping[str, float]
    first_party: list[tuple[str, Mapping[str, float | None]]]
    opportunities: list[tuple[str, str, float]]


@dataclass(frozen=True, slots=True)
class ProgramFigures:
    """One program group's pooled indices."""

    group: str
    marketplaces: tuple[str, ...]  # those whose sellers it pools
    sellers: int
    orders: int
    fq_index: float | None
    csq_index: float | None


def program_figures(
    group: str,
    marketplaces: tuple[str, ...],
    sellers: int,
    orders: int,
    defects: Mapping[str, int],
    weights: Mapping[str, Mapping[str, float]],
) -> ProgramFigures:
    """Order-weighted indices of one group: Σ w_k·defects_k / Σ orders per family."""
    if orders == 0:
        return ProgramFigures(group, marketplaces, sellers, orders, None, None)
    rates = {kind: count / orders for kind, count in defects.items()}
    fq, csq = (quality_index(weighted_defect_rate(rates, weights[f])) for f in ("fq", "csq"))
    return ProgramFigures(group, marketplaces, sellers, orders, fq, csq)


@dataclass(frozen=True, slots=True)
class BenchmarkAnswer:
    """A benchmark with what it was computed from."""

    envelope: Envelope
    dimensions: tuple[str, ...]
    report: BenchmarkReport
    comparison: StageComparison | None  # asked with compare=<stage>


@dataclass(frozen=True, slots=True)
class ProgramsAnswer:
    """Program groups; side by side, each marketplace names its own snapshot."""

    snapshot_ids: Mapping[str, str]
    config_version: str
    group_by: str
    window: str
    groups: tuple[ProgramFigures, ...]
