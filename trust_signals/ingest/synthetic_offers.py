"""Synthetic offers: listing terms, per-order rates around the seller's, and windowed counts."""

from __future__ import annotations

import random
from typing import Final, NamedTuple

from trust_signals.domain.snapshots import FULFILLMENT_CHANNELS, OFFER_COUNT_FIELDS, WINDOWS
from trust_signals.ingest.synthetic_counts import CountSampler
from trust_signals.ingest.synthetic_profiles import CHANNEL_RATES, SellerProfile

_HANDLING_DAYS: Final = {
    "fba": (0, 1),
    "mfn": (1, 4),
    "easyship": (1, 2),
    "seller_fulfilled_prime": (0, 1),
}
_RETURN_WINDOWS: Final = (30, 30, 30, 30, 14, 60, 90, 365)
_ZERO_OFFER_PERIOD: Final = (0, 0, 0, 0, 0, 0, 0)
_PERIOD_WIDTH: Final = len(OFFER_COUNT_FIELDS)

OfferPeriod = tuple[int, int, int, int, int, int, int]  # in OFFER_COUNT_FIELDS order
OfferPeriods = tuple[OfferPeriod, OfferPeriod, OfferPeriod]


class OfferTerms(NamedTuple):
    """An offer's listing terms."""

    fulfillment_channel: str
    handling_days: int
    return_window_days: int
    free_returns: bool


def draw_offer_terms(rng: random.Random, seller: SellerProfile) -> OfferTerms:
    """Listing terms for one of the seller's offers: mostly its primary channel."""
    channel = seller.fulfillment_channel
    if rng.random() >= 0.85:
        channel = FULFILLMENT_CHANNELS[int(rng.random() * len(FULFILLMENT_CHANNELS))]
    low, high = _HANDLING_DAYS[channel]
    if seller.foreign and channel in ("mfn", "easyship"):
        low, high = low + 2, high + 5  # shipping from abroad
    handling = low + int(rng.random() * (high - low + 1))
    if seller.category_group == "grocery" and rng.random() < 0.7:
        return_window = 0  # perishables are not returnable
    else:
        return_window = _RETURN_WINDOWS[int(rng.random() * len(_RETURN_WINDOWS))]
    free = return_window > 0 and rng.random() < (0.6 if channel == "fba" else 0.15)
    return OfferTerms(channel, handling, return_window, free)


class OfferRates(NamedTuple):
    """An offer's per-order rates, as one defect rate split by conditional shares."""

    defect: float
    cancellation_share: float  # of defects
    late_share: float  # of defects that are not cancellations
    damaged_share: float  # of defects that are neither of those
    returns: float


def offer_rates(seller: SellerProfile, channel: str) -> OfferRates:
    """An offer's rates: its seller's, rescaled when it ships through another channel."""
    rates = seller.rates
    cancellation, late_delivery = rates.cancellation, rates.late_delivery
    if channel != seller.fulfillment_channel:
        # Another channel's logistics: rescale by how that channel compares to the primary one.
        own, other = CHANNEL_RATES[seller.fulfillment_channel], CHANNEL_RATES[channel]
        late_delivery *= other[2] / own[2]
        cancellation *= other[3] / own[3]
    damaged, not_as_described = rates.damaged, rates.not_as_described
    after_cancel = late_delivery + damaged + not_as_described
    total = cancellation + after_cancel
    return OfferRates(
        defect=total,
        cancellation_share=cancellation / total,
        late_share=late_delivery / after_cancel,
        damaged_share=damaged / (damaged + not_as_described),
        returns=rates.returns,
    )


def offer_periods(
    sampler: CountSampler,
    yearly_orders: float,
    shares: tuple[float, float, float],
    defect_rate: float,
    rates: OfferRates,
) -> OfferPeriods | None:
    """The offer's counts per period (None: no orders in the year), at yearly_orders x shares.

    One Poisson total split binomially is the same law as a Poisson per period, and lets the
    many quiet offers stop after one draw.
    """
    first, second, third = shares
    orders = sampler.poisson(yearly_orders * (first + second + third))
    if not orders:
        return None
    in_first = sampler.binomial(orders, first / (first + second + third))
    rest = orders - in_first
    in_second = sampler.binomial(rest, second / (second + third)) if rest else 0
    return (
        _offer_period(sampler, in_first, defect_rate, rates),
        _offer_period(sampler, in_second, defect_rate, rates),
        _offer_period(sampler, rest - in_second, defect_rate, rates),
    )


def _offer_period(
    sampler: CountSampler, orders: int, defect_rate: float, rates: OfferRates
) -> OfferPeriod:
    """One period's offer counts for its orders.

    Cancellation, late delivery, damage and not-as-described are drawn as one defect count,
    then split: at these rates overlaps are rare, and a quiet offer costs one draw, not four.
    """
    if not orders:
        return _ZERO_OFFER_PERIOD
    binomial = sampler.binomial
    defects = binomial(orders, defect_rate)
    cancellations = late = damaged = 0
    if defects:
        cancellations = binomial(defects, rates.cancellation_share)
        late = binomial(defects - cancellations, rates.late_share)
        damaged = binomial(defects - cancellations - late, rates.damaged_share)
    shipped = orders - cancellations
    return (
        orders,
        shipped - late,
        late,
        cancellations,
        damaged,
        defects - cancellations - late - damaged,
        binomial(shipped, rates.returns),
    )


def offer_windows(
    periods: OfferPeriods, offer_totals: list[int], start: int, zero_counts: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Cumulative 30d/90d/365d windows from the three periods' counts.

    Also adds each period to the seller's offer totals, which begin at start. Unrolled: this
    runs once per offer.
    """
    windows: dict[str, dict[str, int]] = {}
    counts = zero_counts
    orders = on_time = late = cancelled = damaged = not_as_described = returns = 0
    for window, period in zip(WINDOWS, periods, strict=True):
        if period[0]:  # a period without orders is all zeros: the window repeats the last
            p_orders, p_on_time, p_late, p_cancelled, p_damaged, p_nad, p_returns = period
            orders += p_orders
            on_time += p_on_time
            late += p_late
            cancelled += p_cancelled
            damaged += p_damaged
            not_as_described += p_nad
            returns += p_returns
            offer_totals[start] += p_orders
            offer_totals[start + 1] += p_on_time
            offer_totals[start + 2] += p_late
            offer_totals[start + 3] += p_cancelled
            offer_totals[start + 4] += p_damaged
            offer_totals[start + 5] += p_nad
            offer_totals[start + 6] += p_returns
            running = (orders, on_time, late, cancelled, damaged, not_as_described, returns)
            counts = dict(zip(OFFER_COUNT_FIELDS, running, strict=True))
        windows[window] = counts
        start += _PERIOD_WIDTH
    return windows
