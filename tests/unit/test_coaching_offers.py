"""Coaching's offer summary (the engine on each offer) and the resources matched to what a
seller should improve."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.snapshot_builders import (
    AS_OF,
    offer_counts,
    offer_snapshot,
    signal_params,
    subject,
)
from trust_signals.domain.badges import BadgeRule, Condition, Group, compile_rules
from trust_signals.domain.coaching_offers import (
    SIGNAL_DEFECTS,
    FailingCriterion,
    OfferBadgeSummary,
    OpportunityCoaching,
    Resource,
    coached_opportunities,
    criterion_resources,
    defect_resources,
    offer_summaries,
)
from trust_signals.domain.indices import SELLER_DEFECTS

PARAMS = signal_params()
ON_TIME = Condition("offer.on_time_delivery_rate", "point", ">=", 0.9, min_sample=10)
FREE_RETURNS = Condition("offer.free_returns", "point", ">=", 1)


def offer_rule(rule_id: str, *conditions: Condition, **overrides: object) -> BadgeRule:
    fields: dict[str, object] = {
        "id": rule_id,
        "level": "offer",
        "surfaces": frozenset({"search"}),
        "priority": 1,
        "marketplaces": frozenset({"DE"}),
        "effective_from": date(2025, 1, 1),
        "effective_until": None,
        "enabled": True,
        "copy_key": f"badge.{rule_id}",
        "approval_reference": "T-1",
        "when": Group("all", conditions),
        "window": "90d",
    }
    return BadgeRule(**{**fields, **overrides})  # type: ignore[arg-type]


def test_offer_badges_count_holders_and_what_keeps_the_others_out() -> None:
    offers = [
        offer_snapshot(offer_id="O1"),
        offer_snapshot(offer_id="O2", counts=offer_counts(orders=50, late_deliveries=20)),
        offer_snapshot(offer_id="O3", free_returns=False, counts=offer_counts(orders=5)),
        offer_snapshot(offer_id="O4", free_returns=False),
    ]
    rules = compile_rules(
        [
            offer_rule("fast", ON_TIME, FREE_RETURNS),
            offer_rule("off", ON_TIME, enabled=False),
            offer_rule("seller_rule", Condition("seller.orders", "point", ">=", 1), level="seller"),
        ]
    )
    found = offer_summaries(rules, subject(), offers, PARAMS, marketplace="DE", on=AS_OF)
    assert found == (
        OfferBadgeSummary(
            "fast",
            "badge.fast",
            holding=1,
            not_holding=3,
            failing=(
                FailingCriterion("when.all[0]", "offer.on_time_delivery_rate", 2),
                FailingCriterion("when.all[1]", "offer.free_returns", 2),
            ),
        ),
    )


def test_no_live_offer_badge_means_no_summary() -> None:
    rules = compile_rules([offer_rule("later", ON_TIME, effective_from=date(2030, 1, 1))])
    found = offer_summaries(
        rules, subject(), [offer_snapshot()], PARAMS, marketplace="DE", on=AS_OF
    )
    assert found == ()


LATE = Resource("coaching.fulfillment_program", "https://example.com/ship", defect="late_shipment")
RESPONSE = Resource(
    "coaching.cs_provider", "https://example.com/cs", criterion="seller.contact_response_rate"
)
RATING = Resource("coaching.reviews", "https://example.com/r", criterion="seller.average_rating")


def test_a_resource_names_exactly_one_of_defect_and_criterion() -> None:
    with pytest.raises(ValueError, match="exactly one of defect, criterion"):
        Resource("k", "https://example.com")
    with pytest.raises(ValueError, match="exactly one of defect, criterion"):
        Resource("k", "https://example.com", defect="damaged", criterion="seller.damaged_rate")


def test_every_defect_type_is_measured_by_a_rate_and_a_count() -> None:
    defects = {kind for family in SELLER_DEFECTS.values() for kind in family}
    for defect in defects:
        assert len([s for s, d in SIGNAL_DEFECTS.items() if d == defect]) >= 2, defect
    assert SIGNAL_DEFECTS["seller.contact_response_rate"] == "unanswered_contact"
    assert SIGNAL_DEFECTS["seller.on_time_delivery_rate"] == "late_delivery"


def test_resources_match_a_defect_by_name_or_by_a_criterion_measuring_it() -> None:
    resources = [LATE, RESPONSE, RATING]
    assert defect_resources(resources, "late_shipment") == (LATE,)
    assert defect_resources(resources, "unanswered_contact") == (RESPONSE,)
    assert defect_resources(resources, "damaged") == ()


def test_resources_match_a_criterion_by_its_signal_or_its_defect() -> None:
    resources = [LATE, RESPONSE, RATING]
    assert criterion_resources(resources, "seller.late_shipment_rate") == (LATE,)
    assert criterion_resources(resources, "seller.contact_response_rate") == (RESPONSE,)
    assert criterion_resources(resources, "seller.average_rating") == (RATING,)
    assert criterion_resources(resources, "seller.orders") == ()


def test_opportunities_carry_their_resources_in_rank_order() -> None:
    found = coached_opportunities(
        [("fq", "late_shipment", 1.5), ("csq", "cs_claim", 0.25)], [LATE, RESPONSE]
    )
    assert found == (
        OpportunityCoaching("fq", "late_shipment", 1.5, (LATE,)),
        OpportunityCoaching("csq", "cs_claim", 0.25, ()),
    )
