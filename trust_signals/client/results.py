"""The HTTP client's typed results, their parsing from response bodies, and its errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from trust_signals.errors import TrustSignalsError

T = TypeVar("T")


class TrustSignalsClientError(TrustSignalsError):
    """Base of every error the HTTP client raises."""


class RequestRejected(TrustSignalsClientError):
    """The service refused the request (4xx): a bug in the caller; raised in every mode."""

    def __init__(self, status: int, code: str | None, detail: str) -> None:
        super().__init__(f"HTTP {status} {code or 'rejected'}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


class NotFound(RequestRejected):
    """404: an unknown offer, seller or marketplace (`code` says which)."""


class ServiceUnavailable(TrustSignalsClientError):
    """No answer: connection failure, timeout, 5xx, 408/429, or the circuit breaker is open."""

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail if status is None else f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class MalformedResponse(TrustSignalsClientError):
    """A 2xx answer whose body is not the documented JSON (not JSON, fields missing or mistyped)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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

    snapshot_id: str | None
    config_version: str | None
    marketplace: str
    surface: str
    badges: dict[str, tuple[Badge, ...]]
    missing: tuple[str, ...]
    degraded: bool


@dataclass(frozen=True, slots=True)
class OfferResult:
    """The PDP call: the offer's badges and its seller's shown stats."""

    snapshot_id: str | None
    config_version: str | None
    marketplace: str
    offer_id: str
    seller_id: str | None
    badges: tuple[Badge, ...]
    seller_stats: tuple[Stat, ...]
    degraded: bool


@dataclass(frozen=True, slots=True)
class SellerProfile:
    """The seller profile page: every stat (withheld ones say why) and the seller's badges."""

    snapshot_id: str | None
    config_version: str | None
    marketplace: str
    seller_id: str
    stats: tuple[Stat, ...]
    badges: tuple[Badge, ...]
    degraded: bool


@dataclass(frozen=True, slots=True)
class FeaturesResult:
    """One vector per requested offer id in `feature_names` order, with its missing mask."""

    snapshot_id: str | None
    config_version: str | None
    marketplace: str
    schema_version: str | None
    feature_names: tuple[str, ...]
    vectors: dict[str, tuple[float, ...]]
    missing_mask: dict[str, tuple[bool, ...]]
    missing: tuple[str, ...]
    degraded: bool


@dataclass(frozen=True, slots=True)
class Cohort:
    """The cohort a seller is compared with; `withheld` when it is below the minimum size."""

    key: str
    withheld: bool
    size: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class MetricBenchmark:
    """A seller's metric and, unless the cohort is withheld, where it sits in the cohort."""

    value: float | None
    percentile: float | None
    cohort_p25: float | None
    cohort_median: float | None
    cohort_p75: float | None
    cohort_count: int | None


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
class Benchmark:
    """A seller against the chosen cohort and first-party retail; `cohort` None when degraded."""

    snapshot_id: str | None
    config_version: str | None
    marketplace: str
    seller_id: str
    dimensions: tuple[str, ...]
    cohort: Cohort | None
    metrics: dict[str, MetricBenchmark]
    first_party: tuple[FirstPartyMetrics, ...]
    improvement_opportunities: tuple[Opportunity, ...]
    degraded: bool


@dataclass(frozen=True, slots=True)
class ProgramGroup:
    """One program group's pooled indices (0-100; None when it has no orders)."""

    group: str
    sellers: int
    orders: int
    fq_index: float | None
    csq_index: float | None


@dataclass(frozen=True, slots=True)
class Programs:
    """Indices per program group; `snapshot_ids` names each marketplace's snapshot."""

    snapshot_ids: dict[str, str]
    config_version: str | None
    group_by: str
    window: str
    groups: tuple[ProgramGroup, ...]
    degraded: bool


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

    config_version: str | None
    config_error: str | None
    active: dict[str, SnapshotInfo]
    snapshots: tuple[SnapshotInfo, ...]
    pid: int | None
    degraded: bool


# -- parsing: every shape check raises MalformedResponse naming the field ---------------


def _get(body: Any, key: str, kinds: tuple[type, ...], nullable: bool = False) -> Any:
    if not isinstance(body, dict):
        raise MalformedResponse(f"expected a JSON object holding {key!r}")
    if key not in body:
        raise MalformedResponse(f"field {key!r} is missing")
    value = body[key]
    if value is None and nullable:
        return None
    # bool is an int to isinstance; a number field holding true/false is still malformed.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise MalformedResponse(f"field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _str(body: Any, key: str) -> str:
    found: str = _get(body, key, (str,))
    return found


def _opt_str(body: Any, key: str) -> str | None:
    found: str | None = _get(body, key, (str,), nullable=True)
    return found


def _int(body: Any, key: str) -> int:
    found: int = _get(body, key, (int,))
    return found


def _num(body: Any, key: str) -> float:
    return float(_get(body, key, (int, float)))


def _opt_num(body: Any, key: str) -> float | None:
    found = _get(body, key, (int, float), nullable=True)
    return None if found is None else float(found)


def _list(body: Any, key: str, item: Callable[[Any], T]) -> tuple[T, ...]:
    return tuple(item(entry) for entry in _get(body, key, (list,)))


def _id(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedResponse(f"expected an id string, got {type(value).__name__}")
    return value


def parse_badge(body: Any) -> Badge:
    """A badge object."""
    return Badge(_str(body, "id"), _str(body, "copy_key"), _str(body, "level"))


def parse_stat(body: Any) -> Stat:
    """A stat object."""
    return Stat(
        id=_str(body, "id"),
        value=_opt_num(body, "value"),
        display=_opt_str(body, "display"),
        sample_size=_int(body, "sample_size"),
        window=_opt_str(body, "window"),
        withheld=_get(body, "withheld", (bool,)),
        withheld_reason=_opt_str(body, "withheld_reason"),
    )


def parse_badges(body: Any, ids: list[str]) -> BadgesResult:
    """POST /v1/badges: every asked id gets an entry, in the order asked."""
    found = {
        _str(entry, "offer_id"): _list(entry, "badges", parse_badge)
        for entry in _get(body, "offers", (list,))
    }
    return BadgesResult(
        snapshot_id=_str(body, "snapshot_id"),
        config_version=_str(body, "config_version"),
        marketplace=_str(body, "marketplace"),
        surface=_str(body, "surface"),
        badges={offer_id: found.get(offer_id, ()) for offer_id in ids},
        missing=_list(body, "missing", _id),
        degraded=False,
    )


def parse_offer(body: Any) -> OfferResult:
    """GET /v1/offers/<id>."""
    seller = _get(body, "seller", (dict,))
    return OfferResult(
        snapshot_id=_str(body, "snapshot_id"),
        config_version=_str(body, "config_version"),
        marketplace=_str(body, "marketplace"),
        offer_id=_str(body, "offer_id"),
        seller_id=_str(seller, "seller_id"),
        badges=_list(body, "badges", parse_badge),
        seller_stats=_list(seller, "stats", parse_stat),
        degraded=False,
    )


def parse_profile(body: Any) -> SellerProfile:
    """GET /v1/sellers/<id>/profile."""
    return SellerProfile(
        snapshot_id=_str(body, "snapshot_id"),
        config_version=_str(body, "config_version"),
        marketplace=_str(body, "marketplace"),
        seller_id=_str(body, "seller_id"),
        stats=_list(body, "stats", parse_stat),
        badges=_list(body, "badges", parse_badge),
        degraded=False,
    )


def _rows(body: Any, key: str, width: int, kind: Callable[[Any], T]) -> list[tuple[T, ...]]:
    rows = _get(body, key, (list,))
    try:
        # map() keeps a 1,000 x N vector block cheap; a non-number raises and is reported.
        parsed = [tuple(map(kind, row)) for row in rows]
    except (TypeError, ValueError):
        raise MalformedResponse(f"field {key!r} holds a non-numeric entry") from None
    if any(len(row) != width for row in parsed):
        raise MalformedResponse(f"a row of {key!r} does not match feature_names")
    return parsed


def _mask_entry(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def parse_features(body: Any, ids: list[str]) -> FeaturesResult:
    """POST /v1/features: one vector and mask per asked id, which the body must echo in order."""
    names = _list(body, "feature_names", _id)
    if list(_list(body, "offer_ids", _id)) != ids:
        raise MalformedResponse("offer_ids do not echo the ids asked")
    vectors = _rows(body, "vectors", len(names), float)
    masks = _rows(body, "missing_mask", len(names), _mask_entry)
    if len(vectors) != len(ids) or len(masks) != len(ids):
        raise MalformedResponse("vectors and missing_mask must hold one row per offer id")
    return FeaturesResult(
        snapshot_id=_str(body, "snapshot_id"),
        config_version=_str(body, "config_version"),
        marketplace=_str(body, "marketplace"),
        schema_version=_str(body, "schema_version"),
        feature_names=names,
        vectors=dict(zip(ids, vectors, strict=True)),
        missing_mask=dict(zip(ids, masks, strict=True)),
        missing=_list(body, "missing", _id),
        degraded=False,
    )


def _metric(body: Any) -> MetricBenchmark:
    in_cohort = isinstance(body, dict) and "percentile" in body
    return MetricBenchmark(
        value=_opt_num(body, "value"),
        percentile=_opt_num(body, "percentile") if in_cohort else None,
        cohort_p25=_opt_num(body, "cohort_p25") if in_cohort else None,
        cohort_median=_opt_num(body, "cohort_median") if in_cohort else None,
        cohort_p75=_opt_num(body, "cohort_p75") if in_cohort else None,
        cohort_count=_int(body, "cohort_count") if in_cohort else None,
    )


def _number_map(body: Any, key: str) -> dict[str, float | None]:
    found: Mapping[str, Any] = _get(body, key, (dict,))
    return {name: _opt_num(found, name) for name in found}


def parse_benchmark(body: Any) -> Benchmark:
    """GET /v1/sellers/<id>/benchmark."""
    cohort = _get(body, "cohort", (dict,))
    withheld = _get(cohort, "withheld", (bool,))
    metrics: Mapping[str, Any] = _get(body, "metrics", (dict,))
    return Benchmark(
        snapshot_id=_str(body, "snapshot_id"),
        config_version=_str(body, "config_version"),
        marketplace=_str(body, "marketplace"),
        seller_id=_str(body, "seller_id"),
        dimensions=_list(body, "dimensions", _id),
        cohort=Cohort(
            key=_str(cohort, "key"),
            withheld=withheld,
            size=None if withheld else _int(cohort, "size"),
            reason=_str(cohort, "reason") if withheld else None,
        ),
        metrics={name: _metric(entry) for name, entry in metrics.items()},
        first_party=_list(
            body,
            "first_party",
            lambda e: FirstPartyMetrics(_str(e, "seller_id"), _number_map(e, "metrics")),
        ),
        improvement_opportunities=_list(
            body,
            "improvement_opportunities",
            lambda e: Opportunity(
                _str(e, "family"), _str(e, "defect_type"), _num(e, "index_points")
            ),
        ),
        degraded=False,
    )


def _group(body: Any) -> ProgramGroup:
    return ProgramGroup(
        group=_str(body, "group"),
        sellers=_int(body, "sellers"),
        orders=_int(body, "orders"),
        fq_index=_opt_num(body, "fq_index"),
        csq_index=_opt_num(body, "csq_index"),
    )


def parse_programs(body: Any) -> Programs:
    """GET /v1/programs."""
    snapshot_ids: Mapping[str, Any] = _get(body, "snapshot_ids", (dict,))
    return Programs(
        snapshot_ids={m: _str(snapshot_ids, m) for m in snapshot_ids},
        config_version=_str(body, "config_version"),
        group_by=_str(body, "group_by"),
        window=_str(body, "window"),
        groups=_list(body, "groups", _group),
        degraded=False,
    )


def _snapshot(body: Any) -> SnapshotInfo:
    try:
        as_of = date.fromisoformat(_str(body, "as_of"))
        loaded_at = datetime.fromisoformat(_str(body, "loaded_at"))
    except ValueError:
        raise MalformedResponse("as_of / loaded_at are not ISO 8601") from None
    return SnapshotInfo(
        snapshot_id=_str(body, "snapshot_id"),
        marketplace=_str(body, "marketplace"),
        as_of=as_of,
        loaded_at=loaded_at,
        seller_count=_int(body, "seller_count"),
        offer_count=_int(body, "offer_count"),
        active=_get(body, "active", (bool,)),
    )


def parse_status(body: Any) -> Status:
    """GET /v1/status."""
    active: Mapping[str, Any] = _get(body, "active", (dict,))
    return Status(
        config_version=_str(body, "config_version"),
        # An anonymous caller sees no config error, retained snapshots or pid.
        config_error=_opt_str(body, "config_error") if "config_error" in body else None,
        active={m: _snapshot(info) for m, info in active.items()},
        snapshots=_list(body, "snapshots", _snapshot) if "snapshots" in body else (),
        pid=_int(body, "pid") if "pid" in body else None,
        degraded=False,
    )
