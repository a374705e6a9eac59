"""Seller coaching and what-if: the seller's missed badges coached condition by condition, its
offers on the offer badges, its improvement opportunities with resources; and projections
of its indices, percentiles and badges from target counts.

Both are computed per request on the seller's record (interactive calls, a few ms of engine
work), against the cohort artifacts the snapshot load stored for benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from trust_signals.domain.coaching import BadgeCoaching, coach_seller
from trust_signals.domain.coaching_offers import (
    OfferBadgeSummary,
    OpportunityCoaching,
    Resource,
    coached_opportunities,
    criterion_resources,
    offer_summaries,
)
from trust_signals.domain.cohorts import CohortBenchmark
from trust_signals.domain.what_if import Target, WhatIf, project, target_problems
from trust_signals.errors import InvalidTargets
from trust_signals.service.answers import Envelope
from trust_signals.service.cohort_artifacts import BENCHMARK_WINDOW
from trust_signals.service.reads import TrustSignals
from trust_signals.service.reports import seller_cohort, seller_opportunities
from trust_signals.service.signal_reads import envelope

# The metrics a what-if ranks in the cohort: the indices it projects.
PROJECTED_METRICS: Final = ("fq_index", "csq_index")


@dataclass(frozen=True, slots=True)
class CoachingAnswer:
    """What each live seller badge the seller misses takes, how its offers fare on the offer
    badges, and what to improve first against its cohort (none when the cohort is withheld).

    `criterion_resources` maps the signal of each failing criterion to the resources for it.
    """

    envelope: Envelope
    seller_id: str
    cohort_key: str
    cohort_size: int | None  # None: the cohort is below the minimum size, withheld
    badges: tuple[BadgeCoaching, ...]
    criterion_resources: Mapping[str, tuple[Resource, ...]]
    offers: tuple[OfferBadgeSummary, ...]
    opportunities: tuple[OpportunityCoaching, ...]


@dataclass(frozen=True, slots=True)
class WhatIfAnswer:
    """The seller now and with its target counts, ranked in its chosen cohort."""

    envelope: Envelope
    seller_id: str
    dimensions: tuple[str, ...]
    cohort_key: str
    cohort_size: int | None  # None: withheld, and no percentile is given
    projection: WhatIf


def _size(cohort: CohortBenchmark | None) -> int | None:
    return None if cohort is None else cohort.size


def coaching_answer(
    signals: TrustSignals, marketplace: str, seller_id: str, dimensions: Sequence[str]
) -> CoachingAnswer:
    """The coaching call: one seller, its cohort on `dimensions`."""
    view = signals.view()
    market = view.market(marketplace)
    seller = signals.seller(view, market, seller_id)
    config, on, where = market.config, signals.today(), market.snapshot.marketplace
    key, cohort = seller_cohort(signals, view, market, seller, dimensions)
    found = [] if cohort is None else seller_opportunities(seller, cohort, config.params)
    badges = coach_seller(config.rules, seller.subject, config.params, marketplace=where, on=on)
    failing = {c.signal for badge in badges for c in badge.criteria if not c.passes}
    offers = signals.offers_of_seller(market, seller_id)
    return CoachingAnswer(
        envelope(view, market),
        seller_id,
        key,
        _size(cohort),
        badges,
        {s: criterion_resources(config.coaching_resources, s) for s in sorted(failing)},
        offer_summaries(
            config.rules, seller.subject, offers, config.params, marketplace=where, on=on
        ),
        coached_opportunities(found, config.coaching_resources),
    )


def what_if_answer(
    signals: TrustSignals,
    marketplace: str,
    seller_id: str,
    dimensions: Sequence[str],
    targets: Sequence[Target],
) -> WhatIfAnswer:
    """The what-if call; InvalidTargets naming each target the seller's counts refuse."""
    view = signals.view()
    market = view.market(marketplace)
    seller = signals.seller(view, market, seller_id)
    problems = target_problems(seller.subject.seller, targets)
    if problems:
        raise InvalidTargets(problems)
    key, cohort = seller_cohort(signals, view, market, seller, dimensions)
    metrics = {} if cohort is None else cohort.metrics
    sketches = {m: metrics[m].sketch for m in PROJECTED_METRICS if m in metrics}
    projection = project(
        seller.subject,
        targets,
        market.config.rules,
        market.config.params,
        marketplace=market.snapshot.marketplace,
        on=signals.today(),
        sketches=sketches,
        sketch_window=BENCHMARK_WINDOW,
    )
    return WhatIfAnswer(
        envelope(view, market), seller_id, tuple(dimensions), key, _size(cohort), projection
    )
