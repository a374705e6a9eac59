"""The HTTP client's typed results, each described once: its fields are what the body sends.

`decoding` reads a body into these dataclasses by their fields and types; `sent(...)` marks
the fields sent under another path or only to some callers, `GIVEN` those the client fills
itself. Every answer carries the same envelope: `snapshot_id` and `config_version` (None only
in a degraded result, which the client makes itself, so never null in a body) and `degraded`
(the client's own flag).

Over 300 lines on purpose: one frozen result class per answer of the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from trust_signals.client.decoding import GIVEN, has_key, object_reader, sent
from trust_signals.client.errors import MalformedResponse

# The envelope's snapshot_id and config_version are None only in a degraded result, which the
# client makes itself: an answer never sends them null.
_ANSWERED: Final = sent(null=False)


@dataclass(frozen=True, slots=True)
class Badge:
    """A badge to show; the front end renders the approved copy for `copy_key`."""

    id: str
    copy_key: str
    level: str


@dataclass(frozen=True, slots=True)
class Stat:
    """A profile stat with its display string, sample and window (or withheld, with why)."""

    id: str
    value: float | None
    display: str | None
    sample_size: int
    window: str | None
    withheld: bool
    withheld_reason: str | None


@dataclass(frozen=True, slots=True)
class BadgesResult:
    """Badges per requested offer id (() when none or unknown); `missing`: ids the data lacks."""

    snapshot_id: str | None = field(metadata=_ANSWERED)
    config_version: str | None = field(metadata=_ANSWERED)
    marketplace: str
    surface: str
    # The body's `offers`, keyed by asked id.
    badges: dict[str, tuple[Badge, ...]] = field(metadata=GIVEN)
    missing: tuple[str, ...]
    degraded: bool = field(metadata=GIVEN)


@dataclass(frozen=True, slots=True)
class OfferResult:
    """The PDP call: the offer's badges and its seller's shown stats."""

    snapshot_id: str | None = field(metadata=_ANSWERED)
    config_version: str | None = field(metadata=_ANSWERED)
    marketplace: str
    offer_id: str
    seller_id: str | None = field(metadata=sent("seller", "seller_id", null=False))
    badges: tuple[Badge, ...]
    seller_stats: tuple[Stat, ...] = field(metadata=sent("seller", "stats"))
    degraded: bool = field(metadata=GIVEN)


@dataclass(frozen=True, slots=True)
class SellerProfile:
    """The seller profile page: every stat (withheld ones say why) and the seller's badges."""

    snapshot_id: str | None = field(metadata=_ANSWERED)
    config_version: str | None = field(metadata=_ANSWERED)
    marketplace: str
    seller_id: str
    stats: tuple[Stat, ...]
    badges: tuple[Badge, ...]
    degraded: bool = field(metadata=GIVEN)


@dataclass(frozen=True, slots=True)
class FeaturesResult:
    """One vector per requested offer id in `feature_names` order, with its missing mask."""

    snapshot_id: str | None = field(metadata=_ANSWERED)
    config_version: str | None = field(metadata=_ANSWERED)
    marketplace: str
    schema_version: str | None = field(metadata=_ANSWERED)
    feature_names: tuple[str, ...]
    # The body's rows, keyed by asked id.
    vectors: dict[str, tuple[float, ...]] = field(metadata=GIVEN)
    missing_mask: dict[str, tuple[bool, ...]] = field(metadata=GIVEN)
    missing: tuple[str, ...]
    degraded: bool = field(metadata=GIVEN)


def _shown(cohort: Mapping[str, Any]) -> bool:
    return cohort["withheld"] is False


def _withheld(cohort: Mapping[str, Any]) -> bool:
    return cohort["withheld"] is True


@dataclass(frozen=True, slots=True)
class Cohort:
    """The cohort a seller is compared with; `withheld` when it is below the minimum size."""

    key: str
    withheld: bool
    size: int | None = field(metadata=sent(when=_shown, null=False))
    reason: str | None = field(metadata=sent(when=_withheld, null=False))


# A seller's metric carries its place in the cohort only when the cohort is shown.
_IN_COHORT: Final = has_key("percentile")


@dataclass(frozen=True, slots=True)
class MetricBenchmark:
    """A seller's metric and, unless the cohort is withheld, where it sits in the cohort."""

    value: float | None
    percentile: float | None = field(metadata=sent(when=_IN_COHORT))
    cohort_p25: float | None = field(metadata=sent(when=_IN_COHORT))
    cohort_median: float | None = field(metadata=sent(when=_IN_COHORT))
    cohort_p75: float | None = field(metadata=sent(when=_IN_COHORT))
    cohort_count: int | None = field(metadata=sent(when=_IN_COHORT, null=False))


@dataclass(frozen=True, slots=True)
class FirstPartyMetrics:
    """A first-party retail account's metrics, for comparison."""

    seller_id: str
    metrics: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A defect type and the index points the seller would gain by fixing it."""

    family: str
    defect_type: str
    index_points: float


@dataclass(frozen=True, slots=True)
class PooledCohort:
    """A cohort pooled over the stores of a stage: its size and each store's part (a store
    where the cohort is below the minimum size has none)."""

    key: str
    size: int
    sizes: dict[str, int]


@dataclass(frozen=True, slots=True)
class CohortPlace:
    """Where a seller's metric sits in a pooled cohort (approximate: each store's cohort is
    pooled from its quantile sketch); `percentile` None when the seller has no value."""

    percentile: float | None
    cohort_p25: float
    cohort_median: float
    cohort_p75: float
    cohort_count: int


@dataclass(frozen=True, slots=True)
class StageComparison:
    """The seller's cohort in the served stores of a stage; `cohort` None, with `reason`,
    when it is not shown (no such store served, or below the minimum size in every one)."""

    marketplaces: tuple[str, ...]
    cohort: PooledCohort | None
    reason: str | None
    metrics: dict[str, CohortPlace]


@dataclass(frozen=True, slots=True)
class Benchmark:
    """A seller against the chosen cohort and first-party retail; `cohort` None when degraded.

    `established`: the same cohort in the established stores, when asked with
    `compare="established"` (else None).
    """

    snapshot_id: str | None = field(metadata=_ANSWERED)
    config_version: str | None = field(metadata=_ANSWERED)
    marketplace: str
    seller_id: str
    dimensions: tuple[str, ...]
    cohort: Cohort | None = field(metadata=_ANSWERED)
    metrics: dict[str, MetricBenchmark]
    first_party: tuple[FirstPartyMetrics, ...]
    improvement_opportunities: tuple[Opportunity, ...]
    established: StageComparison | None = field(metadata=sent(when=has_key("established")))
    degraded: bool = field(metadata=GIVEN)


@dataclass(frozen=True, slots=True)
class Resource:
    """A program or guide for the seller; the front end renders the copy for `copy_key`."""

    copy_key: str
    link: str


@dataclass(frozen=True, slots=True)
class MoreGood:
    """The fewest more clean events that make a criterion pass: `count` of `unit` (orders,
    answered_contacts, positive_feedback, five_star_ratings, ...)."""

    count: int
    unit: str


@dataclass(frozen=True, slots=True)
class Criterion:
    """One condition of a missed badge: where the seller stands and what it takes.

    `more_good` / `max_defects` are None where no change of counts helps or no defects are
    counted; `reason` then says why (or, for tenure, how many days remain).
    """

    path: str
    signal: str
    window: str | None
    bound: str
    comparator: str
    threshold: float
    min_sample: int
    sample: int
    value: float | None
    passes: bool
    more_good: MoreGood | None
    max_defects: int | None
    reason: str | None
    resources: tuple[Resource, ...]


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """A group of a badge rule: `all` needs every child, `any` one (`must_pass`)."""

    path: str
    mode: str
    passes: bool
    must_pass: int
    failing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CoachedBadge:
    """A seller badge the seller does not hold, every condition coached; `rule` is 'all' or
    'any', the rule's top group."""

    badge_id: str
    copy_key: str
    holds: bool
    rule: str
    groups: tuple[RuleGroup, ...]
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class OfferFailing:
    """A condition of an offer badge and how many of the offers without it fail it."""

    path: str
    signal: str
    offers: int


@dataclass(frozen=True, slots=True)
class OfferBadgeCounts:
    """An offer badge over the seller's offers."""

    badge_id: str
    copy_key: str
    holding: int
    not_holding: int
    failing: tuple[OfferFailing, ...]


@dataclass(frozen=True, slots=True)
class CoachingOpportunity:
    """A defect type, the index points matching the cohort median gains, and what helps."""

    family: str
    defect: str
    index_points: float
    resources: tuple[Resource, ...]


@dataclass(frozen=True, slots=True)
class CoachingCohort:
    """The cohort compared with; `size` None when it is withheld (below the minimum size)."""

    key: str
    size: int | None


@dataclass(frozen=True, slots=True)
class Coaching:
    """What each seller badge the seller misses takes, its offers on the offer badges, and
    what to improve first; `cohort` None only when degraded."""

    snapshot_id: str | None = field(metadata=_ANSWERED)
    config_version: str | None = field(metadata=_ANSWERED)
    marketplace: str
    seller_id: str
    cohort: CoachingCohort | None = field(metadata=_ANSWERED)
    badges: tuple[CoachedBadge, ...]
    offers: tuple[OfferBadgeCounts, ...]
    opportunities: tuple[CoachingOpportunity, ...]
    degraded: bool = field(metadata=GIVEN)


@dataclass(frozen=True, slots=True)
class AppliedTarget:
    """A what-if target as tried: the count set, the seller's count now, its opportunities."""

    defect: str
    window: str
    count: int
    current_count: int
    opportunities: int


@dataclass(frozen=True, slots=True)
class IndexProjection:
    """An FQ/CSQ index (0-100) now and with the targets; None without orders."""

    family: str
    window: str
    current: float | None
    projected: float | None


@dataclass(frozen=True, slots=True)
class PercentileProjection:
    """A cohort percentile (0-100, higher is better) now and with the targets."""

    metric: str
    window: str
    current: float | None
    projected: float | None


@dataclass(frozen=True, slots=True)
class BadgeRef:
    """A badge by id and copy key."""

    badge_id: str
    copy_key: str


@dataclass(frozen=True, slots=True)
class BadgeChanges:
    """The seller badges the targets would earn, lose and keep."""

    earned: tuple[BadgeRef, ...]
    lost: tuple[BadgeRef, ...]
    kept: tuple[BadgeRef, ...]


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The seller now and with target defect counts; no percentile when the cohort is
    withheld; `cohort` and `badges` None only when degraded."""

    snapshot_id: str | None = field(metadata=_ANSWERED)
    config_version: str | None = field(metadata=_ANSWERED)
    marketplace: str
    seller_id: str
    dimensions: tuple[str, ...]
    cohort: CoachingCohort | None = field(metadata=_ANSWERED)
    targets: tuple[AppliedTarget, ...]
    indices: tuple[IndexProjection, ...]
    percentiles: tuple[PercentileProjection, ...]
    badges: BadgeChanges | None = field(metadata=_ANSWERED)
    degraded: bool = field(metadata=GIVEN)


@dataclass(frozen=True, slots=True)
class ProgramGroup:
    """One program group's pooled indices (0-100; None when it has no orders) and the
    marketplaces whose sellers it pools."""

    group: str
    marketplaces: tuple[str, ...]
    sellers: int
    orders: int
    fq_index: float | None
    csq_index: float | None


@dataclass(frozen=True, slots=True)
class Programs:
    """Indices per program group; `snapshot_ids` names each marketplace's snapshot."""

    snapshot_ids: dict[str, str]
    config_version: str | None = field(metadata=_ANSWERED)
    group_by: str
    window: str
    groups: tuple[ProgramGroup, ...]
    degraded: bool = field(metadata=GIVEN)


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A loaded snapshot as the answering worker's catalog lists it."""

    snapshot_id: str
    marketplace: str
    as_of: date
    loaded_at: datetime
    seller_count: int
    offer_count: int
    active: bool


@dataclass(frozen=True, slots=True)
class Status:
    """The answering worker's active snapshots, retained ones and config version.

    `config_error`, `snapshots` and `pid` come only with the audit or admin token (`api_key`).
    """

    config_version: str | None = field(metadata=_ANSWERED)
    config_error: str | None = field(metadata=sent(when=has_key("config_error")))
    active: dict[str, SnapshotInfo]
    snapshots: tuple[SnapshotInfo, ...] = field(metadata=sent(when=has_key("snapshots")))
    pid: int | None = field(metadata=sent(when=has_key("pid"), null=False))
    degraded: bool = field(metadata=GIVEN)


# -- the bodies' parts that are not a result's fields as they are ---------------------------


@dataclass(frozen=True, slots=True)
class _OfferBadges:
    offer_id: str
    badges: tuple[Badge, ...]


@dataclass(frozen=True, slots=True)
class _BadgeRows:
    """POST /v1/badges sends an entry per offer that has data, which the client keys by id."""

    offers: tuple[_OfferBadges, ...]


@dataclass(frozen=True, slots=True)
class _FeatureRows:
    """POST /v1/features sends one vector and one mask per asked id, in the order asked."""

    feature_names: tuple[str, ...]
    offer_ids: tuple[str, ...]
    vectors: tuple[tuple[float, ...], ...]
    missing_mask: tuple[tuple[bool, ...], ...]


_BADGE_ROWS: Final = object_reader(_BadgeRows)
_BADGES: Final = object_reader(BadgesResult)
_FEATURE_ROWS: Final = object_reader(_FeatureRows)
_FEATURES: Final = object_reader(FeaturesResult)
_OFFER: Final = object_reader(OfferResult)
_PROFILE: Final = object_reader(SellerProfile)
_BENCHMARK: Final = object_reader(Benchmark)
_COACHING: Final = object_reader(Coaching)
_WHAT_IF: Final = object_reader(WhatIf)
_PROGRAMS: Final = object_reader(Programs)
_STATUS: Final = object_reader(Status)


def parse_badges(body: Any, ids: list[str]) -> BadgesResult:
    """POST /v1/badges: every asked id gets an entry, in the order asked."""
    found = {entry.offer_id: entry.badges for entry in _BADGE_ROWS(body).offers}
    badges = {offer_id: found.get(offer_id, ()) for offer_id in ids}
    return _BADGES(body, badges=badges, degraded=False)


def parse_features(body: Any, ids: list[str]) -> FeaturesResult:
    """POST /v1/features: one vector and mask per asked id, which the body must echo in order."""
    rows = _FEATURE_ROWS(body)
    if list(rows.offer_ids) != ids:
        raise MalformedResponse("offer_ids: do not echo the ids asked")
    width = len(rows.feature_names)
    for key, block in (("vectors", rows.vectors), ("missing_mask", rows.missing_mask)):
        if len(block) != len(ids):
            raise MalformedResponse(f"{key}: expected one row per offer id, {len(ids)}")
        for index, row in enumerate(block):
            if len(row) != width:
                raise MalformedResponse(f"{key}[{index}]: expected one entry per feature name")
    vectors = dict(zip(ids, rows.vectors, strict=True))
    masks = dict(zip(ids, rows.missing_mask, strict=True))
    return _FEATURES(body, vectors=vectors, missing_mask=masks, degraded=False)


def parse_offer(body: Any) -> OfferResult:
    """GET /v1/offers/<id>."""
    return _OFFER(body, degraded=False)


def parse_profile(body: Any) -> SellerProfile:
    """GET /v1/sellers/<id>/profile."""
    return _PROFILE(body, degraded=False)


def parse_benchmark(body: Any) -> Benchmark:
    """GET /v1/sellers/<id>/benchmark."""
    return _BENCHMARK(body, degraded=False)


def parse_coaching(body: Any) -> Coaching:
    """GET /v1/sellers/<id>/coaching."""
    return _COACHING(body, degraded=False)


def parse_what_if(body: Any) -> WhatIf:
    """POST /v1/sellers/<id>/what-if."""
    return _WHAT_IF(body, degraded=False)


def parse_programs(body: Any) -> Programs:
    """GET /v1/programs."""
    return _PROGRAMS(body, degraded=False)


def parse_status(body: Any) -> Status:
    """GET /v1/status."""
    return _STATUS(body, degraded=False)
