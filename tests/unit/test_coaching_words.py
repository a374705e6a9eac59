"""The page's coaching in plain words: one criterion of a coaching answer at a time, and the
answer built from badge explanations until the coaching call gives one."""

from __future__ import annotations

from typing import Any

import pytest

from trust_signals.domain.badges import ConditionExplanation, RuleExplanation
from trust_signals.service.seller_page import BadgeStanding
from trust_signals.web.coaching import coaching_from_standings, criterion_label, criterion_words


def criterion(signal: str, **overrides: Any) -> dict[str, Any]:
    """A failing criterion on `signal` over 90 days; override what the case is about."""
    return {
        "signal": signal,
        "window": "90d",
        "comparator": ">=",
        "threshold": 0.95,
        "value": 0.931,
        "passes": False,
        "more_good": None,
        "max_defects": None,
        "reason": None,
    } | overrides


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (
            criterion(
                "seller.on_time_delivery_rate",
                more_good={"count": 42, "unit": "on-time deliveries"},
            ),
            "42 more on-time deliveries with no new late ones and you qualify",
        ),
        (
            criterion("seller.late_shipment_rate", comparator="<", threshold=0.04, max_defects=3),
            "at most 3 late shipments at today's volume",
        ),
        (
            criterion("seller.late_shipment_rate", comparator="<", threshold=0.04, max_defects=1),
            "at most 1 late shipment at today's volume",
        ),
        (
            criterion(
                "seller.late_shipment_rate",
                comparator="<",
                threshold=0.04,
                max_defects=0,
                more_good={"count": 1250, "unit": "shipments"},
            ),
            "at most 0 late shipments at today's volume, or 1,250 more shipments with no new "
            "late shipments and you qualify",
        ),
        (
            criterion("seller.tenure_days", window=None, threshold=90, value=70),
            "tenure: 20 more days",
        ),
        (
            criterion("seller.tenure_days", window=None, comparator=">", threshold=90, value=90),
            "tenure: 1 more day",
        ),
        (
            criterion("seller.orders", window="365d", threshold=100, value=42),
            "58 more orders over the last 365 days",
        ),
        (
            criterion(
                "seller.orders",
                window="365d",
                threshold=100,
                value=42,
                more_good={"count": 58, "unit": "orders"},
            ),
            "58 more orders and you qualify",
        ),
        (
            criterion("seller.valid_tracking_rate", comparator=">", value=0.9312),
            "93.1 % counting its confidence margin, needs more than 95 %",
        ),
        (
            criterion("seller.fq_index", threshold=95, value=93.06),
            "measured 93.1, needs at least 95",
        ),
        (
            criterion("seller.fq_index", threshold=95, value=96.38, passes=True),
            "met: 96.4, needs at least 95",
        ),
        (
            criterion("seller.tenure_days", window=None, threshold=90, value=400, passes=True),
            "met: 400 days, needs at least 90 days",
        ),
        (
            criterion("seller.contact_response_rate", value=None),
            "no data yet over the last 90 days",
        ),
        (
            criterion(
                "seller.first_party",
                window=None,
                threshold=1,
                value=0,
                reason="a policy flag: no change of counts meets it",
            ),
            "a policy flag: no change of counts meets it",
        ),
        (
            criterion("seller.ratings_in_morse", threshold=3, value=1.5),
            "2 more ratings in morse over the last 90 days",
        ),
    ],
    ids=[
        "good-rate-more-good",
        "defect-rate-max-defects",
        "one-defect-singular",
        "max-defects-or-more-good",
        "tenure-days",
        "tenure-strictly-more",
        "count-short",
        "count-more-good",
        "rate-with-margin",
        "index-below",
        "index-met",
        "attribute-met-with-unit",
        "no-data",
        "reason",
        "unknown-signal-from-its-name",
    ],
)
def test_a_criterion_in_plain_words(given: dict[str, Any], words: str) -> None:
    assert criterion_words(given) == words


def test_a_criterion_is_labelled_with_its_signal_and_window() -> None:
    assert criterion_label(criterion("seller.late_shipment_rate")) == (
        "Late shipment rate, last 90 days"
    )
    assert criterion_label(criterion("seller.tenure_days", window=None)) == "Tenure"


def condition(
    signal: str, value: float | None, passed: bool, **overrides: Any
) -> ConditionExplanation:
    fields: dict[str, Any] = {
        "path": "when.all[0]",
        "condition_id": None,
        "signal": signal,
        "window": "90d",
        "bound": "lower",
        "comparator": ">=",
        "threshold": 0.9,
        "value": value,
        "sample": 40,
        "min_sample": 20,
        "passed": passed,
        "reason": "",
    } | overrides
    return ConditionExplanation(**fields)


def standing(badge_id: str, held: bool, *conditions: ConditionExplanation) -> BadgeStanding:
    rule = RuleExplanation(badge_id, "REF", "seller", None, conditions, held, None, held)
    return BadgeStanding(badge_id, f"badge.{badge_id}", held, rule)


def test_the_coaching_answer_from_explanations_covers_each_badge_not_held() -> None:
    answer = coaching_from_standings(
        [
            standing("responsive", False, condition("seller.contact_response_rate", 0.8, False)),
            standing("big", True, condition("seller.orders", 5000, True, threshold=1000)),
            standing(
                "careful",
                False,
                condition("seller.valid_tracking_rate", 0.99, False, sample=12),
                condition("seller.fq_index", 97.0, True, bound="point", threshold=95),
            ),
        ],
        [("fq", "late_delivery", 1.25)],
    )

    assert answer == {
        "badges": [
            {
                "badge_id": "responsive",
                "copy_key": "badge.responsive",
                "criteria": [
                    {
                        "signal": "seller.contact_response_rate",
                        "window": "90d",
                        "comparator": ">=",
                        "threshold": 0.9,
                        "value": 0.8,
                        "passes": False,
                        "more_good": None,
                        "max_defects": None,
                        "reason": None,
                    }
                ],
            },
            {
                "badge_id": "careful",
                "copy_key": "badge.careful",
                "criteria": [
                    {
                        "signal": "seller.valid_tracking_rate",
                        "window": "90d",
                        "comparator": ">=",
                        "threshold": 0.9,
                        "value": 0.99,
                        "passes": False,
                        "more_good": None,
                        "max_defects": None,
                        "reason": "too few to judge yet: 12 of the 20 needed over the last 90 days",
                    },
                    {
                        "signal": "seller.fq_index",
                        "window": "90d",
                        "comparator": ">=",
                        "threshold": 95,
                        "value": 97.0,
                        "passes": True,
                        "more_good": None,
                        "max_defects": None,
                        "reason": None,
                    },
                ],
            },
        ],
        "opportunities": [
            {"family": "fq", "defect": "late_delivery", "index_points": 1.25, "resources": []}
        ],
    }
    assert criterion_words(answer["badges"][1]["criteria"][0]) == (
        "too few to judge yet: 12 of the 20 needed over the last 90 days"
    )
