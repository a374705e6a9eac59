"""The public programs in examples/: just inside every criterion earns, just outside does not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.domain_builders import AS_OF, offer_snapshot, seller_counts, seller_snapshot, subject
from trust_signals.config import TrustConfig, load_config
from trust_signals.domain.badges import evaluate_badges, explain_badges
from trust_signals.domain.signals import Subject
from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def earned(config: TrustConfig, who: Subject, surface: str) -> list[str]:
    market = config.for_marketplace("US")
    badges = evaluate_badges(
        market.rules, who, market.params, surface=surface, marketplace="US", on=AS_OF, max_badges=5
    )
    return [b.id for b in badges]


def failed(config: TrustConfig, who: Subject) -> set[str | None]:
    """Ids of the conditions the subject fails, over every rule of the file."""
    market = config.for_marketplace("US")
    explained = explain_badges(market.rules, who, market.params, marketplace="US", on=AS_OF)
    return {c.condition_id for e in explained for c in e.conditions if not c.passed}


# --- eBay Top Rated Seller and Top Rated Plus ------------------------------------------

# 12 months: at every boundary the counts allow at once (rates at 0.5 %, caps at 3, 2, 5,
# tracking at 95 %, 100 US transactions, $1,000 US sales).
EBAY_365D: dict[str, Any] = {
    "transactions": 1000,
    "transaction_defects": 5,
    "transaction_defect_buyers": 3,
    "cases_closed_without_resolution": 2,
    "domestic_transactions": 100,
    "domestic_sales_amount": 1000.0,
    "shipments": 1000,
    "late_shipments": 5,
    "shipments_with_valid_tracking": 950,
    "on_time_tracked_shipments": 950,
}
# 3 months: below the 400 transactions that would make them count, and failing every rate,
# so a seller earns only if the 12-month window is the one judged.
EBAY_90D_LOW_VOLUME: dict[str, Any] = {
    "transactions": 399,
    "transaction_defects": 40,
    "transaction_defect_buyers": 40,
    "cases_closed_without_resolution": 40,
    "domestic_transactions": 399,
    "late_shipments": 100,
    "shipments_with_valid_tracking": 800,
}


def ebay_seller(tenure_days: int = 90, **year: Any) -> SellerSnapshot:
    return seller_snapshot(
        tenure_days=tenure_days,
        windows={
            "90d": seller_counts(**EBAY_90D_LOW_VOLUME),
            "365d": seller_counts(**{**EBAY_365D, **year}),
        },
    )


# (criterion, just inside, just outside): 12-month overrides, or tenure_days.
EBAY_CRITERIA: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("account_age", {"tenure_days": 90}, {"tenure_days": 89}),
    ("us_transactions", {"domestic_transactions": 100}, {"domestic_transactions": 99}),
    ("us_sales", {"domestic_sales_amount": 1000.0}, {"domestic_sales_amount": 999.99}),
    ("defect_rate", {"transaction_defects": 5}, {"transaction_defects": 6}),
    ("defect_buyers", {"transaction_defect_buyers": 3}, {"transaction_defect_buyers": 4}),
    (
        "unresolved_case_rate",  # 2 of 667 is 0.2999 %, 2 of 666 is 0.3003 %
        {"transactions": 667, "transaction_defects": 3},
        {"transactions": 666, "transaction_defects": 3},
    ),
    (
        "unresolved_cases",  # 3 of 1,000 is still within 0.3 %: only the cap breaks
        {"cases_closed_without_resolution": 2},
        {"cases_closed_without_resolution": 3},
    ),
    (
        "late_shipment_rate",  # 5 of 167 is 2.994 %, 5 of 166 is 3.012 %
        {"shipments": 167, "shipments_with_valid_tracking": 167, "on_time_tracked_shipments": 167},
        {"shipments": 166, "shipments_with_valid_tracking": 166, "on_time_tracked_shipments": 166},
    ),
    ("late_shipments", {"late_shipments": 5}, {"late_shipments": 6}),
    (
        "valid_tracking_rate",
        {"shipments_with_valid_tracking": 950},
        {"shipments_with_valid_tracking": 949},
    ),
]
EBAY_PROGRAMS = [
    pytest.param("ebay_top_rated_seller.toml", "top_rated_seller", "spp", id="trs"),
    pytest.param("ebay_top_rated_plus.toml", "top_rated_plus", "pdp", id="trs-plus"),
]


def ebay_subject(file: str, seller: SellerSnapshot, offer: OfferSnapshot | None = None) -> Subject:
    """Top Rated Plus judges a listing: a qualifying one unless the test gives another."""
    if file == "ebay_top_rated_plus.toml" and offer is None:
        offer = offer_snapshot(handling_days=1, return_window_days=30, free_returns=True)
    return subject(seller, offer)


def _ebay_seller(overrides: dict[str, Any]) -> SellerSnapshot:
    return ebay_seller(**overrides)


@pytest.mark.parametrize(("file", "badge", "surface"), EBAY_PROGRAMS)
def test_ebay_seller_at_every_boundary_earns(file: str, badge: str, surface: str) -> None:
    config = load_config(EXAMPLES / file)
    assert earned(config, ebay_subject(file, ebay_seller()), surface) == [badge]


@pytest.mark.parametrize(("file", "badge", "surface"), EBAY_PROGRAMS)
@pytest.mark.parametrize(
    ("criterion", "inside", "outside"), EBAY_CRITERIA, ids=[c[0] for c in EBAY_CRITERIA]
)
def test_ebay_seller_just_outside_one_criterion_does_not_earn(
    file: str,
    badge: str,
    surface: str,
    criterion: str,
    inside: dict[str, Any],
    outside: dict[str, Any],
) -> None:
    config = load_config(EXAMPLES / file)
    subjects = [ebay_subject(file, _ebay_seller(overrides)) for overrides in (inside, outside)]
    assert [earned(config, who, surface) for who in subjects] == [[badge], []]
    assert failed(config, subjects[1]) == {criterion}


@pytest.mark.parametrize(("file", "badge", "surface"), EBAY_PROGRAMS)
@pytest.mark.parametrize(
    ("transactions_90d", "expected"),
    [(400, True), (399, False)],
    ids=["400-in-3-months-judged-on-3-months", "399-judged-on-12-months"],
)
def test_ebay_rates_are_judged_on_3_months_only_from_400_transactions(
    file: str, badge: str, surface: str, transactions_90d: int, expected: bool
) -> None:
    # Clean over 3 months, failing every rate over 12 months.
    quarter = {
        **EBAY_365D,
        "transactions": transactions_90d,
        "transaction_defects": 1,
        "transaction_defect_buyers": 1,
        "cases_closed_without_resolution": 1,
    }
    year = {**EBAY_90D_LOW_VOLUME, "transactions": 2000, "domestic_transactions": 1000}
    seller = seller_snapshot(
        tenure_days=90,
        windows={
            "90d": seller_counts(**quarter),
            "365d": seller_counts(**{**year, "domestic_sales_amount": 5000.0}),
        },
    )
    config = load_config(EXAMPLES / file)
    assert (earned(config, ebay_subject(file, seller), surface) == [badge]) is expected


PLUS_LISTING = [
    ("handling_days", {"handling_days": 1}, {"handling_days": 2}),
    ("return_window", {"return_window_days": 30}, {"return_window_days": 29}),
    ("free_returns", {"free_returns": True}, {"free_returns": False}),
]


@pytest.mark.parametrize(
    ("criterion", "inside", "outside"), PLUS_LISTING, ids=[c[0] for c in PLUS_LISTING]
)
def test_top_rated_plus_needs_the_listing_criteria(
    criterion: str, inside: dict[str, Any], outside: dict[str, Any]
) -> None:
    config = load_config(EXAMPLES / "ebay_top_rated_plus.toml")
    listing = {"handling_days": 0, "return_window_days": 60, "free_returns": True}
    subjects = [
        subject(ebay_seller(), offer_snapshot(**{**listing, **o})) for o in (inside, outside)
    ]
    assert [earned(config, who, "pdp") for who in subjects] == [["top_rated_plus"], []]
    assert failed(config, subjects[1]) == {criterion}


def test_top_rated_seller_alone_does_not_make_a_listing_top_rated_plus() -> None:
    config = load_config(EXAMPLES / "ebay_top_rated_plus.toml")
    slow = offer_snapshot(handling_days=3, return_window_days=14, free_returns=False)
    assert earned(config, subject(ebay_seller(), slow), "pdp") == []


# --- Etsy Star Seller ------------------------------------------------------------------

# 3 months, every count clean and within its opportunities; at the boundary of messages
# (95 of 100), dispatch (19 of 20), rating (exactly 4.8 over 50) and sales ($300).
ETSY_90D: dict[str, Any] = {
    **dict.fromkeys(
        (
            "late_deliveries",
            "cancellations",
            "damaged",
            "not_as_described",
            "fq_claims",
            "returns",
            "return_dissatisfaction",
            "cs_claims",
            "defective_orders",
            "late_shipments",
            "domestic_sales_amount",
        ),
        0,
    ),
    "orders": 20,
    "shipments": 20,
    "shipments_with_valid_tracking": 20,
    "on_time_tracked_shipments": 19,
    "first_messages": 100,
    "first_messages_answered_24h": 95,
    "ratings": (0, 0, 0, 10, 40),
    "sales_amount": 300.0,
}
FIRST_SALE_90_DAYS_AGO = AS_OF - timedelta(days=90)


def etsy_seller(first_sale_days: int = 90, **quarter: Any) -> SellerSnapshot:
    return seller_snapshot(
        first_sale_date=AS_OF - timedelta(days=first_sale_days),
        windows={"90d": seller_counts(**{**ETSY_90D, **quarter})},
    )


ETSY_CRITERIA: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "message_response",
        {"first_messages_answered_24h": 95},
        {"first_messages_answered_24h": 94},
    ),
    ("on_time_tracked", {"on_time_tracked_shipments": 19}, {"on_time_tracked_shipments": 18}),
    ("average_rating", {"ratings": (0, 0, 0, 10, 40)}, {"ratings": (0, 0, 0, 11, 39)}),
    (
        "orders",  # 5 orders, all dispatched on time with tracking
        {"orders": 5, "shipments": 5, "shipments_with_valid_tracking": 5,
         "on_time_tracked_shipments": 5},
        {"orders": 4, "shipments": 4, "shipments_with_valid_tracking": 4,
         "on_time_tracked_shipments": 4},
    ),
    ("sales", {"sales_amount": 300.0}, {"sales_amount": 299.99}),
    ("first_sale_age", {"first_sale_days": 90}, {"first_sale_days": 89}),
]  # fmt: skip


def test_etsy_seller_at_every_boundary_earns_star_seller() -> None:
    config = load_config(EXAMPLES / "etsy_star_seller.toml")
    assert earned(config, subject(etsy_seller()), "spp") == ["star_seller"]


@pytest.mark.parametrize(
    ("criterion", "inside", "outside"), ETSY_CRITERIA, ids=[c[0] for c in ETSY_CRITERIA]
)
def test_etsy_seller_just_outside_one_criterion_is_not_a_star_seller(
    criterion: str, inside: dict[str, Any], outside: dict[str, Any]
) -> None:
    config = load_config(EXAMPLES / "etsy_star_seller.toml")
    subjects = [subject(etsy_seller(**o)) for o in (inside, outside)]
    assert [earned(config, who, "spp") for who in subjects] == [["star_seller"], []]
    # A shop with messages also fails the any-branch for shops without them.
    assert failed(config, subjects[1]) - {"no_first_messages"} == {criterion}


def test_etsy_shop_without_first_messages_meets_the_message_criterion() -> None:
    config = load_config(EXAMPLES / "etsy_star_seller.toml")
    quiet = etsy_seller(first_messages=0, first_messages_answered_24h=0)
    assert earned(config, subject(quiet), "spp") == ["star_seller"]


def test_etsy_shop_that_never_sold_is_not_a_star_seller() -> None:
    config = load_config(EXAMPLES / "etsy_star_seller.toml")
    never_sold = seller_snapshot(first_sale_date=None, windows={"90d": seller_counts(**ETSY_90D)})
    assert earned(config, subject(never_sold), "spp") == []


def test_etsy_star_shows_on_the_shops_listings() -> None:
    config = load_config(EXAMPLES / "etsy_star_seller.toml")
    assert earned(config, subject(etsy_seller(), offer_snapshot()), "search") == ["star_seller"]
