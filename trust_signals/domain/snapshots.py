"""Seller and offer snapshot records: frozen per-window counts with their invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final, NamedTuple

WINDOWS: Final = ("30d", "90d", "365d")
# Seller, offer and snapshot ids: 1-64 characters, safe in keys, URLs and file names.
# \Z: "$" would allow a final "\n".
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z"
# Marketplaces and seller locations: two upper-case letters (US, DE).
MARKETPLACE_PATTERN: Final = r"^[A-Z]{2}\Z"
WINDOW_DAYS: Final = {"30d": 30, "90d": 90, "365d": 365}

CATEGORY_GROUPS: Final = (
    "heavy_bulky",
    "electronics",
    "apparel",
    "home_garden",
    "media",
    "grocery",
    "toys",
    "general",
)
FULFILLMENT_CHANNELS: Final = ("fba", "mfn", "easyship", "seller_fulfilled_prime")
CS_PROVIDERS: Final = ("marketplace_cs", "csba", "seller_cs")

# (event count, opportunity count): an event can never outnumber its opportunities.
SELLER_COUNT_BOUNDS: Final = (
    ("shipments", "orders"),
    ("late_shipments", "shipments"),
    ("shipments_with_valid_tracking", "shipments"),
    ("on_time_tracked_shipments", "shipments"),
    ("late_deliveries", "orders"),
    ("cancellations", "orders"),
    ("damaged", "orders"),
    ("not_as_described", "orders"),
    ("fq_claims", "orders"),
    ("fq_negative_feedback", "feedback_count"),
    ("contacts_answered_24h", "contacts"),
    ("contacts_unsatisfactory", "contacts"),
    ("returns", "orders"),
    ("return_dissatisfaction", "returns"),
    ("cs_claims", "orders"),
    ("cs_negative_feedback", "feedback_count"),
    ("first_messages_answered_24h", "first_messages"),
    ("positive_feedback", "feedback_count"),
    ("defective_orders", "orders"),
    ("transaction_defects", "transactions"),
    ("transaction_defect_buyers", "transaction_defects"),
    ("cases_closed_without_resolution", "transactions"),
    ("domestic_transactions", "transactions"),
)
OFFER_COUNT_BOUNDS: Final = (
    ("on_time_deliveries", "orders"),
    ("late_deliveries", "orders"),
    ("cancellations", "orders"),
    ("damaged", "orders"),
    ("not_as_described", "orders"),
    ("returns", "orders"),
)


class _SellerCountFields(NamedTuple):
    orders: int
    shipments: int
    late_shipments: int
    shipments_with_valid_tracking: int
    on_time_tracked_shipments: int
    late_deliveries: int
    cancellations: int
    damaged: int
    not_as_described: int
    fq_claims: int
    fq_negative_feedback: int
    contacts: int
    contacts_answered_24h: int
    contacts_unsatisfactory: int
    returns: int
    return_dissatisfaction: int
    cs_claims: int
    cs_negative_feedback: int
    first_messages: int
    first_messages_answered_24h: int
    feedback_count: int
    positive_feedback: int
    defective_orders: int
    transactions: int
    transaction_defects: int
    transaction_defect_buyers: int
    cases_closed_without_resolution: int
    domestic_transactions: int
    sales_amount: float
    domestic_sales_amount: float
    ratings: tuple[int, int, int, int, int]  # count of 1..5 star ratings


class SellerCounts(_SellerCountFields):
    """A seller's counts over one trailing window.

    A NamedTuple rather than a frozen dataclass: records are decoded on every cold-cache read
    and a 31-field frozen dataclass costs ~12 µs to build, a tuple ~1 µs. Immutable either way.
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> SellerCounts:
        self = super().__new__(cls, *args, **kwargs)
        if len(self.ratings) != 5 or min(self.ratings) < 0:
            raise ValueError("ratings: must hold five non-negative counts, for 1 to 5 stars")
        _check_seller_counts(self)
        return self


class _OfferCountFields(NamedTuple):
    orders: int
    on_time_deliveries: int
    late_deliveries: int
    cancellations: int
    damaged: int
    not_as_described: int
    returns: int


class OfferCounts(_OfferCountFields):
    """An offer's counts over one trailing window (a NamedTuple for the same reason)."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> OfferCounts:
        self = super().__new__(cls, *args, **kwargs)
        _check_offer_counts(self)
        if self.on_time_deliveries + self.late_deliveries > self.orders:
            raise ValueError("on_time_deliveries: with late_deliveries must not exceed orders")
        return self


SELLER_COUNT_FIELDS: Final = _SellerCountFields._fields
OFFER_COUNT_FIELDS: Final = _OfferCountFields._fields


class _CountChecker:
    """Checks counts are non-negative and events within their opportunities, in one pass.

    Works on the tuple by position: it runs on every record decoded on a cold-cache read.
    """

    __slots__ = ("_names", "_scalars", "_pairs")

    def __init__(self, names: tuple[str, ...], bounds: tuple[tuple[str, str], ...]) -> None:
        self._names = names
        self._scalars = sum(1 for n in names if n != "ratings")
        self._pairs = tuple((names.index(e), names.index(o)) for e, o in bounds)

    def __call__(self, values: tuple[Any, ...]) -> None:
        if min(values[: self._scalars]) < 0:
            name = self._names[next(i for i, v in enumerate(values) if v < 0)]
            raise ValueError(f"{name}: must be non-negative")
        for event, opportunity in self._pairs:
            if values[event] > values[opportunity]:
                raise ValueError(
                    f"{self._names[event]}: must not exceed {self._names[opportunity]}"
                )


_check_seller_counts: Final = _CountChecker(
    SELLER_COUNT_FIELDS, SELLER_COUNT_BOUNDS + (("domestic_sales_amount", "sales_amount"),)
)
_check_offer_counts: Final = _CountChecker(OFFER_COUNT_FIELDS, OFFER_COUNT_BOUNDS)


@dataclass(frozen=True, slots=True)
class SellerSnapshot:
    """One seller as of a snapshot: attributes plus counts per window."""

    seller_id: str
    marketplace: str
    tenure_days: int
    first_sale_date: date | None
    location: str
    category_group: str
    fulfillment_channel: str
    cs_provider: str
    first_party: bool
    windows: dict[str, SellerCounts]

    def __post_init__(self) -> None:
        if self.tenure_days < 0:
            raise ValueError("tenure_days: must be non-negative")
        if set(self.windows) != set(WINDOWS):
            raise ValueError(f"windows: must be exactly {', '.join(WINDOWS)}")


@dataclass(frozen=True, slots=True)
class OfferSnapshot:
    """One offer as of a snapshot: attributes plus counts per window."""

    offer_id: str
    seller_id: str
    product_id: str
    marketplace: str
    fulfillment_channel: str
    handling_days: int
    return_window_days: int
    free_returns: bool
    windows: dict[str, OfferCounts]

    def __post_init__(self) -> None:
        if self.handling_days < 0:
            raise ValueError("handling_days: must be non-negative")
        if self.return_window_days < 0:
            raise ValueError("return_window_days: must be non-negative")
        if set(self.windows) != set(WINDOWS):
            raise ValueError(f"windows: must be exactly {', '.join(WINDOWS)}")
