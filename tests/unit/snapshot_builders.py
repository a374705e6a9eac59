"""Domain value objects for unit tests: valid, defect-free defaults; override what matters.

The default seller and offer have orders and no defect of any kind, so a test that overrides a
few counts can compute every rate and index by hand from those counts alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from hypothesis import strategies as st

from trust_signals.domain.signals import SignalParams, Subject
from trust_signals.domain.snapshots import (
    WINDOWS,
    OfferCounts,
    OfferSnapshot,
    SellerCounts,
    SellerSnapshot,
)

AS_OF: Final = date(2025, 6, 30)
Z: Final = 1.96

_CLEAN_SELLER_COUNTS: Final[Mapping[str, Any]] = {
    "orders": 100,
    "shipments": 100,
    "late_shipments": 0,
    "shipments_with_valid_tracking": 100,
    "on_time_tracked_shipments": 100,
    "late_deliveries": 0,
    "cancellations": 0,
    "damaged": 0,
    "not_as_described": 0,
    "fq_claims": 0,
    "fq_negative_feedback": 0,
    "contacts": 0,
    "contacts_answered_24h": 0,
    "contacts_unsatisfactory": 0,
    "returns": 0,
    "return_dissatisfaction": 0,
    "cs_claims": 0,
    "cs_negative_feedback": 0,
    "first_messages": 0,
    "first_messages_answered_24h": 0,
    "feedback_count": 0,
    "positive_feedback": 0,
    "defective_orders": 0,
    "transactions": 100,
    "transaction_defects": 0,
    "transaction_defect_buyers": 0,
    "cases_closed_without_resolution": 0,
    "domestic_transactions": 100,
    "sales_amount": 5000.0,
    "domestic_sales_amount": 5000.0,
    "ratings": (0, 0, 0, 0, 0),
}
_CLEAN_OFFER_COUNTS: Final[Mapping[str, int]] = {
    "orders": 50,
    "on_time_deliveries": 50,
    "late_deliveries": 0,
    "cancellations": 0,
    "damaged": 0,
    "not_as_described": 0,
    "returns": 0,
}


# Volumes that follow another unless overridden, so that overriding `orders` (or `shipments`)
# alone keeps the counts valid and defect-free: every order shipped, every shipment tracked.
_FOLLOWING_SELLER_COUNTS: Final = (
    ("shipments", "orders"),
    ("shipments_with_valid_tracking", "shipments"),
    ("on_time_tracked_shipments", "shipments"),
    ("transactions", "orders"),
    ("domestic_transactions", "transactions"),
)


def seller_counts(**overrides: Any) -> SellerCounts:
    """One window of a defect-free seller: 100 orders unless given, all shipped and tracked."""
    fields = {**_CLEAN_SELLER_COUNTS, **overrides}
    for name, source in _FOLLOWING_SELLER_COUNTS:
        if name not in overrides:
            fields[name] = fields[source]
    return SellerCounts(**fields)


def offer_counts(**overrides: Any) -> OfferCounts:
    """One window of a defect-free offer: 50 orders unless given, every one not late on time."""
    fields = {**_CLEAN_OFFER_COUNTS, **overrides}
    if "on_time_deliveries" not in overrides:
        fields["on_time_deliveries"] = fields["orders"] - fields["late_deliveries"]
    return OfferCounts(**fields)


def seller_snapshot(
    *,
    counts: SellerCounts | None = None,
    window_counts: Mapping[str, SellerCounts] | None = None,
    **overrides: Any,
) -> SellerSnapshot:
    """A third-party seller; `counts` for every window, `window_counts` for named ones."""
    windows = {window: counts or seller_counts() for window in WINDOWS}
    windows.update(window_counts or {})
    fields: dict[str, Any] = {
        "seller_id": "S1",
        "marketplace": "DE",
        "tenure_days": 400,
        "first_sale_date": date(2024, 5, 1),
        "location": "DE",
        "category_group": "media",
        "fulfillment_channel": "fba",
        "cs_provider": "marketplace_cs",
        "first_party": False,
        "windows": windows,
    }
    return SellerSnapshot(**{**fields, **overrides})


def offer_snapshot(
    *,
    counts: OfferCounts | None = None,
    window_counts: Mapping[str, OfferCounts] | None = None,
    **overrides: Any,
) -> OfferSnapshot:
    """An offer of seller S1; `counts` for every window, `window_counts` for named ones."""
    windows = {window: counts or offer_counts() for window in WINDOWS}
    windows.update(window_counts or {})
    fields: dict[str, Any] = {
        "offer_id": "O1",
        "seller_id": "S1",
        "product_id": "P1",
        "marketplace": "DE",
        "fulfillment_channel": "fba",
        "handling_days": 1,
        "return_window_days": 30,
        "free_returns": True,
        "windows": windows,
    }
    return OfferSnapshot(**{**fields, **overrides})


def subject(
    seller: SellerSnapshot | None = None,
    offer: OfferSnapshot | None = None,
    prior_rates: Mapping[str, Mapping[str, float]] | None = None,
    as_of: date = AS_OF,
) -> Subject:
    """A subject on the given seller (default seller if None), offer and priors."""
    return Subject(seller or seller_snapshot(), offer, as_of, prior_rates or {})


def signal_params(
    weights: Mapping[str, Mapping[str, float]] | None = None,
    pseudo_orders: float = 0.0,
    z: float = Z,
) -> SignalParams:
    """Signal parameters: no DSI weights unless given, no shrinkage unless pseudo-orders given."""
    return SignalParams(z, weights or {"fq": {}, "csq": {}}, pseudo_orders)


@st.composite
def valid_seller_counts(draw: st.DrawFn, max_count: int = 500) -> SellerCounts:
    """Any seller counts that satisfy every invariant: each event within its opportunity."""

    def up_to(limit: int) -> int:
        return draw(st.integers(0, limit))

    orders, feedback, contacts = up_to(max_count), up_to(max_count), up_to(max_count)
    shipments, returns, transactions = up_to(orders), up_to(orders), up_to(max_count)
    transaction_defects, first_messages = up_to(transactions), up_to(max_count)
    sales = draw(st.floats(0.0, 1e6))
    return SellerCounts(
        orders=orders,
        shipments=shipments,
        late_shipments=up_to(shipments),
        shipments_with_valid_tracking=up_to(shipments),
        on_time_tracked_shipments=up_to(shipments),
        late_deliveries=up_to(orders),
        cancellations=up_to(orders),
        damaged=up_to(orders),
        not_as_described=up_to(orders),
        fq_claims=up_to(orders),
        fq_negative_feedback=up_to(feedback),
        contacts=contacts,
        contacts_answered_24h=up_to(contacts),
        contacts_unsatisfactory=up_to(contacts),
        returns=returns,
        return_dissatisfaction=up_to(returns),
        cs_claims=up_to(orders),
        cs_negative_feedback=up_to(feedback),
        first_messages=first_messages,
        first_messages_answered_24h=up_to(first_messages),
        feedback_count=feedback,
        positive_feedback=up_to(feedback),
        defective_orders=up_to(orders),
        transactions=transactions,
        transaction_defects=transaction_defects,
        transaction_defect_buyers=up_to(transaction_defects),
        cases_closed_without_resolution=up_to(transactions),
        domestic_transactions=up_to(transactions),
        sales_amount=sales,
        domestic_sales_amount=draw(st.floats(0.0, sales)),
        ratings=tuple(up_to(max_count) for _ in range(5)),
    )


@st.composite
def valid_offer_counts(draw: st.DrawFn, max_count: int = 500) -> OfferCounts:
    """Any offer counts that satisfy every invariant."""
    orders = draw(st.integers(0, max_count))
    on_time = draw(st.integers(0, orders))

    def up_to(limit: int) -> int:
        return draw(st.integers(0, limit))

    return OfferCounts(
        orders=orders,
        on_time_deliveries=on_time,
        late_deliveries=up_to(orders - on_time),
        cancellations=up_to(orders),
        damaged=up_to(orders),
        not_as_described=up_to(orders),
        returns=up_to(orders),
    )
