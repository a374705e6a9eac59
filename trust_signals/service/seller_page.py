"""The seller's benchmark and coaching page: every figure it shows, from one View.

The benchmark (cohort quartiles, percentile, opportunities) is the benchmark call's own
report; the profile stats are the profile call's; the badges are the audit explanation of
the seller's live seller-level rules; the trend reads the seller from each retained
snapshot of the marketplace and computes its indices with the same engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import orjson

from trust_signals.domain.badges import RuleExplanation
from trust_signals.domain.cohorts import seller_dimensions, seller_prior
from trust_signals.domain.signals import SignalParams, Subject, compile_signal
from trust_signals.domain.snapshots import WINDOWS, SellerSnapshot
from trust_signals.service.answers import Envelope, ProfileAnswer
from trust_signals.service.cohort_artifacts import BENCHMARK_WINDOW
from trust_signals.service.reads import TrustSignals
from trust_signals.service.reports import BenchmarkReport, benchmark
from trust_signals.service.signal_reads import envelope
from trust_signals.service.view import MISSING, Market, View
from trust_signals.store.base import ReadStore, SnapshotInfo

PAGE_METRICS: Final = ("fq_index", "csq_index")
_INDEX_FNS: Final = {
    (metric, window): compile_signal(f"seller.{metric}", window)
    for metric in PAGE_METRICS
    for window in WINDOWS
}
Indices = Mapping[str, float | None]
Priors = Mapping[str, Mapping[str, Mapping[str, float]]]


@dataclass(frozen=True, slots=True)
class BadgeStanding:
    """One live seller badge: whether the seller holds it, and each condition as evaluated."""

    badge_id: str
    copy_key: str
    held: bool
    explanation: RuleExplanation


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The seller's indices in one retained snapshot; `note` says why they are missing."""

    snapshot_id: str
    as_of: date
    indices: Indices
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SellerPageAnswer:
    """Everything the seller's page shows, computed from one View.

    `report` is the benchmark call's answer (over BENCHMARK_WINDOW, the window cohorts are
    precomputed for); `indices` and `first_party` are over the page's `window`.
    """

    envelope: Envelope
    as_of: date
    window: str
    dimensions: tuple[str, ...]
    cohort_values: Mapping[str, str]  # the seller's value on each cohort dimension
    min_cohort_size: int
    report: BenchmarkReport
    indices: Indices
    first_party: tuple[tuple[str, Indices], ...]
    profile: ProfileAnswer
    stat_floors: Mapping[str, int]  # profile stat id -> its minimum sample
    badges: tuple[BadgeStanding, ...]
    trend: tuple[TrendPoint, ...]

    @property
    def benchmark_window(self) -> str:
        """The window the cohort figures are over."""
        return BENCHMARK_WINDOW


def seller_page_answer(
    signals: TrustSignals,
    marketplace: str,
    seller_id: str,
    dimensions: Sequence[str],
    window: str,
) -> SellerPageAnswer:
    """The page of `seller_id` in `marketplace` against the cohort of `dimensions`, its own
    indices and first-party retail's over `window`; SnapshotNotFound for an unknown seller."""
    view = signals.view()
    market = view.market(marketplace)
    seller = signals.seller(view, market, seller_id)
    params = market.config.params
    report = benchmark(signals, view, market, seller_id, dimensions)
    first_party_ids = [first_party_id for first_party_id, _ in report.first_party]
    first_party = tuple(
        (found.subject.seller.seller_id, indices(found.subject, params, window))
        for found in signals.sellers(view, market, first_party_ids).items
        if found is not None
    )
    return SellerPageAnswer(
        envelope(view, market),
        market.snapshot.as_of,
        window,
        tuple(dimensions),
        seller_dimensions(seller.subject.seller, market.config.cohort_spec),
        market.config.cohort_spec.min_cohort_size,
        report,
        indices(seller.subject, params, window),
        first_party,
        signals.precomputed.profile(view, market, seller_id),
        {stat.id: stat.min_sample for stat in market.config.stats},
        badge_standings(signals, view, market, seller_id),
        seller_trend(signals, view, market, seller.subject, window),
    )


def indices(subject: Subject, params: SignalParams, window: str) -> Indices:
    """The subject's FQ and CSQ indices over `window` (None: no orders in it)."""
    return {metric: _INDEX_FNS[metric, window](subject, params).value for metric in PAGE_METRICS}


def badge_standings(
    signals: TrustSignals, view: View, market: Market, seller_id: str
) -> tuple[BadgeStanding, ...]:
    """Every seller badge live in the marketplace today, in display order, with whether the
    seller holds it. A badge switched off, not approved here or not in effect is left out:
    the page never shows what the live config would not."""
    copy_keys = {compiled.rule.id: compiled.rule.copy_key for compiled in market.config.rules}
    return tuple(
        BadgeStanding(rule.rule_id, copy_keys[rule.rule_id], rule.earned, rule)
        for rule in signals.explain(view, market, "seller", seller_id)
        if rule.level == "seller" and rule.withheld_reason is None
    )


def seller_trend(
    signals: TrustSignals, view: View, market: Market, subject: Subject, window: str
) -> tuple[TrendPoint, ...]:
    """The seller's indices over `window` in each retained snapshot of the marketplace up
    to the active one, oldest first (one per day: the active one, else the last loaded).

    Indices are shrunk toward the cohort priors of each snapshot under today's cohort
    parameters; a snapshot loaded under others has none stored, and its point says so.
    """
    active = market.snapshot
    listed = signals.read_store(_list_snapshots)
    retained = retained_days(listed, active)
    priors = _retained_priors(signals, view, market, [i.snapshot_id for i in retained])
    params, spec = market.config.params, market.config.cohort_spec
    seller_id = subject.seller.seller_id
    points = []
    for info, found_priors in zip(retained, priors, strict=True):
        if info.snapshot_id == active.snapshot_id:
            points.append(
                TrendPoint(info.snapshot_id, info.as_of, indices(subject, params, window))
            )
            continue
        [seller] = signals.read_store(_SellerRead(info.snapshot_id, seller_id))
        if seller is None:
            points.append(TrendPoint(info.snapshot_id, info.as_of, {}, "not in this snapshot"))
        elif found_priors is None:
            note = "loaded under other cohort parameters"
            points.append(TrendPoint(info.snapshot_id, info.as_of, {}, note))
        else:
            then = Subject(seller, None, info.as_of, seller_prior(seller, found_priors, spec))
            points.append(TrendPoint(info.snapshot_id, info.as_of, indices(then, params, window)))
    return tuple(points)


def retained_days(listed: Sequence[SnapshotInfo], active: SnapshotInfo) -> list[SnapshotInfo]:
    """The marketplace's snapshots up to the active one's day, one per day (the active one,
    else the last loaded), oldest first."""
    by_day: dict[date, SnapshotInfo] = {}
    for info in listed:
        if info.marketplace != active.marketplace or info.as_of > active.as_of:
            continue
        kept = by_day.get(info.as_of)
        if kept is None or _rank(info, active) > _rank(kept, active):
            by_day[info.as_of] = info
    return [by_day[day] for day in sorted(by_day)]


def _rank(info: SnapshotInfo, active: SnapshotInfo) -> tuple[bool, datetime]:
    return info.snapshot_id == active.snapshot_id, info.loaded_at


def _list_snapshots(store: ReadStore) -> list[SnapshotInfo]:
    return store.list_snapshots()


@dataclass(frozen=True, slots=True)
class _SellerRead:
    """One seller of one snapshot, as a store call."""

    snapshot_id: str
    seller_id: str

    def __call__(self, store: ReadStore) -> list[SellerSnapshot | None]:
        return store.get_sellers(self.snapshot_id, [self.seller_id])


def _retained_priors(
    signals: TrustSignals, view: View, market: Market, snapshot_ids: list[str]
) -> list[Priors | None]:
    """Each snapshot's cohort priors under the view's cohort model (None if not stored),
    decoded once per worker and cached with the served snapshot and config."""
    name = f"priors:{view.cohort_model.version}"

    def compute(todo: list[str]) -> tuple[dict[str, Any], frozenset[str]]:
        found: dict[str, Any] = {}
        for snapshot_id in todo:
            if snapshot_id == market.snapshot.snapshot_id:
                found[snapshot_id] = market.priors
                continue
            blob = signals.read_store(_ArtifactRead(snapshot_id, name))
            found[snapshot_id] = MISSING if blob is None else orjson.loads(blob)
        return found, frozenset()

    items: list[Priors | None] = signals.lookup(
        "retained-priors", view, market, snapshot_ids, compute, False
    ).items
    return items


@dataclass(frozen=True, slots=True)
class _ArtifactRead:
    """One artifact of one snapshot, as a store call."""

    snapshot_id: str
    name: str

    def __call__(self, store: ReadStore) -> bytes | None:
        return store.get_artifact(self.snapshot_id, self.name)
