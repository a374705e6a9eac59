"""Who gains and who loses each badge and profile stat under a new config, by cohort.

Every offer and seller is counted once per (cohort, what it showed before, what it shows
after): a marketplace's millions of entities fall into a few thousand such transitions,
which add up across chunks and processes, and every figure of the preview is read off
them. A badge is held where the live config shows it (kill switch, approval in the
marketplace, effective dates, surfaces, priorities and caps), as the read path decides it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from trust_signals.domain.badges import CompiledRule, shown_badges
from trust_signals.domain.cohorts import CohortSpec, seller_dimensions, tenure_band
from trust_signals.domain.snapshots import CATEGORY_GROUPS, FULFILLMENT_CHANNELS, SellerSnapshot

OFFERS: Final = "offers"
SELLERS: Final = "sellers"
PREVIEW_DIMENSIONS: Final = ("tenure", "category", "channel", "first_party")
FIRST_PARTY: Final = ("third party", "first party")  # indexed by SellerSnapshot.first_party

Cohort = tuple[str, ...]  # a seller's values on PREVIEW_DIMENSIONS (an offer's: its seller's)
Held = frozenset[str]
# (OFFERS or SELLERS, cohort, badge ids held before, held after) -> entities
BadgeTransitions = Counter[tuple[str, Cohort, Held, Held]]
# (stat ids shown before, shown after) -> sellers
StatTransitions = Counter[tuple[Held, Held]]


def preview_cohort(seller: SellerSnapshot, spec: CohortSpec) -> Cohort:
    """The seller's tenure band, category, fulfillment channel and party."""
    dimensions = seller_dimensions(seller, spec)
    party = FIRST_PARTY[seller.first_party]
    return (dimensions["tenure"], dimensions["category"], dimensions["channel"], party)


def cohort_order(spec: CohortSpec) -> tuple[tuple[str, ...], ...]:
    """Each dimension's values in reading order (tenure bands shortest first), aligned with
    PREVIEW_DIMENSIONS."""
    edges = spec.tenure_band_edges_days
    bands = (tenure_band(0, edges), *(tenure_band(edge, edges) for edge in edges))
    return (bands, CATEGORY_GROUPS, FULFILLMENT_CHANNELS, FIRST_PARTY)


def held_badges(
    rules: Sequence[CompiledRule],
    met: Container[str],
    *,
    is_offer: bool,
    max_badges: Mapping[str, int],
    marketplace: str,
    on: date,
) -> Held:
    """The badges shown on at least one of the surfaces in `max_badges` (surface -> cap) to
    an entity that meets the rules `met`, on day `on`."""
    shown = shown_badges(
        rules, met, is_offer=is_offer, max_badges=max_badges, marketplace=marketplace, on=on
    )
    return frozenset(badge.id for badges in shown.values() for badge in badges)


@dataclass(frozen=True, slots=True)
class Movement:
    """One badge among one kind of entity: holders before and after, and who moved, per
    dimension and value (values in reading order; only those with someone moving)."""

    held_before: int
    held_after: int
    gained: int
    lost: int
    gained_by: Mapping[str, Mapping[str, int]]
    lost_by: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class StatImpact:
    """One profile stat: sellers showing it before and after, and who changed."""

    stat_id: str
    shown_before: int
    shown_after: int
    newly_shown: int
    newly_withheld: int


def badge_movement(
    transitions: BadgeTransitions, kind: str, badge_id: str, order: Sequence[Sequence[str]]
) -> Movement:
    """The badge's movement among entities of `kind` (OFFERS or SELLERS)."""
    held_before = held_after = 0
    gained: Counter[Cohort] = Counter()
    lost: Counter[Cohort] = Counter()
    for (entity_kind, cohort, before, after), count in transitions.items():
        if entity_kind != kind:
            continue
        had, has = badge_id in before, badge_id in after
        held_before += count if had else 0
        held_after += count if has else 0
        if has and not had:
            gained[cohort] += count
        elif had and not has:
            lost[cohort] += count
    return Movement(
        held_before,
        held_after,
        sum(gained.values()),
        sum(lost.values()),
        _by_dimension(gained, order),
        _by_dimension(lost, order),
    )


def _by_dimension(
    cohorts: Counter[Cohort], order: Sequence[Sequence[str]]
) -> dict[str, dict[str, int]]:
    """Counts per dimension and value, the values in `order`, then any others sorted."""
    result = {}
    for position, dimension in enumerate(PREVIEW_DIMENSIONS):
        counts: Counter[str] = Counter()
        for cohort, count in cohorts.items():
            counts[cohort[position]] += count
        known = order[position]
        values = [v for v in known if v in counts] + sorted(v for v in counts if v not in known)
        result[dimension] = {value: counts[value] for value in values}
    return result


def stat_impacts(transitions: StatTransitions, stat_ids: Iterable[str]) -> list[StatImpact]:
    """Each stat's sellers showing it before and after and who changed, in `stat_ids` order."""
    impacts = []
    for stat_id in stat_ids:
        before = after = shown = withheld = 0
        for (old, new), count in transitions.items():
            had, has = stat_id in old, stat_id in new
            before += count if had else 0
            after += count if has else 0
            shown += count if has and not had else 0
            withheld += count if had and not has else 0
        impacts.append(StatImpact(stat_id, before, after, shown, withheld))
    return impacts
