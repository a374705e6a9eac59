"""Ranking feature vectors: schema order, missing mask, transforms, version, determinism."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    offer_counts,
    offer_snapshot,
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
    valid_offer_counts,
    valid_seller_counts,
)
from trust_signals.domain.ranking_features import (
    FeatureDefinition,
    feature_schema,
    feature_vector,
)
from trust_signals.domain.signal_bounds import compile_bound
from trust_signals.domain.snapshots import OfferCounts, SellerCounts


def feature(
    name: str,
    signal: str,
    window: str | None = "90d",
    bound: str = "point",
    transform: str = "identity",
    clip_min: float | None = None,
    clip_max: float | None = None,
    default: float = -1.0,
) -> FeatureDefinition:
    return FeatureDefinition(
        name,
        signal,
        window,
        bound,
        transform,
        clip_min,
        clip_max,
        default,
        compile_bound(signal, window, bound),
    )


SELLER = seller_snapshot(
    counts=seller_counts(orders=99, late_deliveries=9, shipments=80),
    first_sale_date=date(2024, 6, 30),
)
OFFER = offer_snapshot(counts=offer_counts(orders=40, on_time_deliveries=30, late_deliveries=10))


def test_vector_and_mask_follow_schema_order() -> None:
    schema = feature_schema(
        [
            feature("offer_orders", "offer.orders"),
            feature("tenure", "seller.tenure_days", None),
            feature("on_time", "offer.on_time_delivery_rate"),
            feature("seller_orders", "seller.orders"),
        ]
    )

    vector = feature_vector(schema, subject(SELLER, OFFER), signal_params())

    assert (schema.names, vector) == (
        ["offer_orders", "tenure", "on_time", "seller_orders"],
        ([40.0, 400.0, 0.75, 99.0], [False, False, False, False]),
    )


def test_missing_signals_take_their_defaults_and_are_masked() -> None:
    schema = feature_schema(
        [
            feature("seller_orders", "seller.orders"),
            feature("on_time", "offer.on_time_delivery_rate", default=0.5),
            feature("contact_response", "seller.contact_response_rate", default=-2.0),
            feature("handling", "offer.handling_days", None, transform="log1p", default=-3.0),
        ]
    )

    vector = feature_vector(schema, subject(SELLER, offer=None), signal_params())

    assert vector == ([99.0, 0.5, -2.0, -3.0], [False, True, True, True])


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (feature("orders", "seller.orders", transform="log1p"), math.log(100.0)),
        (feature("late", "seller.late_delivery_rate", transform="log1p"), math.log1p(9 / 99)),
        (
            feature("first_sale", "seller.days_since_first_sale", None, transform="log1p"),
            math.log1p(365),
        ),
        (
            feature("tenure", "seller.tenure_days", None, transform="clip", clip_max=365.0),
            365.0,
        ),
        (
            feature("tenure", "seller.tenure_days", None, transform="clip", clip_min=500.0),
            500.0,
        ),
        (
            feature(
                "tenure",
                "seller.tenure_days",
                None,
                transform="clip",
                clip_min=0.0,
                clip_max=1000.0,
            ),
            400.0,
        ),
        (feature("tenure", "seller.tenure_days", None, transform="clip"), 400.0),
        (feature("shipments", "seller.shipments"), 80.0),
    ],
    ids=[
        "log1p-of-99-is-ln-100",
        "log1p-of-rate",
        "log1p-of-days",
        "clip-at-max",
        "clip-at-min",
        "clip-within-range",
        "clip-without-bounds",
        "identity",
    ],
)
def test_transform_by_hand(definition: FeatureDefinition, expected: float) -> None:
    schema = feature_schema([definition])

    assert feature_vector(schema, subject(SELLER, OFFER), signal_params()) == (
        [pytest.approx(expected)],
        [False],
    )


def test_log1p_of_a_negative_value_is_clamped_to_zero() -> None:
    # A first sale after as_of gives a negative day count; log1p is undefined below -1.
    seller = seller_snapshot(first_sale_date=date(2025, 7, 10))
    schema = feature_schema(
        [feature("first_sale", "seller.days_since_first_sale", None, transform="log1p")]
    )

    assert feature_vector(schema, subject(seller), signal_params()) == ([0.0], [False])


@pytest.mark.parametrize(
    ("bound", "expected"),
    [("point", 0.75), ("lower", 0.5981), ("upper", 0.8581)],
    ids=["point", "lower", "upper"],
)
def test_feature_reads_the_configured_bound(bound: str, expected: float) -> None:
    # Wilson 95 % interval of 30 of 40 on time: (0.5981, 0.8581).
    schema = feature_schema([feature("on_time", "offer.on_time_delivery_rate", bound=bound)])

    assert feature_vector(schema, subject(SELLER, OFFER), signal_params()) == (
        [pytest.approx(expected, abs=5e-5)],
        [False],
    )


BASE = feature("orders", "seller.orders", "90d", "point", "clip", 0.0, 1000.0, 0.0)
CHANGES: list[tuple[str, Any]] = [
    ("name", "order_count"),
    ("signal", "seller.shipments"),
    ("window", "30d"),
    ("bound", "lower"),
    ("transform", "log1p"),
    ("clip_min", 1.0),
    ("clip_min", None),
    ("clip_max", 999.0),
    ("clip_max", None),
    ("default", -1.0),
]


@pytest.mark.parametrize(
    ("field", "value"), CHANGES, ids=[f"{field}={value}" for field, value in CHANGES]
)
def test_schema_version_changes_when_any_field_of_any_feature_changes(
    field: str, value: Any
) -> None:
    other = feature("tenure", "seller.tenure_days", None)
    changed = replace(BASE, **{field: value})

    assert feature_schema([other, changed]).version != feature_schema([other, BASE]).version


def test_schema_version_changes_when_features_are_reordered() -> None:
    first, second = BASE, feature("tenure", "seller.tenure_days", None)

    assert feature_schema([first, second]).version != feature_schema([second, first]).version


def test_schema_version_is_equal_for_equal_definitions() -> None:
    def build() -> list[FeatureDefinition]:
        return [
            feature("orders", "seller.orders", "90d", "point", "clip", 0.0, 1000.0, 0.0),
            feature("tenure", "seller.tenure_days", None),
        ]

    assert feature_schema(build()).version == feature_schema(build()).version


def test_schema_version_is_equal_for_whole_numbers_given_as_int_or_float() -> None:
    # A TOML `default = 0` and `default = 0.0` are the same definition.
    as_int = feature("orders", "seller.orders", "90d", "point", "clip", 0, 1000, 0)
    as_float = feature("orders", "seller.orders", "90d", "point", "clip", 0.0, 1000.0, 0.0)

    assert feature_schema([as_int]).version == feature_schema([as_float]).version


def test_schema_version_names_its_hash() -> None:
    version = feature_schema([BASE]).version

    assert (version[:3], len(version), set(version[3:]) <= set("0123456789abcdef")) == (
        "fs-",
        19,
        True,
    )


def every_feature() -> list[FeatureDefinition]:
    return [
        feature("orders", "seller.orders", transform="log1p"),
        feature("late", "seller.late_shipment_rate", bound="upper"),
        feature("fq", "seller.fq_index", "30d", transform="clip", clip_min=50.0, clip_max=100.0),
        feature("rating", "seller.average_rating", "365d", bound="lower"),
        feature("tenure", "seller.tenure_days", None, transform="log1p"),
        feature("on_time", "offer.on_time_delivery_rate", bound="lower"),
        feature("offer_fq", "offer.fq_index"),
        feature("handling", "offer.handling_days", None),
    ]


@settings(max_examples=30, deadline=None)
@given(valid_seller_counts(), valid_offer_counts(), st.booleans())
def test_same_snapshot_and_schema_give_the_same_vector(
    seller_window: SellerCounts, offer_window: OfferCounts, with_offer: bool
) -> None:
    seller = seller_snapshot(counts=seller_window)
    offer = offer_snapshot(counts=offer_window) if with_offer else None
    params = signal_params({"fq": {"late_delivery": 1.0, "damaged": 2.0}}, 20.0)
    prior = {"30d": {"late_delivery": 0.02}, "90d": {"damaged": 0.01}}

    serving = feature_vector(feature_schema(every_feature()), subject(seller, offer, prior), params)
    training = feature_vector(
        feature_schema(every_feature()), subject(seller, offer, prior), params
    )

    assert serving == training
    assert len(serving[0]) == len(serving[1]) == len(every_feature())
