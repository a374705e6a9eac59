"""Whole answers of the read use cases, each naming what it was computed from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trust_signals.domain.badges import Badge, RuleExplanation
from trust_signals.domain.profile_stats import ProfileStat

Badges = tuple[Badge, ...]


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every answer carries: the snapshot and config it was computed from."""

    snapshot_id: str
    config_version: str
    marketplace: str


@dataclass(frozen=True, slots=True)
class BadgesAnswer:
    """A page of offers' badges on one surface; `missing` ids are not in the snapshot.

    Degraded: the store failed, and the offers it could not give are listed with no badge.
    """

    envelope: Envelope
    surface: str
    offers: list[tuple[str, Badges]]
    missing: list[str]
    degraded: bool


@dataclass(frozen=True, slots=True)
class OfferAnswer:
    """The PDP: the offer's badges and the stats its seller line may show."""

    envelope: Envelope
    offer_id: str
    badges: Badges
    seller_id: str | None
    stats: tuple[ProfileStat, ...]  # only those shown (not withheld)
    degraded: bool


@dataclass(frozen=True, slots=True)
class ProfileAnswer:
    """The seller profile page: every stat (withheld ones with the reason) and its badges."""

    envelope: Envelope
    seller_id: str
    stats: tuple[ProfileStat, ...]
    badges: Badges


@dataclass(frozen=True, slots=True)
class FeaturesAnswer:
    """Ranking vectors (float32, schema order) and missing masks, one row per id asked."""

    envelope: Envelope
    schema_version: str
    feature_names: tuple[str, ...]
    offer_ids: list[str]
    values: np.ndarray  # shape (len(offer_ids), features), float32
    missing_mask: np.ndarray  # same shape, bool
    missing: list[str]
    degraded: bool


@dataclass(frozen=True, slots=True)
class ExplainAnswer:
    """Every badge rule, condition by condition, for one seller or offer (audit)."""

    envelope: Envelope
    entity: str  # 'seller' or 'offer'
    entity_id: str
    rules: tuple[RuleExplanation, ...]


@dataclass(frozen=True, slots=True)
class Readiness:
    """What this worker serves once its store answered: nothing active means not ready."""

    config_version: str
    active: dict[str, str]  # marketplace -> snapshot id
    lost: list[str]  # marketplaces served from the last good view after the store lost them
