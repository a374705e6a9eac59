"""The signal catalogue: every named signal a rule, stat or feature can refer to.

A reference is `<level>.<name>` with a window where the signal has one, e.g.
`seller.late_shipment_rate` over `90d`, `offer.on_time_delivery_rate` over `30d`,
`seller.tenure_days` (no window). `compile_signal` resolves a reference once, at config
load, into a function so that evaluation does no lookups by name.

Over 300 lines on purpose: the signal catalogue is one table of small functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from math import sqrt
from operator import attrgetter
from typing import Any, Final

from trust_signals.domain.indices import (
    OFFER_DEFECTS,
    SELLER_DEFECTS,
    Counter,
    entity_index,
    shrunk_rates,
)
from trust_signals.domain.rates import NO_DATA, Measure, exact, rate
from trust_signals.domain.snapshots import (
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_FIELDS,
    WINDOWS,
    OfferSnapshot,
    SellerSnapshot,
)

LEVELS: Final = ("seller", "offer")
# A count signal's value: an int count, or a float for the sales amounts.
Quantity = Callable[[Any], float]


@dataclass(frozen=True, slots=True)
class SignalParams:
    """Config-given parameters of the signals: Wilson z, DSI weights, shrinkage."""

    z: float
    weights: Mapping[str, Mapping[str, float]]  # family ('fq'/'csq') -> defect type -> weight
    pseudo_orders: float


@dataclass(frozen=True, slots=True)
class Subject:
    """What signals are computed on: a seller, maybe one of its offers, and the priors.

    `prior_rates[window]` holds the seller's cohort defect rates per type, the target of
    shrinkage; an offer is shrunk toward its seller's own (shrunk) FQ rates, which
    `offer_prior_rates` may carry precomputed (see `seller_fq_rates`) so that the offers of
    one seller do not each recompute them.
    """

    seller: SellerSnapshot
    offer: OfferSnapshot | None
    as_of: date
    prior_rates: Mapping[str, Mapping[str, float]]
    offer_prior_rates: Mapping[str, Mapping[str, float]] | None = None


SignalFn = Callable[[Subject, SignalParams], Measure]


def _difference(minuend: str, subtrahend: str) -> Counter:
    """A count derived as one field less another (e.g. orders not delivered late)."""
    get = attrgetter(minuend, subtrahend)

    def difference(counts: Any) -> int:
        first, second = get(counts)
        found: int = first - second
        return found

    return difference


# name -> (events, opportunities). A 'good' rate counts successes, a defect rate defects.
SELLER_RATES: Final[Mapping[str, tuple[Counter, Counter]]] = {
    "order_defect_rate": (attrgetter("defective_orders"), attrgetter("orders")),
    "late_shipment_rate": (attrgetter("late_shipments"), attrgetter("shipments")),
    "valid_tracking_rate": (attrgetter("shipments_with_valid_tracking"), attrgetter("shipments")),
    "on_time_tracked_shipment_rate": (
        attrgetter("on_time_tracked_shipments"),
        attrgetter("shipments"),
    ),
    "late_delivery_rate": (attrgetter("late_deliveries"), attrgetter("orders")),
    "on_time_delivery_rate": (_difference("orders", "late_deliveries"), attrgetter("orders")),
    "cancellation_rate": (attrgetter("cancellations"), attrgetter("orders")),
    "damaged_rate": (attrgetter("damaged"), attrgetter("orders")),
    "not_as_described_rate": (attrgetter("not_as_described"), attrgetter("orders")),
    "fq_claim_rate": (attrgetter("fq_claims"), attrgetter("orders")),
    "fq_negative_feedback_rate": (attrgetter("fq_negative_feedback"), attrgetter("feedback_count")),
    "contact_response_rate": (attrgetter("contacts_answered_24h"), attrgetter("contacts")),
    "unsatisfactory_contact_rate": (attrgetter("contacts_unsatisfactory"), attrgetter("contacts")),
    "return_rate": (attrgetter("returns"), attrgetter("orders")),
    "return_dissatisfaction_rate": (attrgetter("return_dissatisfaction"), attrgetter("returns")),
    "cs_claim_rate": (attrgetter("cs_claims"), attrgetter("orders")),
    "cs_negative_feedback_rate": (attrgetter("cs_negative_feedback"), attrgetter("feedback_count")),
    "first_message_response_rate": (
        attrgetter("first_messages_answered_24h"),
        attrgetter("first_messages"),
    ),
    "positive_feedback_rate": (attrgetter("positive_feedback"), attrgetter("feedback_count")),
    "transaction_defect_rate": (attrgetter("transaction_defects"), attrgetter("transactions")),
    "case_closed_without_resolution_rate": (
        attrgetter("cases_closed_without_resolution"),
        attrgetter("transactions"),
    ),
}
OFFER_RATES: Final[Mapping[str, tuple[Counter, Counter]]] = {
    "on_time_delivery_rate": (
        attrgetter("on_time_deliveries"),
        lambda c: c.on_time_deliveries + c.late_deliveries,
    ),
    "late_delivery_rate": (attrgetter("late_deliveries"), attrgetter("orders")),
    "cancellation_rate": (attrgetter("cancellations"), attrgetter("orders")),
    "damaged_rate": (attrgetter("damaged"), attrgetter("orders")),
    "not_as_described_rate": (attrgetter("not_as_described"), attrgetter("orders")),
    "return_rate": (attrgetter("returns"), attrgetter("orders")),
}
SELLER_COUNTS: Final[Mapping[str, Quantity]] = {
    **{name: attrgetter(name) for name in SELLER_COUNT_FIELDS if name != "ratings"},
    "rating_count": lambda c: sum(c.ratings),
}
OFFER_COUNTS: Final[Mapping[str, Quantity]] = {
    name: attrgetter(name) for name in OFFER_COUNT_FIELDS
}
SELLER_ATTRIBUTES: Final[Mapping[str, Callable[[SellerSnapshot, date], float | None]]] = {
    "tenure_days": lambda s, as_of: s.tenure_days,
    "days_since_first_sale": lambda s, as_of: (
        None if s.first_sale_date is None else (as_of - s.first_sale_date).days
    ),
    "first_party": lambda s, as_of: float(s.first_party),
}
# Every offer has its attributes: none of them is ever None.
OFFER_ATTRIBUTES: Final[Mapping[str, Callable[[OfferSnapshot, date], float]]] = {
    "handling_days": lambda o, as_of: o.handling_days,
    "return_window_days": lambda o, as_of: o.return_window_days,
    "free_returns": lambda o, as_of: float(o.free_returns),
}
DERIVED: Final = ("average_rating", "fq_index", "csq_index")
# Rates where higher is better; every other rate counts defects.
GOOD_RATES: Final = frozenset(
    {
        "valid_tracking_rate",
        "on_time_tracked_shipment_rate",
        "on_time_delivery_rate",
        "contact_response_rate",
        "first_message_response_rate",
        "positive_feedback_rate",
    }
)


def average_rating(ratings: tuple[int, ...], z: float) -> Measure:
    """Mean stars over the 1-5 histogram, with a normal-approximation interval in [1, 5]."""
    count = sum(ratings)
    if count == 0:
        return NO_DATA
    total_stars = sum(stars * n for stars, n in enumerate(ratings, start=1))
    mean = total_stars / count
    variance = sum(n * (stars - mean) ** 2 for stars, n in enumerate(ratings, start=1)) / count
    margin = z * sqrt(variance / count)
    return Measure(mean, max(1.0, mean - margin), min(5.0, mean + margin), count, total_stars)


# The defect types an offer has, counted on its seller: the prior of the offer's index.
_OFFER_DEFECTS_OF_SELLER: Final = {
    family: {kind: SELLER_DEFECTS[family][kind] for kind in kinds}
    for family, kinds in OFFER_DEFECTS.items()
}


def _seller_shrunk_rates(
    subject: Subject, params: SignalParams, family: str, window: str
) -> Mapping[str, float]:
    """The seller's shrunk rates of the defect types an offer has (the others' prior is
    never read)."""
    if subject.offer_prior_rates is not None:
        return subject.offer_prior_rates[window]
    counts = subject.seller.windows[window]
    defects = {kind: count(counts) for kind, count in _OFFER_DEFECTS_OF_SELLER[family].items()}
    prior = subject.prior_rates.get(window, {})
    return shrunk_rates(defects, counts.orders, prior, params.pseudo_orders) or {}


def seller_fq_rates(subject: Subject, params: SignalParams) -> dict[str, Mapping[str, float]]:
    """The seller's shrunk FQ defect rates per window: the prior of its offers' FQ index."""
    return {window: _seller_shrunk_rates(subject, params, "fq", window) for window in WINDOWS}


def _index_fn(level: str, family: str, window: str) -> SignalFn:
    def seller_index(subject: Subject, params: SignalParams) -> Measure:
        counts = subject.seller.windows[window]
        defects = {kind: count(counts) for kind, count in SELLER_DEFECTS[family].items()}
        value = entity_index(
            defects,
            counts.orders,
            params.weights[family],
            subject.prior_rates.get(window, {}),
            params.pseudo_orders,
        )
        return NO_DATA if value is None else exact(value, counts.orders)

    def offer_index(subject: Subject, params: SignalParams) -> Measure:
        if subject.offer is None:
            return NO_DATA
        counts = subject.offer.windows[window]
        defects = {kind: count(counts) for kind, count in OFFER_DEFECTS[family].items()}
        prior = _seller_shrunk_rates(subject, params, family, window)
        weights = params.weights[family]
        value = entity_index(defects, counts.orders, weights, prior, params.pseudo_orders)
        return NO_DATA if value is None else exact(value, counts.orders)

    return seller_index if level == "seller" else offer_index


def _windowed_fn(level: str, name: str, window: str) -> SignalFn | None:
    """The function of a windowed signal, or None when the catalogue has no such name."""
    rates, counts = (
        (SELLER_RATES, SELLER_COUNTS) if level == "seller" else (OFFER_RATES, OFFER_COUNTS)
    )
    entity = attrgetter("seller") if level == "seller" else attrgetter("offer")
    if name in rates:
        events, opportunities = rates[name]

        def rate_fn(subject: Subject, params: SignalParams) -> Measure:
            found = entity(subject)
            if found is None:
                return NO_DATA
            c = found.windows[window]
            return rate(events(c), opportunities(c), params.z)

        return rate_fn
    if name in counts:
        count = counts[name]

        def count_fn(subject: Subject, params: SignalParams) -> Measure:
            found = entity(subject)
            if found is None:
                return NO_DATA
            value = count(found.windows[window])
            return exact(value, int(value))

        return count_fn
    if level == "seller" and name == "average_rating":
        return lambda s, p: average_rating(s.seller.windows[window].ratings, p.z)
    if name in ("fq_index", "csq_index") and (level == "seller" or name == "fq_index"):
        return _index_fn(level, name.removesuffix("_index"), window)
    return None


def _attribute_fn(level: str, name: str) -> SignalFn | None:
    if level == "seller" and name in SELLER_ATTRIBUTES:
        seller_attr = SELLER_ATTRIBUTES[name]

        def seller_fn(subject: Subject, params: SignalParams) -> Measure:
            value = seller_attr(subject.seller, subject.as_of)
            return NO_DATA if value is None else exact(value, 1)

        return seller_fn
    if level == "offer" and name in OFFER_ATTRIBUTES:
        offer_attr = OFFER_ATTRIBUTES[name]

        def offer_fn(subject: Subject, params: SignalParams) -> Measure:
            if subject.offer is None:
                return NO_DATA
            return exact(offer_attr(subject.offer, subject.as_of), 1)

        return offer_fn
    return None


def is_windowed(reference: str) -> bool:
    """Whether a signal reference takes a window (False for attributes such as tenure)."""
    level, _, name = reference.partition(".")
    return _attribute_fn(level, name) is None


def compile_signal(reference: str, window: str | None) -> SignalFn:
    """The function computing `reference` over `window`; ValueError naming what is wrong."""
    level, _, name = reference.partition(".")
    if level not in LEVELS or not name:
        raise ValueError(f"unknown signal {reference!r}: must be seller.<name> or offer.<name>")
    attribute = _attribute_fn(level, name)
    if attribute is not None:
        if window is not None:
            raise ValueError(f"signal {reference!r} has no window")
        return attribute
    if window is None:
        if _windowed_fn(level, name, WINDOWS[0]) is None:
            raise ValueError(f"unknown signal {reference!r}")
        raise ValueError(f"signal {reference!r} needs a window ({', '.join(WINDOWS)})")
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}: must be one of {', '.join(WINDOWS)}")
    fn = _windowed_fn(level, name, window)
    if fn is None:
        raise ValueError(f"unknown signal {reference!r}")
    return fn


def signal_catalogue() -> dict[str, bool]:
    """Every signal reference, mapped to whether it takes a window."""
    names: dict[str, bool] = {}
    for level, rates, counts, attributes in (
        ("seller", SELLER_RATES, SELLER_COUNTS, SELLER_ATTRIBUTES),
        ("offer", OFFER_RATES, OFFER_COUNTS, OFFER_ATTRIBUTES),
    ):
        for name in (*rates, *counts):
            names[f"{level}.{name}"] = True
        for name in attributes:
            names[f"{level}.{name}"] = False
    names.update({f"seller.{name}": True for name in DERIVED})
    names["offer.fq_index"] = True
    return names
