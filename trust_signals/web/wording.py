"""How the seller's page names signals and writes their numbers, in plain English.

Words only: which signals exist, their thresholds and values come from the config and the
engine. A signal this table does not name is still written, from its own name.
"""

from __future__ import annotations

import re
from typing import Final

from trust_signals.domain.badges import signal_kind

# signal name -> how the page names it
LABELS: Final = {
    "fq_index": "Fulfillment quality (FQ) index",
    "csq_index": "Customer service quality (CSQ) index",
    "order_defect_rate": "Order defect rate",
    "late_shipment_rate": "Late shipment rate",
    "valid_tracking_rate": "Valid tracking rate",
    "on_time_tracked_shipment_rate": "On-time tracked shipment rate",
    "late_delivery_rate": "Late delivery rate",
    "on_time_delivery_rate": "On-time delivery rate",
    "cancellation_rate": "Cancellation rate",
    "contact_response_rate": "Contacts answered within 24 hours",
    "first_message_response_rate": "First messages answered within 24 hours",
    "positive_feedback_rate": "Positive feedback",
    "average_rating": "Average rating",
    "orders": "Orders",
    "tenure_days": "Tenure",
    "days_since_first_sale": "Days since the first sale",
}
# defect rate -> (one defect, several)
DEFECT_NOUNS: Final = {
    "order_defect_rate": ("defective order", "defective orders"),
    "late_shipment_rate": ("late shipment", "late shipments"),
    "late_delivery_rate": ("late delivery", "late deliveries"),
    "cancellation_rate": ("cancellation", "cancellations"),
    "damaged_rate": ("damaged item", "damaged items"),
    "not_as_described_rate": ("item not as described", "items not as described"),
    "fq_claim_rate": ("fulfillment claim", "fulfillment claims"),
    "fq_negative_feedback_rate": ("negative fulfillment rating", "negative fulfillment ratings"),
    "unsatisfactory_contact_rate": ("unsatisfactory contact", "unsatisfactory contacts"),
    "return_rate": ("return", "returns"),
    "return_dissatisfaction_rate": ("badly handled return", "badly handled returns"),
    "cs_claim_rate": ("service claim", "service claims"),
    "cs_negative_feedback_rate": ("negative service rating", "negative service ratings"),
    "transaction_defect_rate": ("transaction defect", "transaction defects"),
    "case_closed_without_resolution_rate": (
        "case closed without resolution",
        "cases closed without resolution",
    ),
}
# defect type (an index's) -> how the page names it
DEFECT_LABELS: Final = {
    "late_shipment": "Late shipments",
    "late_delivery": "Late deliveries",
    "cancellation": "Cancellations",
    "missing_tracking": "Shipments without valid tracking",
    "damaged": "Damaged items",
    "not_as_described": "Items not as described",
    "fq_claim": "Fulfillment claims",
    "fq_negative_feedback": "Negative fulfillment feedback",
    "unanswered_contact": "Contacts not answered within 24 hours",
    "unsatisfactory_contact": "Unsatisfactory contacts",
    "return_dissatisfaction": "Badly handled returns",
    "cs_claim": "Service claims",
    "cs_negative_feedback": "Negative service feedback",
}
# good rate -> what must not come with the good events added ("with no new late ones")
GOOD_RATE_MISSES: Final = {
    "on_time_delivery_rate": "late ones",
    "valid_tracking_rate": "untracked ones",
    "on_time_tracked_shipment_rate": "late or untracked ones",
    "contact_response_rate": "unanswered ones",
    "first_message_response_rate": "unanswered ones",
    "positive_feedback_rate": "negative ones",
}
# attribute -> the unit of its value
ATTRIBUTE_UNITS: Final = {"tenure_days": "days", "days_since_first_sale": "days"}
COMPARATOR_WORDS: Final = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}
DIMENSION_LABELS: Final = {
    "tenure": "Tenure band",
    "location": "Location",
    "category": "Category",
    "channel": "Fulfillment channel",
}
FAMILY_LABELS: Final = {"fq": "fulfillment", "csq": "customer service"}
# domain.cohorts.tenure_band labels: '<90d', '90-365d', '>=1095d'
_TENURE_BAND: Final = re.compile(
    r"<(?P<under>\d+)d|>=(?P<at_least>\d+)d|(?P<low>\d+)-(?P<high>\d+)d"
)


def signal_name(reference: str) -> str:
    """'seller.late_shipment_rate' -> 'late_shipment_rate'."""
    return reference.partition(".")[2] or reference


def humanized(name: str) -> str:
    """'late_shipment' -> 'Late shipment'."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def signal_label(reference: str) -> str:
    """How the page names a signal: 'Late shipment rate'."""
    name = signal_name(reference)
    return LABELS.get(name) or humanized(name)


def dimension_value_words(dimension: str, value: str) -> str:
    """A seller's value on a cohort dimension; tenure bands in words ('90 to 365 days')."""
    if dimension != "tenure":
        return value
    found = _TENURE_BAND.fullmatch(value)
    if found is None:
        return value
    low, high, at_least, under = found["low"], found["high"], found["at_least"], found["under"]
    if under is not None:
        return f"under {int(under):,} days"
    if at_least is not None:
        return f"{int(at_least):,} days or more"
    return f"{int(low):,} to {int(high):,} days"


def defect_label(defect: str) -> str:
    """How the page names a defect type of the indices: 'Late deliveries'."""
    return DEFECT_LABELS.get(defect) or humanized(defect)


def window_words(window: str | None) -> str:
    """'90d' -> 'the last 90 days'."""
    if window is None:
        return "today"
    return f"the last {window.removesuffix('d')} days" if window.endswith("d") else window


def defect_noun(reference: str, count: int) -> str:
    """The name of `count` defects of a defect rate: '1 late shipment' takes the singular."""
    name = signal_name(reference)
    one, several = DEFECT_NOUNS.get(name, ("defect", "defects"))
    return one if count == 1 else several


def figure(reference: str, value: float | None) -> str:
    """A signal's value as the page writes it: '93.1 %', '96.4', '4.82', '1,234'."""
    if value is None:
        return "no data"
    kind = signal_kind(reference)
    if kind == "rate":
        return f"{value * 100:.1f} %"
    if kind == "index":
        return f"{value:.1f}"
    if kind == "rating":
        return f"{value:.2f}"
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    unit = ATTRIBUTE_UNITS.get(signal_name(reference))
    return f"{shown} {unit}" if unit else shown


def threshold_figure(reference: str, threshold: float) -> str:
    """A threshold as written in the config: '95 %', '2.5 %', '95', '90 days'."""
    kind = signal_kind(reference)
    if kind == "rate":
        return f"{threshold * 100:.4g} %"
    unit = ATTRIBUTE_UNITS.get(signal_name(reference))
    shown = f"{threshold:,.0f}" if float(threshold).is_integer() else f"{threshold:,.4g}"
    return f"{shown} {unit}" if unit else shown


def index_figure(value: float | None) -> str:
    """An FQ/CSQ index with one decimal; a dash when there is none."""
    return "–" if value is None else f"{value:.1f}"


def percentile_figure(value: float | None) -> str:
    """A percentile rank, rounded to a whole number."""
    return "–" if value is None else f"{value:.0f}"
