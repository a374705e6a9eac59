"""The page's coaching in plain words: the coaching call's answer (its criteria, groups, offer
summaries and resources) one piece at a time."""

from __future__ import annotations

from typing import Any

import pytest

from trust_signals.domain.coaching import (
    BadgeCoaching,
    Change,
    CriterionCoaching,
    GroupCoaching,
)
from trust_signals.domain.coaching_offers import FailingCriterion, OfferBadgeSummary, Resource
from trust_signals.service.answers import Envelope
from trust_signals.service.coaching import CoachingAnswer
from trust_signals.web.coaching import (
    badge_section,
    criterion_label,
    criterion_words,
    offer_words,
    points_text,
    reason_words,
    resource_label,
    standing_words,
)


def criterion(signal: str, **overrides: Any) -> CriterionCoaching:
    """A failing criterion on `signal` over 90 days; override what the case is about."""
    fields: dict[str, Any] = {
        "path": "when.all[0]",
        "signal": signal,
        "window": "90d",
        "bound": "lower",
        "comparator": ">=",
        "threshold": 0.95,
        "min_sample": 0,
        "sample": 400,
        "value": 0.931,
        "passes": False,
        "more_good": None,
        "max_defects": None,
        "reason": None,
    } | overrides
    return CriterionCoaching(**fields)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (
            criterion("seller.on_time_delivery_rate", more_good=Change(42, "orders")),
            "42 more orders with no new late deliveries and you qualify",
        ),
        (
            criterion(
                "seller.late_shipment_rate",
                bound="upper",
                comparator="<",
                threshold=0.04,
                max_defects=3,
            ),
            "at most 3 late shipments at today's volume",
        ),
        (
            criterion("seller.late_shipment_rate", comparator="<", threshold=0.04, max_defects=1),
            "at most 1 late shipment at today's volume",
        ),
        (
            criterion(
                "seller.contact_response_rate",
                max_defects=5,
                more_good=Change(46, "answered_contacts"),
            ),
            "at most 5 unanswered contacts at today's volume, or 46 more contacts answered "
            "within 24 hours with no new unanswered contacts and you qualify",
        ),
        (
            criterion(
                "seller.orders",
                window="365d",
                bound="point",
                threshold=1000,
                value=120,
                more_good=Change(880, "orders"),
            ),
            "880 more orders with no new defects and you qualify",
        ),
        (
            criterion(
                "seller.fq_index", bound="point", threshold=95, more_good=Change(1, "orders")
            ),
            "1 more order with no new defects and you qualify",
        ),
        (
            criterion(
                "seller.average_rating", threshold=4.5, more_good=Change(12, "five_star_ratings")
            ),
            "12 more five-star ratings and you qualify",
        ),
        (
            criterion(
                "seller.tenure_days",
                window=None,
                reason="seller.tenure_days is not a count: it is met in 20 days",
            ),
            "tenure is not a count: it is met in 20 days",
        ),
        (
            criterion(
                "seller.late_shipments",
                comparator="<=",
                reason="more good events do not change seller.late_shipments, a count of defects",
                max_defects=4,
            ),
            "at most 4 late shipments at today's volume",
        ),
        (
            criterion(
                "seller.return_dissatisfaction_rate",
                reason="sample 12 below the minimum 20: no number of defects passes at "
                "today's volume; no number of additional satisfactory_returns up to "
                "1,000,000,000 makes it pass",
            ),
            "sample 12 below the minimum 20: no number of defects passes at today's volume; "
            "no number of additional well-handled returns up to 1,000,000,000 makes it pass",
        ),
        (criterion("seller.fq_index"), "no change of your counts meets it"),
        (
            criterion("seller.late_shipment_rate", passes=True, max_defects=94),
            "stays met with at most 94 late shipments at today's volume",
        ),
        (
            criterion("seller.tenure_days", window=None, passes=True, value=400),
            "nothing more",
        ),
    ],
    ids=[
        "good-rate-more-good",
        "defect-rate-max-defects",
        "one-defect-singular",
        "max-defects-or-more-good",
        "count-more-good",
        "index-one-more",
        "rating-five-stars",
        "attribute-reason",
        "count-of-defects-cap",
        "reason-with-a-unit",
        "nothing-found",
        "met-with-room",
        "met",
    ],
)
def test_what_a_criterion_takes_in_plain_words(given: CriterionCoaching, words: str) -> None:
    assert criterion_words(given) == words


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (
            criterion("seller.valid_tracking_rate", comparator=">", value=0.9312),
            "93.1 % counting its confidence margin, needs more than 95 %",
        ),
        (
            criterion("seller.fq_index", bound="point", threshold=95, value=96.38, passes=True),
            "96.4, needs at least 95",
        ),
        (
            criterion("seller.tenure_days", window=None, bound="point", threshold=90, value=70),
            "70 days, needs at least 90 days",
        ),
        (
            criterion("seller.contact_response_rate", value=None),
            "no data yet over the last 90 days",
        ),
        (
            criterion("seller.contact_response_rate", sample=12, min_sample=20),
            "too few to judge yet: 12 of the 20 needed over the last 90 days",
        ),
    ],
    ids=["rate-with-margin", "index-met", "attribute-with-unit", "no-data", "small-sample"],
)
def test_where_the_seller_stands_on_a_criterion(given: CriterionCoaching, words: str) -> None:
    assert standing_words(given) == words


def test_a_criterion_is_labelled_with_its_signal_and_window() -> None:
    assert criterion_label(criterion("seller.late_shipment_rate")) == (
        "Late shipment rate, last 90 days"
    )
    assert criterion_label(criterion("seller.tenure_days", window=None)) == "Tenure"


def test_a_reason_names_signals_as_the_page_does() -> None:
    assert reason_words("seller.first_party is a fact about the account") == (
        "first-party retail is a fact about the account"
    )
    assert reason_words("more orders only raise seller.fq_index") == (
        "more orders only raise fulfillment quality (FQ) index"
    )


@pytest.mark.parametrize(
    ("copy_key", "label"),
    [
        ("coaching.resource.fulfillment_program", "Fulfillment program"),
        ("coaching.resource.cs_provider", "CS provider"),
        ("reviews", "Reviews"),
    ],
)
def test_a_resource_is_linked_by_the_last_part_of_its_copy_key(copy_key: str, label: str) -> None:
    assert resource_label(copy_key) == label


def answer(*badges: BadgeCoaching, **resources: tuple[Resource, ...]) -> CoachingAnswer:
    envelope = Envelope("US-2026-11-27", "cfg", "US")
    return CoachingAnswer(envelope, "S-1", "all", 3, badges, resources, (), ())


def test_a_badges_criteria_run_by_group_and_an_any_group_says_one_is_enough() -> None:
    late = criterion("seller.late_shipment_rate", path="when.all[0]", max_defects=9)
    response = criterion("seller.contact_response_rate", path="when.all[1].any[0]", max_defects=5)
    tenure = criterion(
        "seller.tenure_days",
        path="when.all[1].any[1]",
        window=None,
        reason="seller.tenure_days is not a count: it is met in 600 days",
    )
    badge = BadgeCoaching(
        "reliable_seller",
        "badge.reliable_seller",
        (
            GroupCoaching("when", "all", False, 2, ("when.all[0]", "when.all[1]")),
            GroupCoaching(
                "when.all[1]", "any", False, 1, ("when.all[1].any[0]", "when.all[1].any[1]")
            ),
        ),
        (late, response, tenure),
    )
    help_link = Resource("coaching.cs_provider", "https://sellers.example.com/cs", defect="x")

    section = badge_section(badge, answer(badge, **{"seller.contact_response_rate": (help_link,)}))

    assert (section["id"], section["name"]) == ("reliable_seller", "Reliable seller")
    assert [(run["path"], run["heading"]) for run in section["runs"]] == [
        ("when", None),
        ("when.all[1]", "One of these is enough (not met yet)"),
    ]
    assert [[row["path"] for row in run["rows"]] for run in section["runs"]] == [
        ["when.all[0]"],
        ["when.all[1].any[0]", "when.all[1].any[1]"],
    ]
    response_row = section["runs"][1]["rows"][0]
    assert response_row["resources"] == [
        {"label": "CS provider", "link": "https://sellers.example.com/cs"}
    ]
    assert section["runs"][0]["rows"][0]["resources"] == []


def summary(holding: int, not_holding: int, *failing: tuple[str, int]) -> OfferBadgeSummary:
    return OfferBadgeSummary(
        "fast_delivery",
        "badge.fast_delivery",
        holding,
        not_holding,
        tuple(FailingCriterion(f"when.all[{i}]", s, n) for i, (s, n) in enumerate(failing)),
    )


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (
            summary(12, 28, ("offer.on_time_delivery_rate", 28)),
            "12 of your 40 offers hold Fast delivery; 28 miss it on on-time delivery rate.",
        ),
        (
            summary(1, 1, ("offer.on_time_delivery_rate", 1)),
            "1 of your 2 offers holds Fast delivery; 1 misses it on on-time delivery rate.",
        ),
        (
            summary(0, 37, ("seller.return_dissatisfaction_rate", 37), ("offer.free_returns", 19)),
            "0 of your 37 offers hold Fast delivery; 37 miss it: 37 on return dissatisfaction "
            "rate, 19 on free returns.",
        ),
        (summary(40, 0), "All 40 of your offers hold Fast delivery."),
        (summary(1, 0), "Your offer holds Fast delivery."),
        (summary(0, 0), "You have no offers here yet to hold Fast delivery."),
    ],
    ids=["one-reason", "singular", "several-reasons", "all", "the-one", "none"],
)
def test_the_offers_on_an_offer_badge_in_one_sentence(given: OfferBadgeSummary, words: str) -> None:
    assert offer_words(given) == words


@pytest.mark.parametrize(
    ("points", "shown"),
    [(2.468, "2.47"), (0.005, "0.01"), (0.0042, "<0.01"), (0.0, "0.00")],
)
def test_index_points_never_read_zero_for_a_real_gain(points: float, shown: str) -> None:
    assert points_text(points) == shown
