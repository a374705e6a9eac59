"""One bound of one signal, computed directly: what a ranking feature reads.

`compile_signal` builds a whole `Measure` (estimate, both Wilson bounds, sample), which
explanations and stats want. A feature wants one number, and for rates and counts reading it
straight from the counts, one Wilson side at most, costs a fraction of that. The result always
equals `compile_signal(reference, window)(subject, params).bound(which)`; the unit tests hold
the two to the same answer on random data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from operator import attrgetter
from typing import Final, TypeVar

from trust_signals.domain.confidence import LOWER, UPPER, wilson_bound
from trust_signals.domain.indices import Counter
from trust_signals.domain.signals import (
    OFFER_ATTRIBUTES,
    OFFER_COUNTS,
    OFFER_RATES,
    SELLER_ATTRIBUTES,
    SELLER_COUNTS,
    SELLER_RATES,
    Quantity,
    SignalParams,
    Subject,
    compile_signal,
)
from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot

BoundFn = Callable[[Subject, SignalParams], float | None]
Entity = TypeVar("Entity", SellerSnapshot, OfferSnapshot)
# The subject's seller, or its offer (None on a seller-only subject).
EntityOf = Callable[[Subject], SellerSnapshot | OfferSnapshot | None]
_SELLER: Final[Callable[[Subject], SellerSnapshot]] = attrgetter("seller")
_OFFER: Final[Callable[[Subject], OfferSnapshot | None]] = attrgetter("offer")


def compile_bound(reference: str, window: str | None, which: str) -> BoundFn:
    """The function computing bound `which` ('point', 'lower', 'upper') of `reference`.

    ValueError, as from `compile_signal`, for an unknown signal or a wrong window.
    """
    measure = compile_signal(reference, window)
    level, _, name = reference.partition(".")
    rates, counts = (
        (SELLER_RATES, SELLER_COUNTS) if level == "seller" else (OFFER_RATES, OFFER_COUNTS)
    )
    entity: EntityOf = _SELLER if level == "seller" else _OFFER
    if window is not None and name in rates:
        events, opportunities = rates[name]
        return _rate_bound(entity, window, events, opportunities, which)
    if window is not None and name in counts:
        return _count(entity, window, counts[name])
    if window is None and level == "seller" and name in SELLER_ATTRIBUTES:
        return _attribute(_SELLER, SELLER_ATTRIBUTES[name])
    if window is None and level == "offer" and name in OFFER_ATTRIBUTES:
        return _attribute(_OFFER, OFFER_ATTRIBUTES[name])

    def bound(subject: Subject, params: SignalParams) -> float | None:
        return measure(subject, params).bound(which)

    return bound


def _rate_bound(
    entity: EntityOf,
    window: str,
    events: Counter,
    opportunities: Counter,
    which: str,
) -> BoundFn:
    if which == "point":

        def point(subject: Subject, params: SignalParams) -> float | None:
            found = entity(subject)
            if found is None:
                return None
            counts = found.windows[window]
            trials = opportunities(counts)
            return None if trials <= 0 else events(counts) / trials

        return point
    side = LOWER if which == "lower" else UPPER

    def one_side(subject: Subject, params: SignalParams) -> float | None:
        found = entity(subject)
        if found is None:
            return None
        counts = found.windows[window]
        trials = opportunities(counts)
        return None if trials <= 0 else wilson_bound(events(counts), trials, params.z, side)

    return one_side


def _count(entity: EntityOf, window: str, count: Quantity) -> BoundFn:
    def value(subject: Subject, params: SignalParams) -> float | None:
        found = entity(subject)
        return None if found is None else count(found.windows[window])

    return value


def _attribute(
    entity: Callable[[Subject], Entity | None], attribute: Callable[[Entity, date], float | None]
) -> BoundFn:
    def value(subject: Subject, params: SignalParams) -> float | None:
        found = entity(subject)
        return None if found is None else attribute(found, subject.as_of)

    return value
