"""Cohorts pooled over the established stores against the exact cohorts of their sellers.

The service pools a cohort over stores by mixing each store's stored quantile sketch
(`domain.store_stages`). This recomputes, for every cohort key of every dimension set shown
in every established store of a store's active snapshots, the exact figures over the union
of the sellers' own values, in the same run, and prints how far the pooled ones are (in
percentiles of rank), by the size of the smallest store's part; how many keys are shown in
only some of the stores (their other parts are never computed, so they are left out); and
what mixing costs.

    PYTHONPATH=. .venv/bin/python bench/pooled_cohorts.py var/store
"""

from __future__ import annotations

import argparse
import statistics
import time
from bisect import bisect_left, bisect_right
from pathlib import Path

from trust_signals.bootstrap import build_store, build_trust_signals
from trust_signals.config import load_settings
from trust_signals.domain.cohorts import (
    BENCHMARK_METRICS,
    DIMENSIONS,
    BenchmarkRow,
    all_dimension_sets,
    cohort_key,
    metric_benchmark,
    percentile_rank,
    prior_rates,
)
from trust_signals.domain.store_stages import pooled_metric
from trust_signals.service.cohort_artifacts import benchmark_row

Errors = list[tuple[float, int]]  # (error in percentiles, the smallest part's member count)


def established_rows(store_path: Path) -> tuple[dict[str, list[BenchmarkRow]], int]:
    """The third-party sellers' benchmark rows of each established store, as loads build
    them, and the active config's minimum cohort size."""
    settings = load_settings({"TRUST_SIGNALS_STORE": str(store_path)})
    store = build_store(settings, create=False)
    view = build_trust_signals(settings, store).view()
    rows = {}
    for marketplace, market in view.markets.items():
        if market.config.store_stage != "established":
            continue
        sellers = list(store.iter_sellers(market.snapshot.snapshot_id))
        priors = prior_rates(sellers, view.cohort_model.spec)
        rows[marketplace] = [
            benchmark_row(s, view.cohort_model, priors, market.snapshot.as_of)
            for s in sellers
            if not s.first_party
        ]
    return rows, view.cohort_model.spec.min_cohort_size


def compare(rows: dict[str, list[BenchmarkRow]], minimum: int) -> None:
    """Print the pooled figures' distance from the exact ones."""
    quartiles: Errors = []
    members: Errors = []
    seconds: list[float] = []
    full = partial = left_out = everyone = 0
    for dimensions in all_dimension_sets():
        parts: dict[str, dict[str, list[BenchmarkRow]]] = {}
        for marketplace, market_rows in rows.items():
            for row in market_rows:
                key = cohort_key(dict(zip(DIMENSIONS, row.dimensions, strict=True)), dimensions)
                parts.setdefault(key, {}).setdefault(marketplace, []).append(row)
        for per_store in parts.values():
            shown = [rs for rs in per_store.values() if len(rs) >= minimum]
            size = sum(len(rs) for rs in per_store.values())
            if not shown:
                continue
            everyone += size
            if len(shown) < len(per_store):
                partial += 1
                left_out += size - sum(len(rs) for rs in shown)
                continue
            full += 1
            if len(shown) > 1:
                _measure(shown, quartiles, members, seconds)
    print(f"stores {sorted(rows)}, minimum cohort {minimum}: {full} keys shown in every one")
    bands = [("all", 0), ("smallest part >= 30", 30), ("smallest part >= 100", 100)]
    for label, least in bands:
        q = [e for e, n in quartiles if n >= least]
        m = [e for e, n in members if n >= least]
        if q:
            print(
                f"  {label}: quartiles off by max {max(q):.2f} (mean {statistics.mean(q):.3f}) "
                f"percentiles of rank; a member's percentile off by max {max(m):.2f} (mean "
                f"{statistics.mean(m):.3f}) over {len(m):,} members x metrics"
            )
    print(
        f"{partial} keys shown in only some stores leave out {left_out:,} sellers (of "
        f"{everyone:,} in the keys shown anywhere)"
    )
    print(f"mixing one metric: median {statistics.median(seconds) * 1e6:.0f} µs")


def _measure(
    shown: list[list[BenchmarkRow]], quartiles: Errors, members: Errors, seconds: list[float]
) -> None:
    for position, (metric, higher_is_better) in enumerate(BENCHMARK_METRICS.items()):
        values = [[v for r in rs if (v := r.metrics[position]) is not None] for rs in shown]
        measured = [metric_benchmark(metric, list(v)) for v in values if v]
        if len(measured) < 2:
            continue
        started = time.perf_counter()
        pooled = pooled_metric(measured)
        seconds.append(time.perf_counter() - started)
        union = sorted(v for vs in values for v in vs)
        exact = metric_benchmark(metric, list(union))
        smallest = min(m.count for m in measured)
        for quantile, percent in ((pooled.p25, 25), (pooled.p50, 50), (pooled.p75, 75)):
            below = bisect_left(union, quantile) / len(union) * 100
            at_or_below = bisect_right(union, quantile) / len(union) * 100
            quartiles.append((max(0.0, below - percent, percent - at_or_below), smallest))
        for value in union:
            error = percentile_rank(pooled.sketch, value, higher_is_better) - percentile_rank(
                exact.sketch, value, higher_is_better
            )
            members.append((abs(error), smallest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a SQLite store directory, e.g. var/store")
    compare(*established_rows(parser.parse_args().store))


if __name__ == "__main__":
    main()
