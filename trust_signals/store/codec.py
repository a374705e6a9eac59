"""Snapshot record <-> canonical JSON bytes (the snapshot file's own record form)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import orjson

from trust_signals.domain.snapshots import OfferCounts, OfferSnapshot, SellerCounts, SellerSnapshot


def seller_from_dict(record: dict) -> SellerSnapshot:  # type: ignore[type-arg]
    """A SellerSnapshot from an already-validated record dict."""
    first_sale = record["first_sale_date"]
    return SellerSnapshot(
        seller_id=record["seller_id"],
        marketplace=record["marketplace"],
        tenure_days=record["tenure_days"],
        first_sale_date=date.fromisoformat(first_sale) if first_sale else None,
        location=record["location"],
        category_group=record["category_group"],
        fulfillment_channel=record["fulfillment_channel"],
        cs_provider=record["cs_provider"],
        first_party=record["first_party"],
        windows={
            window: SellerCounts(**{**counts, "ratings": tuple(counts["ratings"])})
            for window, counts in record["windows"].items()
        },
    )


def offer_from_dict(record: dict) -> OfferSnapshot:  # type: ignore[type-arg]
    """An OfferSnapshot from an already-validated record dict."""
    return OfferSnapshot(
        **{
            **record,
            "windows": {w: OfferCounts(**c) for w, c in record["windows"].items()},
        }
    )


def decode_seller(blob: bytes) -> SellerSnapshot:
    """A SellerSnapshot from its canonical JSON."""
    return seller_from_dict(orjson.loads(blob))


def decode_offer(blob: bytes) -> OfferSnapshot:
    """An OfferSnapshot from its canonical JSON."""
    return offer_from_dict(orjson.loads(blob))


def seller_to_dict(seller: SellerSnapshot) -> dict:  # type: ignore[type-arg]
    """The snapshot file's record form of a seller."""
    record = {f.name: getattr(seller, f.name) for f in fields(seller)}
    record["windows"] = {w: c._asdict() for w, c in seller.windows.items()}
    return record


def offer_to_dict(offer: OfferSnapshot) -> dict:  # type: ignore[type-arg]
    """The snapshot file's record form of an offer."""
    record = {f.name: getattr(offer, f.name) for f in fields(offer)}
    record["windows"] = {w: c._asdict() for w, c in offer.windows.items()}
    return record


def encode_seller(seller: SellerSnapshot) -> bytes:
    """Canonical JSON of a seller."""
    return orjson.dumps(seller_to_dict(seller))


def encode_offer(offer: OfferSnapshot) -> bytes:
    """Canonical JSON of an offer."""
    return orjson.dumps(offer_to_dict(offer))
