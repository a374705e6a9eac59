"""Synthetic seller profiles: cohort rate tables, each seller's attributes and per-order rates."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, NamedTuple

from trust_signals.domain.snapshots import CATEGORY_GROUPS, CS_PROVIDERS, FULFILLMENT_CHANNELS

# Disjoint trailing periods (start day, length in days). Counts are drawn per period and summed,
# so the 30d/90d/365d windows nest and every event <= opportunity bound holds by construction.
PERIODS: Final = ((0, 30), (30, 60), (90, 275))

# Cumulative probabilities, in the order of the enum tuples they pick from.
_CATEGORY_CUMULATIVE: Final = (0.05, 0.19, 0.35, 0.52, 0.59, 0.65, 0.74)  # general: the rest
_CHANNEL_CUMULATIVE: Final = (0.45, 0.78, 0.88)  # fba, mfn, easyship; seller_fulfilled_prime
# Per channel, over CS_PROVIDERS: the marketplace answers for FBA orders, merchant-fulfilled
# sellers mostly answer themselves or buy CSBA.
_CS_CUMULATIVE: Final = {
    "fba": (0.90, 0.95),
    "mfn": (0.03, 0.30),
    "easyship": (0.10, 0.40),
    "seller_fulfilled_prime": (0.05, 0.50),
}
_DOMESTIC_SELLER_SHARE: Final = 0.85
_FOREIGN_LOCATIONS: Final = ("CN", "CN", "CN", "CN", "GB", "US", "DE", "HK", "JP", "TR", "IN")
_CURRENCY_PER_USD: Final = {"IN": 83.0, "JP": 150.0, "GB": 0.8, "DE": 0.92, "FR": 0.92, "BR": 5.0}

# Per channel: late shipment, invalid tracking, late delivery, cancellation. MFN ships itself,
# so it is late and untracked far more often than FBA.
CHANNEL_RATES: Final = {
    "fba": (0.002, 0.001, 0.030, 0.002),
    "mfn": (0.035, 0.040, 0.070, 0.015),
    "easyship": (0.015, 0.010, 0.050, 0.008),
    "seller_fulfilled_prime": (0.008, 0.005, 0.025, 0.005),
}
# Per category: damaged, not as described, returns, late-delivery multiplier, unit price (USD).
_CATEGORY_RATES: Final = {
    "heavy_bulky": (0.020, 0.008, 0.05, 1.8, 220.0),
    "electronics": (0.008, 0.010, 0.08, 1.0, 90.0),
    "apparel": (0.003, 0.015, 0.18, 1.0, 35.0),
    "home_garden": (0.008, 0.006, 0.06, 1.1, 45.0),
    "media": (0.002, 0.004, 0.02, 0.9, 15.0),
    "grocery": (0.006, 0.004, 0.01, 1.0, 12.0),
    "toys": (0.005, 0.006, 0.05, 1.0, 25.0),
    "general": (0.005, 0.006, 0.05, 1.0, 30.0),
}
# Per CS provider: contact not answered within 24 h, contact unsatisfactory, bad return handling.
_CS_RATES: Final = {
    "marketplace_cs": (0.01, 0.05, 0.04),
    "csba": (0.03, 0.07, 0.06),
    "seller_cs": (0.09, 0.12, 0.12),
}
_FIRST_PARTY_OFFER_SHARE: Final = 0.2
_MAX_TENURE_DAYS: Final = 9500


class SellerRates(NamedTuple):
    """Per-order (or per-contact, per-feedback) probabilities of one seller, plus its unit price."""

    cancellation: float
    late_shipment: float
    invalid_tracking: float
    late_delivery: float
    damaged: float
    not_as_described: float
    returns: float
    return_dissatisfaction: float
    fq_claim: float
    cs_claim: float
    contact: float
    unanswered: float
    unsatisfactory: float
    feedback: float
    negative_feedback: float
    neutral_feedback: float
    five_star: float
    case_unresolved: float
    domestic: float
    unit_price: float


@dataclass(frozen=True, slots=True)
class SellerProfile:
    """Who a synthetic seller is and how it performs; its counts are drawn from this."""

    seller_id: str
    location: str
    foreign: bool
    category_group: str
    fulfillment_channel: str
    cs_provider: str
    first_party: bool
    tenure_days: int
    first_sale_date: date | None
    # Selling days inside each period, / 365: multiply a yearly order rate to get its mean.
    period_shares: tuple[float, float, float]
    first_sale_period: int | None
    offer_weight: float
    extra_orders_per_year: float  # from offers no longer listed, so not in offers.jsonl
    rates: SellerRates


def draw_seller_profiles(
    rng: random.Random,
    marketplace: str,
    count: int,
    as_of: date,
    *,
    market_index: int,
    retail_orders_per_year: float,
) -> list[SellerProfile]:
    """The first-party retailer (index 0) and count - 1 third-party sellers of one marketplace.

    retail_orders_per_year: the retailer's orders beyond its listed offers (its own catalogue
    turnover), which keeps it among the largest sellers whatever the offers' ranks.
    """
    # Younger stores have less mature logistics: defects rise with the store's rank.
    market_scale = 1.0 + 0.15 * market_index
    foreign = tuple(code for code in _FOREIGN_LOCATIONS if code != marketplace) or ("CN",)
    third_party = [
        _draw_third_party(rng, f"{marketplace}-S{n:07d}", marketplace, foreign, as_of, market_scale)
        for n in range(1, count)
    ]
    retail = _first_party(
        rng, marketplace, as_of, market_scale, third_party, retail_orders_per_year
    )
    return [retail, *third_party]


def _draw_third_party(
    rng: random.Random,
    seller_id: str,
    marketplace: str,
    foreign_locations: tuple[str, ...],
    as_of: date,
    market_scale: float,
) -> SellerProfile:
    is_foreign = rng.random() >= _DOMESTIC_SELLER_SHARE
    category = CATEGORY_GROUPS[bisect_right(_CATEGORY_CUMULATIVE, rng.random())]
    channel = FULFILLMENT_CHANNELS[bisect_right(_CHANNEL_CUMULATIVE, rng.random())]
    cs_provider = CS_PROVIDERS[bisect_right(_CS_CUMULATIVE[channel], rng.random())]
    tenure = _draw_tenure_days(rng)
    selling_days = _draw_selling_days(rng, tenure)
    # Quality is one latent factor per seller: good sellers are good at most things.
    defect_scale = market_scale * math.exp(0.5 * rng.gauss())
    weight = rng.lognormvariate(0.0, 1.5)
    return SellerProfile(
        seller_id=seller_id,
        location=rng.choice(foreign_locations) if is_foreign else marketplace,
        foreign=is_foreign,
        category_group=category,
        fulfillment_channel=channel,
        cs_provider=cs_provider,
        first_party=False,
        tenure_days=tenure,
        first_sale_date=None if selling_days is None else as_of - timedelta(days=selling_days),
        period_shares=_period_shares(selling_days),
        first_sale_period=_first_sale_period(selling_days),
        offer_weight=weight,
        extra_orders_per_year=12.0 * weight**0.8 * rng.lognormvariate(0.0, 0.8),
        rates=_draw_rates(
            rng, channel, category, cs_provider, is_foreign, defect_scale, marketplace
        ),
    )


def _first_party(
    rng: random.Random,
    marketplace: str,
    as_of: date,
    market_scale: float,
    third_party: list[SellerProfile],
    unlisted_orders_per_year: float,
) -> SellerProfile:
    """The marketplace's own retail: a large catalogue, long history, FBA and marketplace CS."""
    others_weight = sum(p.offer_weight for p in third_party)
    tenure = min(_MAX_TENURE_DAYS, 20 * 365)
    share = _FIRST_PARTY_OFFER_SHARE
    return SellerProfile(
        seller_id=f"{marketplace}-1P",
        location=marketplace,
        foreign=False,
        category_group="general",
        fulfillment_channel="fba",
        cs_provider="marketplace_cs",
        first_party=True,
        tenure_days=tenure,
        first_sale_date=as_of - timedelta(days=tenure),
        period_shares=_period_shares(tenure),
        first_sale_period=None,
        offer_weight=others_weight * share / (1.0 - share) if third_party else 1.0,
        extra_orders_per_year=unlisted_orders_per_year,
        rates=_draw_rates(
            rng, "fba", "general", "marketplace_cs", False, 0.6 * market_scale, marketplace
        )._replace(domestic=0.99),
    )


def _draw_tenure_days(rng: random.Random) -> int:
    """Days since the account opened: some brand-new accounts, a long tail of old ones."""
    if rng.random() < 0.08:
        return rng.randrange(0, 120)
    return min(_MAX_TENURE_DAYS, int(rng.lognormvariate(math.log(900.0), 1.0)))


def _draw_selling_days(rng: random.Random, tenure_days: int) -> int | None:
    """Days since the first sale (None: never sold); new accounts often have not sold yet."""
    if rng.random() < (0.35 if tenure_days < 30 else 0.03):
        return None
    return tenure_days - min(tenure_days, int(rng.expovariate(1.0 / 30.0)))


def _period_shares(selling_days: int | None) -> tuple[float, float, float]:
    if selling_days is None:
        return (0.0, 0.0, 0.0)
    # The first-sale day counts as a selling day, so a seller whose first sale is today sells.
    first, second, third = (
        max(0, min(length, selling_days + 1 - start)) / 365.0 for start, length in PERIODS
    )
    return (first, second, third)


def _first_sale_period(selling_days: int | None) -> int | None:
    if selling_days is None:
        return None
    return next((i for i, (s, n) in enumerate(PERIODS) if s <= selling_days < s + n), None)


def _draw_rates(
    rng: random.Random,
    channel: str,
    category: str,
    cs_provider: str,
    foreign: bool,
    defect_scale: float,
    marketplace: str,
) -> SellerRates:
    """One seller's rates: its cohort's base rates scaled by its quality, with a little noise."""
    late_ship, invalid_tracking, late_delivery, cancellation = CHANNEL_RATES[channel]
    damaged, not_as_described, returns, late_factor, price = _CATEGORY_RATES[category]
    unanswered, unsatisfactory, return_dissatisfaction = _CS_RATES[cs_provider]
    cross_border = 1.6 if foreign else 1.0
    rand, gauss, exp = rng.random, rng.gauss, math.exp

    def defect(rate: float) -> float:
        # Idiosyncratic +-25 % around the quality-scaled cohort rate.
        return min(0.9, rate * defect_scale * (0.75 + 0.5 * rand()))

    return SellerRates(
        cancellation=defect(cancellation),
        late_shipment=defect(late_ship * cross_border),
        invalid_tracking=defect(invalid_tracking),
        late_delivery=defect(late_delivery * late_factor * cross_border),
        damaged=defect(damaged),
        not_as_described=defect(not_as_described),
        returns=min(0.6, returns * exp(0.2 * gauss())),
        return_dissatisfaction=defect(return_dissatisfaction),
        fq_claim=defect(0.002),
        cs_claim=defect(0.001),
        contact=min(0.5, 0.04 * math.sqrt(defect_scale)),
        unanswered=defect(unanswered),
        unsatisfactory=defect(unsatisfactory),
        feedback=rng.uniform(0.03, 0.12),
        negative_feedback=defect(0.01),
        neutral_feedback=defect(0.03),
        five_star=min(0.99, max(0.5, 0.92 - 0.1 * math.log(defect_scale))),
        case_unresolved=defect(0.002),
        domestic=rng.uniform(0.88, 0.995),
        unit_price=price * _CURRENCY_PER_USD.get(marketplace, 1.0) * exp(0.4 * gauss()),
    )
