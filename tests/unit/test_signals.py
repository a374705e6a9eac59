"""The signal catalogue: compiling references, and each signal computed by hand from counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    AS_OF,
    Z,
    offer_counts,
    offer_snapshot,
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
    valid_offer_counts,
    valid_seller_counts,
)
from trust_signals.domain.confidence import wilson_interval
from trust_signals.domain.rates import NO_DATA, Measure, exact
from trust_signals.domain.signals import (
    GOOD_RATES,
    OFFER_RATES,
    SELLER_RATES,
    average_rating,
    compile_signal,
    is_windowed,
    seller_fq_rates,
    signal_catalogue,
)
from trust_signals.domain.snapshots import WINDOWS, OfferCounts, SellerCounts

CATALOGUE = signal_catalogue()
WINDOWED = sorted(ref for ref, windowed in CATALOGUE.items() if windowed)
ATTRIBUTES = sorted(ref for ref, windowed in CATALOGUE.items() if not windowed)
ALL_WEIGHTS = {
    "fq": {
        "late_shipment": 0.5,
        "late_delivery": 1.0,
        "cancellation": 0.7,
        "missing_tracking": 0.3,
        "damaged": 2.0,
        "not_as_described": 1.5,
        "fq_claim": 2.5,
        "fq_negative_feedback": 0.8,
    },
    "csq": {
        "unanswered_contact": 0.8,
        "unsatisfactory_contact": 0.6,
        "return_dissatisfaction": 1.2,
        "cs_claim": 2.0,
        "cs_negative_feedback": 0.9,
    },
}


# Every opportunity of every rate is non-zero, so every signal has a value.
BUSY_SELLER = seller_snapshot(
    counts=seller_counts(
        contacts=20,
        contacts_answered_24h=19,
        contacts_unsatisfactory=1,
        returns=5,
        return_dissatisfaction=1,
        first_messages=10,
        first_messages_answered_24h=9,
        feedback_count=30,
        positive_feedback=28,
        ratings=(1, 0, 2, 5, 22),
    )
)


def rate_measure(events: int, opportunities: int) -> Measure:
    return Measure(
        events / opportunities, *wilson_interval(events, opportunities, Z), opportunities, events
    )


DERIVED_REFERENCES = (
    "seller.average_rating",
    "seller.fq_index",
    "seller.csq_index",
    "offer.fq_index",
)


def test_catalogue_lists_the_derived_signals_at_the_right_levels() -> None:
    derived = {ref: CATALOGUE.get(ref) for ref in DERIVED_REFERENCES}

    assert derived == dict.fromkeys(DERIVED_REFERENCES, True)


@pytest.mark.parametrize(
    ("reference", "window"),
    [(ref, window) for ref in WINDOWED for window in WINDOWS],
    ids=[f"{ref}@{window}" for ref in WINDOWED for window in WINDOWS],
)
def test_every_windowed_catalogue_entry_compiles_and_computes(reference: str, window: str) -> None:
    compute = compile_signal(reference, window)

    measure = compute(subject(BUSY_SELLER, offer_snapshot()), signal_params(ALL_WEIGHTS, 10.0))

    assert type(measure) is Measure and measure.value is not None


@pytest.mark.parametrize("reference", ATTRIBUTES, ids=ATTRIBUTES)
def test_every_attribute_catalogue_entry_compiles_without_window(reference: str) -> None:
    compute = compile_signal(reference, None)

    measure = compute(subject(offer=offer_snapshot()), signal_params(ALL_WEIGHTS))

    assert type(measure) is Measure and measure.value is not None


@pytest.mark.parametrize("reference", sorted(CATALOGUE), ids=sorted(CATALOGUE))
def test_is_windowed_agrees_with_the_catalogue(reference: str) -> None:
    assert is_windowed(reference) is CATALOGUE[reference]


def test_good_rates_are_rates_of_the_catalogue() -> None:
    assert GOOD_RATES - set(SELLER_RATES) - set(OFFER_RATES) == set()


@pytest.mark.parametrize(
    ("reference", "window", "message"),
    [
        (
            "late_shipment_rate",
            "90d",
            "unknown signal 'late_shipment_rate': must be seller.<name> or offer.<name>",
        ),
        (
            "buyer.late_shipment_rate",
            "90d",
            "unknown signal 'buyer.late_shipment_rate': must be seller.<name> or offer.<name>",
        ),
        ("seller.", "90d", "unknown signal 'seller.': must be seller.<name> or offer.<name>"),
        ("seller.late_shipmnt_rate", "90d", "unknown signal 'seller.late_shipmnt_rate'"),
        ("seller.late_shipmnt_rate", None, "unknown signal 'seller.late_shipmnt_rate'"),
        ("offer.csq_index", "90d", "unknown signal 'offer.csq_index'"),
        ("offer.average_rating", "90d", "unknown signal 'offer.average_rating'"),
        ("offer.tenure_days", None, "unknown signal 'offer.tenure_days'"),
        (
            "seller.late_shipment_rate",
            None,
            "signal 'seller.late_shipment_rate' needs a window (30d, 90d, 365d)",
        ),
        ("seller.tenure_days", "90d", "signal 'seller.tenure_days' has no window"),
        ("seller.late_shipment_rate", "7d", "unknown window '7d': must be one of 30d, 90d, 365d"),
    ],
    ids=[
        "no-level",
        "unknown-level",
        "no-name",
        "unknown-name",
        "unknown-name-without-window",
        "csq-index-is-seller-only",
        "average-rating-is-seller-only",
        "seller-attribute-on-offer",
        "missing-window",
        "window-on-attribute",
        "bad-window",
    ],
)
def test_compile_signal_rejects_bad_references_naming_the_problem(
    reference: str, window: str | None, message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        compile_signal(reference, window)

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("reference", "counts", "expected"),
    [
        (
            "seller.late_shipment_rate",
            seller_counts(
                orders=200,
                shipments=150,
                late_shipments=6,
                shipments_with_valid_tracking=150,
                on_time_tracked_shipments=150,
            ),
            rate_measure(6, 150),
        ),
        (
            "seller.on_time_delivery_rate",
            seller_counts(
                orders=200,
                shipments=200,
                shipments_with_valid_tracking=200,
                on_time_tracked_shipments=200,
                late_deliveries=10,
            ),
            rate_measure(190, 200),
        ),
        (
            "seller.late_delivery_rate",
            seller_counts(late_deliveries=10),
            rate_measure(10, 100),
        ),
        (
            "seller.valid_tracking_rate",
            seller_counts(shipments_with_valid_tracking=97),
            rate_measure(97, 100),
        ),
        (
            "seller.return_dissatisfaction_rate",
            seller_counts(returns=8, return_dissatisfaction=2),
            rate_measure(2, 8),
        ),
        (
            "seller.first_message_response_rate",
            seller_counts(first_messages=40, first_messages_answered_24h=39),
            rate_measure(39, 40),
        ),
        (
            "seller.positive_feedback_rate",
            seller_counts(feedback_count=0),
            NO_DATA,
        ),
        (
            "seller.rating_count",
            seller_counts(ratings=(1, 2, 3, 4, 5)),
            exact(15, 15),
        ),
        (
            "seller.orders",
            seller_counts(orders=120, shipments=100),
            exact(120, 120),
        ),
    ],
    ids=[
        "late-shipments-over-shipments",
        "on-time-delivery-is-orders-not-late-over-orders",
        "late-deliveries-over-orders",
        "valid-tracking-over-shipments",
        "return-dissatisfaction-over-returns",
        "first-messages-answered",
        "no-feedback-is-no-data",
        "rating-count-sums-histogram",
        "count-is-exact",
    ],
)
def test_seller_signal_from_counts_by_hand(
    reference: str, counts: SellerCounts, expected: Measure
) -> None:
    seller = seller_snapshot(window_counts={"90d": counts})

    assert compile_signal(reference, "90d")(subject(seller), signal_params()) == expected


@pytest.mark.parametrize(
    ("reference", "counts", "expected"),
    [
        (
            "offer.on_time_delivery_rate",
            offer_counts(orders=50, on_time_deliveries=36, late_deliveries=4),
            rate_measure(36, 40),
        ),
        (
            "offer.on_time_delivery_rate",
            offer_counts(orders=5, on_time_deliveries=0, late_deliveries=0),
            NO_DATA,
        ),
        (
            "offer.late_delivery_rate",
            offer_counts(orders=50, on_time_deliveries=36, late_deliveries=4),
            rate_measure(4, 50),
        ),
        ("offer.orders", offer_counts(orders=50), exact(50, 50)),
    ],
    ids=[
        "on-time-over-delivered",
        "nothing-delivered-is-no-data",
        "late-over-orders",
        "count-is-exact",
    ],
)
def test_offer_signal_from_counts_by_hand(
    reference: str, counts: OfferCounts, expected: Measure
) -> None:
    offer = offer_snapshot(window_counts={"30d": counts})

    assert compile_signal(reference, "30d")(subject(offer=offer), signal_params()) == expected


OFFER_SIGNALS = (
    ("offer.on_time_delivery_rate", "30d"),
    ("offer.orders", "30d"),
    ("offer.fq_index", "30d"),
    ("offer.handling_days", None),
    ("offer.free_returns", None),
)


@pytest.mark.parametrize(
    ("reference", "window"), OFFER_SIGNALS, ids=[ref for ref, _ in OFFER_SIGNALS]
)
def test_offer_signal_on_a_seller_only_subject_is_no_data(
    reference: str, window: str | None
) -> None:
    compute = compile_signal(reference, window)

    assert compute(subject(offer=None), signal_params(ALL_WEIGHTS, 10.0)) == NO_DATA


def test_seller_fq_index_by_hand_with_weights_and_prior() -> None:
    seller = seller_snapshot(
        window_counts={"90d": seller_counts(late_shipments=2, late_deliveries=3, damaged=1)}
    )
    priors = {
        "90d": {"late_shipment": 0.01, "late_delivery": 0.02, "damaged": 0.005},
        "30d": {"late_shipment": 0.5},
    }
    params = signal_params(
        {"fq": {"late_shipment": 0.5, "late_delivery": 1.0, "damaged": 2.0}}, 50.0
    )

    measure = compile_signal("seller.fq_index", "90d")(subject(seller, prior_rates=priors), params)

    # Shrunk: late shipment (2 + 0.5)/150, late delivery (3 + 1)/150, damaged (1 + 0.25)/150.
    # D = (0.5·2.5 + 1.0·4 + 2.0·1.25) / 150 = 7.75 / 150; I = 100 · (1 − D).
    assert measure == exact(pytest.approx(100 * (1 - 7.75 / 150)), 100)  # type: ignore[arg-type]


def test_seller_csq_index_by_hand_counts_every_type_per_order() -> None:
    counts = seller_counts(
        contacts=20,
        contacts_answered_24h=18,
        contacts_unsatisfactory=1,
        returns=10,
        return_dissatisfaction=2,
        cs_claims=1,
    )
    params = signal_params(
        {
            "csq": {
                "unanswered_contact": 0.8,
                "unsatisfactory_contact": 0.6,
                "return_dissatisfaction": 1.2,
                "cs_claim": 2.0,
            }
        }
    )

    measure = compile_signal("seller.csq_index", "30d")(
        subject(seller_snapshot(window_counts={"30d": counts})), params
    )

    # D = (0.8·2 + 0.6·1 + 1.2·2 + 2.0·1) / 100 orders = 0.066.
    assert measure == exact(pytest.approx(93.4), 100)  # type: ignore[arg-type]


def test_seller_index_without_orders_is_no_data() -> None:
    empty = seller_counts(
        orders=0,
        shipments=0,
        shipments_with_valid_tracking=0,
        on_time_tracked_shipments=0,
        transactions=0,
        domestic_transactions=0,
    )
    seller = seller_snapshot(counts=empty)

    measure = compile_signal("seller.fq_index", "90d")(
        subject(seller), signal_params(ALL_WEIGHTS, 10.0)
    )

    assert measure == NO_DATA


def test_offer_fq_index_is_shrunk_toward_the_sellers_shrunk_rates() -> None:
    seller = seller_snapshot(
        window_counts={"30d": seller_counts(late_deliveries=10, late_shipments=5)}
    )
    offer = offer_snapshot(
        window_counts={"30d": offer_counts(orders=50, on_time_deliveries=40, late_deliveries=1)}
    )
    priors = {"30d": {"late_delivery": 0.02, "damaged": 0.01}}
    params = signal_params(
        {"fq": {"late_delivery": 1.0, "damaged": 2.0, "late_shipment": 0.5}}, 100.0
    )

    measure = compile_signal("offer.fq_index", "30d")(subject(seller, offer, priors), params)

    # Seller shrunk: late delivery (10 + 2)/200 = 0.06, damaged (0 + 1)/200 = 0.005.
    # Offer shrunk toward those: late (1 + 6)/150, damaged (0 + 0.5)/150; late shipment is
    # not an offer defect, so its weight drops out. D = (7 + 2·0.5)/150 = 8/150.
    assert measure == exact(pytest.approx(100 * (1 - 8 / 150)), 50)  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(valid_seller_counts(), valid_offer_counts(), st.sampled_from(WINDOWS))
def test_offer_fq_index_on_the_sellers_precomputed_rates_is_the_same(
    seller_window: SellerCounts, offer_window: OfferCounts, window: str
) -> None:
    """The service computes a seller's FQ rates once for all its offers (`seller_fq_rates`);
    the offers' index must not change for it."""
    seller, offer = seller_snapshot(counts=seller_window), offer_snapshot(counts=offer_window)
    params = signal_params(ALL_WEIGHTS, 30.0)
    priors = {w: {"late_delivery": 0.03, "damaged": 0.01, "late_shipment": 0.2} for w in WINDOWS}
    alone = subject(seller, offer, priors)
    shared = replace(
        alone, offer_prior_rates=seller_fq_rates(subject(seller, None, priors), params)
    )
    index = compile_signal("offer.fq_index", window)

    assert index(shared, params) == index(alone, params)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        # Mean 4.5, variance 0.25, margin 1.96·√(0.25/2) = 0.69296; upper clipped to 5.
        ((0, 0, 0, 1, 1), Measure(4.5, pytest.approx(3.80704, abs=1e-5), 5.0, 2, 9)),
        # Mean 3, variance 4, margin 1.96·√2 = 2.77186: both bounds clipped to [1, 5].
        ((1, 0, 0, 0, 1), Measure(3.0, 1.0, 5.0, 2, 6)),
        # Mean 4.25, variance 0.1875, margin 1.96·√(0.1875/4) = 0.42435.
        (
            (0, 0, 0, 3, 1),
            Measure(
                4.25, pytest.approx(3.82565, abs=1e-5), pytest.approx(4.67435, abs=1e-5), 4, 17
            ),
        ),
        ((0, 0, 0, 0, 7), Measure(5.0, 5.0, 5.0, 7, 35)),
        ((0, 0, 0, 0, 0), NO_DATA),
    ],
    ids=["upper-clipped", "both-clipped", "inside", "all-five-stars", "no-ratings"],
)
def test_average_rating_from_the_histogram_by_hand(
    ratings: tuple[int, int, int, int, int], expected: Measure
) -> None:
    seller = seller_snapshot(window_counts={"365d": seller_counts(ratings=ratings)})

    assert (
        compile_signal("seller.average_rating", "365d")(subject(seller), signal_params())
        == expected
    )


@given(st.tuples(*[st.integers(0, 10_000)] * 5), st.floats(0.0, 4.0))
def test_average_rating_bounds_stay_within_one_to_five_around_the_mean(
    ratings: tuple[int, int, int, int, int], z: float
) -> None:
    measure = average_rating(ratings, z)

    if sum(ratings) == 0:
        assert measure == NO_DATA
    else:
        assert measure.value is not None and measure.lower is not None and measure.upper is not None
        assert measure.sample == sum(ratings)
        assert 1.0 <= measure.lower <= measure.value <= measure.upper <= 5.0


@pytest.mark.parametrize(
    ("first_sale_date", "expected"),
    [(date(2025, 1, 1), exact(180, 1)), (AS_OF, exact(0, 1)), (None, NO_DATA)],
    ids=["half-a-year", "today", "never-sold"],
)
def test_days_since_first_sale(first_sale_date: date | None, expected: Measure) -> None:
    seller = seller_snapshot(first_sale_date=first_sale_date)

    assert (
        compile_signal("seller.days_since_first_sale", None)(subject(seller), signal_params())
        == expected
    )


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("seller.tenure_days", exact(400, 1)),
        ("seller.first_party", exact(0.0, 1)),
        ("offer.handling_days", exact(1, 1)),
        ("offer.return_window_days", exact(30, 1)),
        ("offer.free_returns", exact(1.0, 1)),
    ],
    ids=["tenure", "first-party", "handling", "return-window", "free-returns"],
)
def test_attributes_are_exact_with_sample_one(reference: str, expected: Measure) -> None:
    compute = compile_signal(reference, None)

    assert compute(subject(offer=offer_snapshot()), signal_params()) == expected


@settings(max_examples=30, deadline=None)
@given(valid_seller_counts(), valid_offer_counts(), st.floats(0.0, 200.0))
def test_every_signal_on_valid_counts_lies_within_its_bounds(
    seller_window: SellerCounts, offer_window: OfferCounts, pseudo_orders: float
) -> None:
    seller = seller_snapshot(counts=seller_window)
    offer = offer_snapshot(counts=offer_window)
    prior = {w: {k: 0.01 for k in ALL_WEIGHTS["fq"] | ALL_WEIGHTS["csq"]} for w in WINDOWS}
    on = subject(seller, offer, prior)
    params = signal_params(ALL_WEIGHTS, pseudo_orders)

    for reference in WINDOWED:
        measure = compile_signal(reference, "90d")(on, params)
        if measure.value is None:
            assert measure == NO_DATA, reference
            continue
        assert measure.lower is not None and measure.upper is not None
        assert measure.lower <= measure.value <= measure.upper, reference
        name = reference.partition(".")[2]
        if name in SELLER_RATES or name in OFFER_RATES:
            assert 0.0 <= measure.lower <= measure.upper <= 1.0, reference
        if name.endswith("_index"):
            assert 0.0 <= measure.value <= 100.0, reference
