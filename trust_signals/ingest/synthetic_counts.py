"""Synthetic count draws: binomial and Poisson samples, and a seller's windowed counts."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any, Final

from trust_signals.domain.snapshots import OFFER_COUNT_FIELDS, SELLER_COUNT_FIELDS, WINDOWS
from trust_signals.ingest.synthetic_profiles import SellerProfile, SellerRates

# Below this mean a count is drawn exactly (inversion, Knuth); above it the normal
# approximation is well inside sampling noise and costs one draw instead of about `mean`.
_EXACT_BELOW: Final = 12.0
_AMOUNTS: Final = ("sales_amount", "domestic_sales_amount")
_WIDTH: Final = len(OFFER_COUNT_FIELDS)
_SCALAR_FIELDS: Final = tuple(name for name in SELLER_COUNT_FIELDS if name != "ratings")


class CountSampler:
    """Binomial and Poisson counts from one random.Random, cheap enough for millions of records."""

    __slots__ = ("_random", "_gauss")

    def __init__(self, rng: random.Random) -> None:
        self._random = rng.random
        self._gauss = rng.gauss

    def binomial(self, n: int, p: float) -> int:
        """Successes in n trials of probability p."""
        if n <= 0 or p <= 0.0:
            return 0
        if p > 0.5:
            return n - self.binomial(n, 1.0 - p)
        mean = n * p
        if mean < _EXACT_BELOW:
            # Inversion: walk the probability mass function up from 0 (about `mean` steps).
            q = 1.0 - p
            mass = q**n
            u = self._random()
            ratio, k = p / q, 0
            while u >= mass and k < n:
                u -= mass
                mass *= (n - k) * ratio / (k + 1)
                k += 1
            return k
        k = int(mean + math.sqrt(mean * (1.0 - p)) * self._gauss() + 0.5)
        return 0 if k < 0 else (n if k > n else k)

    def uniform(self) -> float:
        """A float in [0, 1)."""
        return self._random()

    def poisson(self, mean: float) -> int:
        """A Poisson count with the given mean."""
        if mean <= 0.0:
            return 0
        if mean < _EXACT_BELOW:
            rand = self._random
            limit, product, k = math.exp(-mean), rand(), 0
            while product > limit:
                k += 1
                product *= rand()
            return k
        k = int(mean + math.sqrt(mean) * self._gauss() + 0.5)
        return k if k > 0 else 0


def seller_windows(
    sampler: CountSampler, seller: SellerProfile, offer_totals: Sequence[int]
) -> dict[str, dict[str, Any]]:
    """The seller's 30d/90d/365d counts: its listed offers' totals per period plus other orders.

    offer_totals holds the seller's offers' counts summed per period, period after period,
    each in OFFER_COUNT_FIELDS order, so seller orders and defects include every offer's.
    """
    windows: dict[str, dict[str, Any]] = {}
    running: dict[str, Any] | None = None
    for period, window in enumerate(WINDOWS):
        offers = offer_totals[_WIDTH * period : _WIDTH * (period + 1)]
        extra = sampler.poisson(seller.extra_orders_per_year * seller.period_shares[period])
        if period == seller.first_sale_period and offers[0] + extra == 0:
            extra = 1  # the first sale itself falls in this period
        counts = _seller_period(sampler, seller.rates, offers, extra)
        running = counts if running is None else _sum_counts(running, counts)
        windows[window] = running
    return windows


def _seller_period(
    sampler: CountSampler, rates: SellerRates, offers: Sequence[int], extra_orders: int
) -> dict[str, Any]:
    """One period's seller counts; offers holds this period's summed offer counts."""
    if not offers[0] and not extra_orders:
        return _zero_seller_counts()
    binomial = sampler.binomial
    extra_cancelled = binomial(extra_orders, rates.cancellation)
    extra_shipped = extra_orders - extra_cancelled
    orders = offers[0] + extra_orders
    cancellations = offers[3] + extra_cancelled
    shipments = orders - cancellations
    late_shipments = binomial(shipments, rates.late_shipment)
    valid_tracking = shipments - binomial(shipments, rates.invalid_tracking)
    counts: dict[str, Any] = {
        "orders": orders,
        "shipments": shipments,
        "late_shipments": late_shipments,
        "shipments_with_valid_tracking": valid_tracking,
        # Lower bound of on-time-and-tracked: assumes late and untracked never coincide.
        "on_time_tracked_shipments": max(0, valid_tracking - late_shipments),
        "late_deliveries": offers[2] + binomial(extra_shipped, rates.late_delivery),
        "cancellations": cancellations,
        "damaged": offers[4] + binomial(extra_shipped, rates.damaged),
        "not_as_described": offers[5] + binomial(extra_shipped, rates.not_as_described),
        "fq_claims": binomial(shipments, rates.fq_claim),
        "returns": offers[6] + binomial(extra_shipped, rates.returns),
        "cs_claims": binomial(orders, rates.cs_claim),
    }
    counts["return_dissatisfaction"] = binomial(counts["returns"], rates.return_dissatisfaction)
    _add_service_counts(sampler, rates, counts)
    return {name: counts[name] for name in SELLER_COUNT_FIELDS}


def _add_service_counts(sampler: CountSampler, rates: SellerRates, counts: dict[str, Any]) -> None:
    """Contacts, feedback, ratings, transactions and sales, consistent with the order counts."""
    binomial = sampler.binomial
    orders = counts["orders"]
    contacts = binomial(orders, rates.contact)
    first_messages = binomial(contacts, 0.7)
    feedback = binomial(orders, rates.feedback)
    negative = binomial(feedback, rates.negative_feedback)
    neutral = binomial(feedback - negative, rates.neutral_feedback)
    positive = feedback - negative - neutral
    fq_negative = binomial(negative, 0.6)
    one_star, five_star = binomial(negative, 0.7), binomial(positive, rates.five_star)
    transactions = orders + binomial(orders, 0.04)  # some orders hold several transactions
    cases = binomial(transactions, rates.case_unresolved)
    defects = min(transactions, counts["cancellations"] + cases)
    domestic = binomial(transactions, rates.domestic)
    sales = round(transactions * rates.unit_price * (0.9 + 0.2 * sampler.uniform()), 2)
    counts.update(
        contacts=contacts,
        contacts_answered_24h=contacts - binomial(contacts, rates.unanswered),
        contacts_unsatisfactory=binomial(contacts, rates.unsatisfactory),
        fq_negative_feedback=fq_negative,
        cs_negative_feedback=negative - fq_negative,
        first_messages=first_messages,
        first_messages_answered_24h=first_messages - binomial(first_messages, rates.unanswered),
        feedback_count=feedback,
        positive_feedback=positive,
        defective_orders=min(orders, negative + counts["fq_claims"] + counts["cs_claims"]),
        transactions=transactions,
        transaction_defects=defects,
        transaction_defect_buyers=defects - binomial(defects, 0.08),  # repeat buyers
        cases_closed_without_resolution=cases,
        domestic_transactions=domestic,
        sales_amount=sales,
        domestic_sales_amount=round(sales * domestic / transactions, 2) if transactions else 0.0,
        ratings=[one_star, negative - one_star, neutral, positive - five_star, five_star],
    )


def _zero_seller_counts() -> dict[str, Any]:
    counts: dict[str, Any] = dict.fromkeys(_SCALAR_FIELDS, 0)
    counts.update(sales_amount=0.0, domestic_sales_amount=0.0, ratings=[0, 0, 0, 0, 0])
    return counts


def _sum_counts(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """Counts of two adjacent periods added; amounts re-rounded (rounding keeps the order)."""
    total = {name: earlier[name] + later[name] for name in _SCALAR_FIELDS}
    for name in _AMOUNTS:
        total[name] = round(total[name], 2)
    # ratings is the last count field, so adding it last keeps the fields in their order.
    total["ratings"] = [a + b for a, b in zip(earlier["ratings"], later["ratings"], strict=True)]
    return total
