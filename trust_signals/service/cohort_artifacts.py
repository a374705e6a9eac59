"""What a snapshot load precomputes so that benchmark and program reads are lookups."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, TypedDict

import orjson

from trust_signals.domain.cohorts import (
    BENCHMARK_METRICS,
    BENCHMARK_WINDOW,
    DEFECT_TYPES,
    DIMENSIONS,
    BenchmarkRow,
    CohortBenchmark,
    CohortSpec,
    MetricBenchmark,
    cohort_benchmarks,
    prior_rates,
    seller_dimensions,
    seller_prior,
)
from trust_signals.domain.indices import SELLER_DEFECTS, shrunk_rates
from trust_signals.domain.signals import SignalParams, Subject, compile_signal
from trust_signals.domain.snapshots import WINDOWS, SellerSnapshot
from trust_signals.store.codec import BODY_FORMAT, BODY_FORMAT_ARTIFACT

PROGRAM_GROUPINGS: Final = ("fulfillment_channel", "cs_provider", "first_party", "marketplace")
# Bumped when the same config and snapshot would give other artifacts (as when empty
# cohorts' priors became the marketplace's): a snapshot's stored ones are then recomputed.
_ARTIFACT_RULES: Final = 2
_METRIC_FNS: Final = {
    metric: compile_signal(f"seller.{metric}", BENCHMARK_WINDOW) for metric in BENCHMARK_METRICS
}


@dataclass(frozen=True, slots=True)
class CohortModel:
    """The config parts cohort artifacts depend on; its version names the artifacts."""

    spec: CohortSpec
    params: SignalParams

    @property
    def version(self) -> str:
        """A short hash: artifacts built under another cohort model are never reused."""
        canonical = orjson.dumps(
            [
                _ARTIFACT_RULES,
                self.spec.tenure_band_edges_days,
                self.spec.shrinkage_dimensions,
                self.spec.min_cohort_size,
                self.params.z,
                self.params.pseudo_orders,
                {f: dict(sorted(w.items())) for f, w in sorted(self.params.weights.items())},
            ]
        )
        return "cm-" + hashlib.sha256(canonical).hexdigest()[:12]


def seller_defect_rates(
    seller: SellerSnapshot, prior: Mapping[str, Mapping[str, float]], params: SignalParams
) -> dict[str, float]:
    """The seller's shrunk defect rates per type over the benchmark window."""
    counts = seller.windows[BENCHMARK_WINDOW]
    defects = {k: c(counts) for family in SELLER_DEFECTS.values() for k, c in family.items()}
    rates = shrunk_rates(
        defects, counts.orders, prior.get(BENCHMARK_WINDOW, {}), params.pseudo_orders
    )
    return rates if rates is not None else dict.fromkeys(defects, 0.0)


def seller_metrics(subject: Subject, params: SignalParams) -> dict[str, float | None]:
    """The seller's benchmark metrics (indices and key rates, point estimates)."""
    return {metric: fn(subject, params).value for metric, fn in _METRIC_FNS.items()}


def benchmark_row(
    seller: SellerSnapshot,
    model: CohortModel,
    priors: Mapping[str, Mapping[str, Mapping[str, float]]],
    as_of: date,
) -> BenchmarkRow:
    """A seller's compact row for cohort benchmarks."""
    prior = seller_prior(seller, priors, model.spec)
    subject = Subject(seller, None, as_of, prior)
    dims = seller_dimensions(seller, model.spec)
    rates = seller_defect_rates(seller, prior, model.params)
    return BenchmarkRow(
        tuple(dims[d] for d in DIMENSIONS),
        tuple(seller_metrics(subject, model.params).values()),
        tuple(rates[k] for k in DEFECT_TYPES),
    )


class GroupTotals(TypedDict):
    """One program group's sums over one window."""

    sellers: int
    orders: int
    defects: dict[str, int]


# grouping -> group -> window -> sums
ProgramTotals = dict[str, dict[str, dict[str, GroupTotals]]]


def program_totals(sellers: Iterable[SellerSnapshot]) -> ProgramTotals:
    """Pooled orders and defects per program group and window (config-independent sums)."""
    totals: ProgramTotals = {}
    for seller in sellers:
        groups = {
            "fulfillment_channel": seller.fulfillment_channel,
            "cs_provider": seller.cs_provider,
            "first_party": "first_party" if seller.first_party else "third_party",
            "marketplace": seller.marketplace,
        }
        for window in WINDOWS:
            counts = seller.windows[window]
            for grouping, group in groups.items():
                entry = (
                    totals.setdefault(grouping, {})
                    .setdefault(group, {})
                    .setdefault(
                        window,
                        {"sellers": 0, "orders": 0, "defects": dict.fromkeys(DEFECT_TYPES, 0)},
                    )
                )
                entry["sellers"] += 1
                entry["orders"] += counts.orders
                for family in SELLER_DEFECTS.values():
                    for kind, count in family.items():
                        entry["defects"][kind] += count(counts)
    return totals


def encode_program_totals(totals: ProgramTotals) -> bytes:
    """Program totals as stored: JSON with exact integers of any size.

    A total adds up one count of every seller, so valid counts can pass the 64 bits orjson
    writes; the stdlib encoder has no such limit, and this small dict is written once per load.
    """
    return json.dumps(totals, separators=(",", ":")).encode()


def encode_benchmark(cohort: CohortBenchmark) -> bytes:
    """One cohort's benchmark as stored with the snapshot."""
    return orjson.dumps(
        {
            "key": cohort.key,
            "size": cohort.size,
            "metrics": {
                m.metric: [m.count, m.p25, m.p50, m.p75, list(m.sketch)]
                for m in cohort.metrics.values()
            },
            "median_defect_rates": cohort.median_defect_rates,
        }
    )


def decode_benchmark(blob: bytes) -> CohortBenchmark:
    """The inverse of encode_benchmark."""
    data = orjson.loads(blob)
    metrics = {
        name: MetricBenchmark(name, count, p25, p50, p75, tuple(sketch))
        for name, (count, p25, p50, p75, sketch) in data["metrics"].items()
    }
    return CohortBenchmark(data["key"], data["size"], metrics, data["median_defect_rates"])


def build_artifacts(
    sellers: Iterable[SellerSnapshot], model: CohortModel, as_of: date
) -> dict[str, bytes]:
    """Every artifact of one snapshot: priors, cohort benchmarks, first-party ids, programs.

    Holds the marketplace's sellers in memory (two passes: priors, then shrunk indices).
    """
    everyone: Sequence[SellerSnapshot] = list(sellers)
    version = model.version
    priors = prior_rates(everyone, model.spec)
    rows = [benchmark_row(s, model, priors, as_of) for s in everyone if not s.first_party]
    artifacts = {
        f"priors:{version}": orjson.dumps(priors),
        "programs": encode_program_totals(program_totals(everyone)),
        "first_party": orjson.dumps([s.seller_id for s in everyone if s.first_party]),
        BODY_FORMAT_ARTIFACT: BODY_FORMAT,
    }
    for key, cohort in cohort_benchmarks(rows, model.spec.min_cohort_size).items():
        artifacts[f"benchmark:{version}:{key}"] = encode_benchmark(cohort)
    return artifacts


@dataclass(frozen=True, slots=True)
class ArtifactBuilder:
    """A picklable `build_artifacts` for one snapshot, so the loader can run it in a worker
    process while it checks the offers (the config's read-only mappings do not pickle)."""

    spec: CohortSpec
    z: float
    pseudo_orders: float
    weights: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    as_of: date

    @classmethod
    def of(cls, model: CohortModel, as_of: date) -> ArtifactBuilder:
        """The builder for a cohort model and a snapshot date."""
        params = model.params
        weights = tuple((f, tuple(w.items())) for f, w in params.weights.items())
        return cls(model.spec, params.z, params.pseudo_orders, weights, as_of)

    def __call__(self, sellers: Iterable[SellerSnapshot]) -> dict[str, bytes]:
        params = SignalParams(self.z, {f: dict(w) for f, w in self.weights}, self.pseudo_orders)
        return build_artifacts(sellers, CohortModel(self.spec, params), self.as_of)
