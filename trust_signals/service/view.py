"""What is served: one consistent View of snapshots and config, and the values cached per entity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

from trust_signals.config import MarketplaceConfig, TrustConfig
from trust_signals.domain.badges import Badge
from trust_signals.domain.profile_stats import ProfileStat
from trust_signals.domain.signals import Subject
from trust_signals.errors import NoActiveSnapshot, TrustSignalsError
from trust_signals.service.cohort_artifacts import CohortModel
from trust_signals.service.signal_rows import RowLayout
from trust_signals.store.base import SnapshotInfo

BADGE_SURFACES = ("search", "pdp")


class UnknownMarketplace(TrustSignalsError):
    """A marketplace with no active snapshot."""

    def __init__(self, marketplace: str, known: Sequence[str]) -> None:
        super().__init__(
            f"unknown marketplace {marketplace!r}: serving {', '.join(sorted(known)) or 'none'}"
        )
        self.marketplace = marketplace


@dataclass(frozen=True, slots=True)
class Market:
    """One marketplace as served: its active snapshot, effective config and priors."""

    snapshot: SnapshotInfo
    config: MarketplaceConfig
    priors: Mapping[str, Mapping[str, Mapping[str, float]]]
    artifacts: Mapping[str, bytes]  # only when computed in-process (config changed since load)
    layout: RowLayout  # of the precomputed signals rows under config.signals_version

    offer_badge_caps: Mapping[str, int] = field(init=False)  # caps of the offer surfaces

    def __post_init__(self) -> None:
        # Set once per snapshot and config, not per offer evaluated.
        caps = {surface: self.config.surface_caps[surface] for surface in BADGE_SURFACES}
        object.__setattr__(self, "offer_badge_caps", caps)


@dataclass(frozen=True, slots=True)
class View:
    """One consistent state: every response is computed from exactly one View."""

    config: TrustConfig
    cohort_model: CohortModel
    markets: Mapping[str, Market]
    # Marketplaces whose snapshot vanished from the store without a deactivation (the store
    # lost its data): still served from this view, degraded where the store cannot answer.
    lost: frozenset[str] = frozenset()

    def market(self, marketplace: str) -> Market:
        """The served marketplace; UnknownMarketplace, or NoActiveSnapshot when nothing is
        served at all (a store not loaded yet is the service's state, not the caller's bug)."""
        found = self.markets.get(marketplace)
        if found is None:
            if not self.markets:
                raise NoActiveSnapshot("no snapshot is active yet; load one to serve")
            raise UnknownMarketplace(marketplace, list(self.markets))
        return found


@dataclass(frozen=True, slots=True)
class SellerSignals:
    """What every read of a seller or of its offers needs: computed once per snapshot,
    config and day, and cached."""

    subject: Subject
    inherited: frozenset[str]  # ids of the seller rules it earned, shown on its offers


@dataclass(frozen=True, slots=True)
class SellerPage:
    """A seller as its profile page and the PDP seller line show it."""

    badges: Mapping[str, tuple[Badge, ...]]  # surface -> badges (seller-level rules)
    stats: tuple[ProfileStat, ...]


class OfferSignals(NamedTuple):
    """An offer's badges per surface: what the search page and the PDP read.

    A NamedTuple, like `FeatureRow`: one is built per offer computed, and a tuple costs a
    third of a frozen dataclass.
    """

    offer_id: str
    seller_id: str
    badges: Mapping[str, tuple[Badge, ...]]


class FeatureRow(NamedTuple):
    """An offer's ranking vector in schema order and its missing mask."""

    values: tuple[float, ...]
    missing: tuple[bool, ...]


ABSENT = object()  # not in the cache
MISSING = object()  # cached marker: the id is not in the snapshot
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Lookup(Generic[T]):
    """A batch lookup's answer: items aligned with the ids asked, None where unknown.

    With `fail_open`, ids the store could not be asked (it is down or too slow) are in
    `unanswered` (their items are None too) instead of failing the whole call: search, PDP
    and ranking then show no badge / default features rather than an error.
    """

    items: list[T | None]
    unanswered: frozenset[str]

    @property
    def degraded(self) -> bool:
        """Whether part of the answer is missing because the store failed."""
        return bool(self.unanswered)


def answered(
    ids: Sequence[str], cached: list[Any], computed: Mapping[str, Any], unanswered: frozenset[str]
) -> Lookup[Any]:
    items = [computed.get(i, c) if c is ABSENT else c for i, c in zip(ids, cached, strict=True)]
    return Lookup([None if c is MISSING or c is ABSENT else c for c in items], unanswered)
