"""Coaching beyond the seller's own badges: how its offers fare on the offer badges, and the
resources (programs, guides) the config points a seller to for what it should improve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from trust_signals.domain.badge_checks import CompiledRule
from trust_signals.domain.badges import is_live
from trust_signals.domain.condition_probe import tree_leaves, verdict
from trust_signals.domain.count_changes import DEFECT_FIELDS, RATE_CHANGES
from trust_signals.domain.signals import SignalParams, Subject, seller_fq_rates
from trust_signals.domain.snapshots import OfferSnapshot


@dataclass(frozen=True, slots=True)
class FailingCriterion:
    """A condition of an offer badge and how many of the offers without the badge fail it."""

    path: str
    signal: str
    offers: int


@dataclass(frozen=True, slots=True)
class OfferBadgeSummary:
    """One live offer badge over the seller's offers: how many hold it, how many not, and
    which conditions keep the others from it (most offers first)."""

    badge_id: str
    copy_key: str
    holding: int
    not_holding: int
    failing: tuple[FailingCriterion, ...]


def offer_summaries(
    rules: Sequence[CompiledRule],
    seller: Subject,
    offers: Sequence[OfferSnapshot],
    params: SignalParams,
    *,
    marketplace: str,
    on: date,
) -> tuple[OfferBadgeSummary, ...]:
    """Every offer rule live in `marketplace` on `on`, evaluated by the engine on each of the
    seller's `offers` (`seller` is the seller's subject, without offer)."""
    live = [c for c in rules if c.rule.level == "offer" and is_live(c, True, marketplace, on)]
    if not live:
        return ()
    prior = seller_fq_rates(seller, params)  # once for all the seller's offers
    subjects = [
        Subject(seller.seller, offer, seller.as_of, seller.prior_rates, prior) for offer in offers
    ]
    return tuple(_summary(compiled, subjects, params) for compiled in live)


def _summary(
    compiled: CompiledRule, subjects: Sequence[Subject], params: SignalParams
) -> OfferBadgeSummary:
    holding = 0
    failing: dict[str, tuple[str, int]] = {}
    for subject in subjects:
        if compiled.earned(subject, params):
            holding += 1
            continue
        for leaf in tree_leaves(compiled.tree(subject, params).root):
            sampled, passes = verdict(leaf.condition, leaf.fn(subject, params))
            if not (sampled and passes):
                count = failing.get(leaf.path, (leaf.condition.signal, 0))[1]
                failing[leaf.path] = (leaf.condition.signal, count + 1)
    ranked = sorted(failing.items(), key=lambda item: (-item[1][1], item[0]))
    return OfferBadgeSummary(
        compiled.rule.id,
        compiled.rule.copy_key,
        holding,
        len(subjects) - holding,
        tuple(FailingCriterion(path, signal, count) for path, (signal, count) in ranked),
    )


@dataclass(frozen=True, slots=True)
class Resource:
    """A program or guide for sellers, for a defect type of the indices or for a criterion
    (a seller signal): exactly one of the two. The front end renders `copy_key`."""

    copy_key: str
    link: str
    defect: str | None = None
    criterion: str | None = None

    def __post_init__(self) -> None:
        if (self.defect is None) == (self.criterion is None):
            raise ValueError("a resource names exactly one of defect, criterion")


# Seller signal -> the defect type of the indices it measures (its rate, its count, or the
# good count whose failures the defect type counts).
SIGNAL_DEFECTS: Final[Mapping[str, str]] = {
    **{
        f"seller.{rate}": defect
        for rate, (_, rate_field) in RATE_CHANGES.items()
        for defect, (defect_field, _) in DEFECT_FIELDS.items()
        if rate_field == defect_field
    },
    **{f"seller.{field}": defect for defect, (field, _) in DEFECT_FIELDS.items()},
}


def defect_resources(resources: Sequence[Resource], defect: str) -> tuple[Resource, ...]:
    """The resources for a defect type: named for it, or for a criterion measuring it."""
    return tuple(
        r
        for r in resources
        if r.defect == defect
        or (r.criterion is not None and SIGNAL_DEFECTS.get(r.criterion) == defect)
    )


def criterion_resources(resources: Sequence[Resource], signal: str) -> tuple[Resource, ...]:
    """The resources for a criterion's signal: named for it, or for the defect it measures."""
    defect = SIGNAL_DEFECTS.get(signal)
    return tuple(
        r for r in resources if r.criterion == signal or (defect is not None and r.defect == defect)
    )


@dataclass(frozen=True, slots=True)
class OpportunityCoaching:
    """A defect type, the index points reaching the cohort median would gain, and help."""

    family: str
    defect: str
    index_points: float
    resources: tuple[Resource, ...]


def coached_opportunities(
    opportunities: Sequence[tuple[str, str, float]], resources: Sequence[Resource]
) -> tuple[OpportunityCoaching, ...]:
    """`cohorts.opportunities_against`'s (family, defect, points), largest first, each with
    the resources matched to it."""
    return tuple(
        OpportunityCoaching(family, defect, points, defect_resources(resources, defect))
        for family, defect, points in opportunities
    )
