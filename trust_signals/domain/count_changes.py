"""Changes of a seller's counts that coaching and what-if try on the real engine.

Coaching never computes "what it takes" with a formula of its own: it builds the seller as it
would be after a change of counts and asks the engine whether a condition passes then. This
module owns those changes and keeps every changed record valid (the snapshot's invariants
hold, so the engine's own functions see a seller that could exist):

- a *good unit* is one more event with no new defect of any kind, added now, so to every
  window: a clean order is placed, shipped with valid tracking on time and delivered on time
  (and is a transaction); an answered contact; a positive feedback; a 5-star rating;
- a *defect count* set at today's volume: events of a defect rate, failures of a good rate
  (opportunities - events), a defect count, or a defect type of the FQ/CSQ indices. Counts
  bounded by the one set (the buyers of transaction defects, the dissatisfied returns) are
  lowered with it when they would exceed it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from trust_signals.domain.signals import GOOD_RATES
from trust_signals.domain.snapshots import SELLER_COUNT_BOUNDS, SellerCounts, SellerSnapshot

_CLEAN_ORDER: Final = (
    "orders",
    "shipments",
    "shipments_with_valid_tracking",
    "on_time_tracked_shipments",
    "transactions",
)
FIVE_STAR_RATINGS: Final = "five_star_ratings"
# Good unit -> the count fields one more of it adds 1 to (5-star ratings: the last rating
# count). Every event field is added with its opportunity, so each record stays valid.
GOOD_UNITS: Final[Mapping[str, tuple[str, ...]]] = {
    "orders": _CLEAN_ORDER,
    "domestic_transactions": (*_CLEAN_ORDER, "domestic_transactions"),
    "answered_contacts": ("contacts", "contacts_answered_24h"),
    "answered_first_messages": ("first_messages", "first_messages_answered_24h"),
    "positive_feedback": ("feedback_count", "positive_feedback"),
    "satisfactory_returns": (*_CLEAN_ORDER, "returns"),
    FIVE_STAR_RATINGS: (),
    "sales_amount": ("sales_amount",),
    "domestic_sales_amount": ("sales_amount", "domestic_sales_amount"),
}
# Seller rate -> (the good unit that adds to its opportunities, the count field of its
# defects). A defect rate's events are its defects; a good rate's defects are its failures,
# opportunities - events, set through its events field.
RATE_CHANGES: Final[Mapping[str, tuple[str, str]]] = {
    "order_defect_rate": ("orders", "defective_orders"),
    "late_shipment_rate": ("orders", "late_shipments"),
    "valid_tracking_rate": ("orders", "shipments_with_valid_tracking"),
    "on_time_tracked_shipment_rate": ("orders", "on_time_tracked_shipments"),
    "late_delivery_rate": ("orders", "late_deliveries"),
    # Its events are derived (orders - late_deliveries): its failures are late_deliveries.
    "on_time_delivery_rate": ("orders", "late_deliveries"),
    "cancellation_rate": ("orders", "cancellations"),
    "damaged_rate": ("orders", "damaged"),
    "not_as_described_rate": ("orders", "not_as_described"),
    "fq_claim_rate": ("orders", "fq_claims"),
    "fq_negative_feedback_rate": ("positive_feedback", "fq_negative_feedback"),
    "contact_response_rate": ("answered_contacts", "contacts_answered_24h"),
    "unsatisfactory_contact_rate": ("answered_contacts", "contacts_unsatisfactory"),
    "return_rate": ("orders", "returns"),
    "return_dissatisfaction_rate": ("satisfactory_returns", "return_dissatisfaction"),
    "cs_claim_rate": ("orders", "cs_claims"),
    "cs_negative_feedback_rate": ("positive_feedback", "cs_negative_feedback"),
    "first_message_response_rate": ("answered_first_messages", "first_messages_answered_24h"),
    "positive_feedback_rate": ("positive_feedback", "positive_feedback"),
    "transaction_defect_rate": ("orders", "transaction_defects"),
    "case_closed_without_resolution_rate": ("orders", "cases_closed_without_resolution"),
}
# Good rates whose defects are a count field of their own, not opportunities - events.
_FAILURES_COUNTED: Final = frozenset({"on_time_delivery_rate"})
# Seller count -> the good unit that raises it. The counts not named here count defects:
# more good events leave them as they are.
COUNT_UNITS: Final[Mapping[str, str]] = {
    **dict.fromkeys(_CLEAN_ORDER, "orders"),
    "domestic_transactions": "domestic_transactions",
    "contacts": "answered_contacts",
    "contacts_answered_24h": "answered_contacts",
    "first_messages": "answered_first_messages",
    "first_messages_answered_24h": "answered_first_messages",
    "feedback_count": "positive_feedback",
    "positive_feedback": "positive_feedback",
    "rating_count": FIVE_STAR_RATINGS,
    "sales_amount": "sales_amount",
    "domestic_sales_amount": "domestic_sales_amount",
}
# Defect type of the indices -> (the count field it is set through, that field's
# opportunities). Missing tracking and unanswered contacts are the failures of a good count.
DEFECT_FIELDS: Final[Mapping[str, tuple[str, str]]] = {
    "late_shipment": ("late_shipments", "shipments"),
    "late_delivery": ("late_deliveries", "orders"),
    "cancellation": ("cancellations", "orders"),
    "missing_tracking": ("shipments_with_valid_tracking", "shipments"),
    "damaged": ("damaged", "orders"),
    "not_as_described": ("not_as_described", "orders"),
    "fq_claim": ("fq_claims", "orders"),
    "fq_negative_feedback": ("fq_negative_feedback", "feedback_count"),
    "unanswered_contact": ("contacts_answered_24h", "contacts"),
    "unsatisfactory_contact": ("contacts_unsatisfactory", "contacts"),
    "return_dissatisfaction": ("return_dissatisfaction", "returns"),
    "cs_claim": ("cs_claims", "orders"),
    "cs_negative_feedback": ("cs_negative_feedback", "feedback_count"),
}
_FAILURE_DEFECTS: Final = frozenset({"missing_tracking", "unanswered_contact"})
# Count field -> its opportunity (every event field has exactly one).
OPPORTUNITY_OF: Final[Mapping[str, str]] = dict(SELLER_COUNT_BOUNDS)
_BOUNDED_BY: Final[Mapping[str, tuple[str, ...]]] = {
    opportunity: tuple(e for e, o in SELLER_COUNT_BOUNDS if o == opportunity)
    for _, opportunity in SELLER_COUNT_BOUNDS
}


def add_good(seller: SellerSnapshot, unit: str, n: int) -> SellerSnapshot:
    """The seller after `n` more good units (see GOOD_UNITS) in every window."""
    if n == 0:
        return seller
    windows = {window: _add(counts, unit, n) for window, counts in seller.windows.items()}
    return dataclasses.replace(seller, windows=windows)


def _add(counts: SellerCounts, unit: str, n: int) -> SellerCounts:
    values = counts._asdict()
    if unit == FIVE_STAR_RATINGS:
        values["ratings"] = (*counts.ratings[:4], counts.ratings[4] + n)
    for name in GOOD_UNITS[unit]:
        values[name] += n
    # Built anew (not `_replace`, which skips the checks): the engine sees a valid record.
    return SellerCounts(**values)


def with_count(counts: SellerCounts, name: str, value: int) -> SellerCounts:
    """The counts with field `name` at `value`, and the counts it bounds lowered to fit.

    ValueError when `value` is negative or exceeds the field's own opportunity.
    """
    values = counts._asdict()
    pending = [(name, value)]
    while pending:
        field, limit = pending.pop()
        values[field] = limit if field == name else min(values[field], limit)
        pending += [(bounded, values[field]) for bounded in _BOUNDED_BY.get(field, ())]
    return SellerCounts(**values)


def rate_defects(counts: SellerCounts, rate: str) -> int:
    """The defects a seller rate counts: a defect rate's events, a good rate's failures."""
    field = RATE_CHANGES[rate][1]
    found: int = getattr(counts, field)
    if rate in _FAILURES_COUNTED or rate not in GOOD_RATES:
        return found
    opportunities: int = getattr(counts, OPPORTUNITY_OF[field])
    return opportunities - found


def with_rate_defects(counts: SellerCounts, rate: str, defects: int) -> SellerCounts:
    """The counts with the rate's defects (see `rate_defects`) at `defects`, opportunities
    unchanged."""
    field = RATE_CHANGES[rate][1]
    if rate in _FAILURES_COUNTED or rate not in GOOD_RATES:
        return with_count(counts, field, defects)
    return with_count(counts, field, getattr(counts, OPPORTUNITY_OF[field]) - defects)


def defect_count(counts: SellerCounts, defect: str) -> int:
    """The count of one defect type of the indices."""
    field, opportunity = DEFECT_FIELDS[defect]
    found: int = getattr(counts, field)
    return getattr(counts, opportunity) - found if defect in _FAILURE_DEFECTS else found


def defect_opportunities(counts: SellerCounts, defect: str) -> int:
    """How many of a defect type there could be: its field's opportunities."""
    found: int = getattr(counts, DEFECT_FIELDS[defect][1])
    return found


def with_defect_count(counts: SellerCounts, defect: str, count: int) -> SellerCounts:
    """The counts with one defect type of the indices at `count`, opportunities unchanged."""
    field, opportunity = DEFECT_FIELDS[defect]
    if defect in _FAILURE_DEFECTS:
        return with_count(counts, field, getattr(counts, opportunity) - count)
    return with_count(counts, field, count)
