"""Builders of valid domain objects for tests: override only what the test is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from trust_signals.domain.indices import SELLER_DEFECTS
from trust_signals.domain.signals import SignalParams, Subject
from trust_signals.domain.snapshots import (
    WINDOWS,
    OfferCounts,
    OfferSnapshot,
    SellerCounts,
    SellerSnapshot,
)

AS_OF = date(2026, 11, 27)

_SELLER_COUNTS: dict[str, Any] = {
    "orders": 1000,
    "shipments": 1000,
    "late_shipments": 10,
    "shipments_with_valid_tracking": 990,
    "on_time_tracked_shipments": 980,
    "late_deliveries": 20,
    "cancellations": 5,
    "damaged": 2,
    "not_as_described": 2,
    "fq_claims": 1,
    "fq_negative_feedback": 2,
    "contacts": 200,
    "contacts_answered_24h": 195,
    "contacts_unsatisfactory": 5,
    "returns": 30,
    "return_dissatisfaction": 1,
    "cs_claims": 1,
    "cs_negative_feedback": 1,
    "first_messages": 100,
    "first_messages_answered_24h": 98,
    "feedback_count": 300,
    "positive_feedback": 290,
    "defective_orders": 4,
    "transactions": 1000,
    "transaction_defects": 3,
    "transaction_defect_buyers": 2,
    "cases_closed_without_resolution": 1,
    "domestic_transactions": 900,
    "sales_amount": 50_000.0,
    "domestic_sales_amount": 45_000.0,
    "ratings": (2, 1, 5, 40, 252),
}
_OFFER_COUNTS: dict[str, Any] = {
    "orders": 100,
    "on_time_deliveries": 95,
    "late_deliveries": 3,
    "cancellations": 1,
    "damaged": 1,
    "not_as_described": 1,
    "returns": 5,
}


def seller_counts(**overrides: Any) -> SellerCounts:
    """One window of a healthy seller's counts."""
    return SellerCounts(**{**_SELLER_COUNTS, **overrides})


def offer_counts(**overrides: Any) -> OfferCounts:
    """One window of a healthy offer's counts."""
    return OfferCounts(**{**_OFFER_COUNTS, **overrides})


def seller_snapshot(**overrides: Any) -> SellerSnapshot:
    """A valid seller; `windows` may name only the windows to replace."""
    windows = {w: seller_counts() for w in WINDOWS} | overrides.pop("windows", {})
    fields: dict[str, Any] = {
        "seller_id": "S1",
        "marketplace": "US",
        "tenure_days": 400,
        "first_sale_date": date(2025, 6, 1),
        "location": "US",
        "category_group": "general",
        "fulfillment_channel": "mfn",
        "cs_provider": "seller_cs",
        "first_party": False,
    }
    return SellerSnapshot(**{**fields, **overrides, "windows": windows})


def offer_snapshot(**overrides: Any) -> OfferSnapshot:
    """A valid offer of seller S1; `windows` may name only the windows to replace."""
    windows = {w: offer_counts() for w in WINDOWS} | overrides.pop("windows", {})
    fields: dict[str, Any] = {
        "offer_id": "O1",
        "seller_id": "S1",
        "product_id": "P1",
        "marketplace": "US",
        "fulfillment_channel": "mfn",
        "handling_days": 1,
        "return_window_days": 30,
        "free_returns": True,
    }
    return OfferSnapshot(**{**fields, **overrides, "windows": windows})


def subject(
    seller: SellerSnapshot | None = None,
    offer: OfferSnapshot | None = None,
    as_of: date = AS_OF,
) -> Subject:
    """A subject without cohort priors (shrinkage toward zero rates)."""
    return Subject(seller or seller_snapshot(), offer, as_of, {})


def signal_params(**overrides: Any) -> SignalParams:
    """z = 1.96, every DSI weight 1.0, no shrinkage."""
    weights = {family: dict.fromkeys(kinds, 1.0) for family, kinds in SELLER_DEFECTS.items()}
    fields: dict[str, Any] = {"z": 1.96, "weights": weights, "pseudo_orders": 0.0}
    return SignalParams(**{**fields, **overrides})
