"""Marshmallow schemas that validate one snapshot record (a JSON line) and build its snapshot."""

from __future__ import annotations

from typing import Any, Final

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from trust_signals.domain.snapshots import (
    CATEGORY_GROUPS,
    CS_PROVIDERS,
    FULFILLMENT_CHANNELS,
    ID_PATTERN,
    MARKETPLACE_PATTERN,
    OFFER_COUNT_BOUNDS,
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_BOUNDS,
    SELLER_COUNT_FIELDS,
    WINDOWS,
    OfferCounts,
    OfferSnapshot,
    SellerCounts,
    SellerSnapshot,
)

_AMOUNT_FIELDS: Final = ("sales_amount", "domestic_sales_amount")


def _id_field() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Regexp(ID_PATTERN, error="must be 1-64 characters of A-Z a-z 0-9 . _ -"),
    )


# 2**53 - 1: a count is exact as a double, so in every JSON reader of our answers and in the
# float arithmetic of rates; a million times more than any real seller's orders in a year.
MAX_COUNT: Final = 2**53 - 1


_AT_MOST_MAX: Final = validate.Range(
    max=MAX_COUNT, error="must be at most {max} (2**53 - 1, exact in any JSON reader)"
)


def _count() -> fields.Integer:
    return fields.Integer(
        required=True, strict=True, validate=[validate.Range(min=0), _AT_MOST_MAX]
    )


def _check_bounds(data: dict[str, Any], bounds: tuple[tuple[str, str], ...]) -> None:
    errors = {
        event: [f"must not exceed {opportunity} ({data[opportunity]})"]
        for event, opportunity in bounds
        if event in data and opportunity in data and data[event] > data[opportunity]
    }
    if errors:
        raise ValidationError(errors)


class SellerCountsSchema(Schema):
    """Counts for one window of a seller record."""

    class Meta:
        unknown = RAISE

    locals().update(
        {
            name: _count()
            for name in SELLER_COUNT_FIELDS
            if name not in _AMOUNT_FIELDS and name != "ratings"
        }
    )
    sales_amount = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0))
    domestic_sales_amount = fields.Float(
        required=True, allow_nan=False, validate=validate.Range(min=0)
    )
    ratings = fields.List(
        fields.Integer(strict=True, validate=[validate.Range(min=0), _AT_MOST_MAX]),
        required=True,
        validate=validate.Length(equal=5, error="must hold five counts, for 1 to 5 stars"),
    )

    @validates_schema
    def _bounds(self, data: dict[str, Any], **_: Any) -> None:
        _check_bounds(data, SELLER_COUNT_BOUNDS + (("domestic_sales_amount", "sales_amount"),))

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> SellerCounts:
        data["ratings"] = tuple(data["ratings"])
        return SellerCounts(**data)


class OfferCountsSchema(Schema):
    """Counts for one window of an offer record."""

    class Meta:
        unknown = RAISE

    locals().update({name: _count() for name in OFFER_COUNT_FIELDS})

    @validates_schema
    def _bounds(self, data: dict[str, Any], **_: Any) -> None:
        _check_bounds(data, OFFER_COUNT_BOUNDS)
        if (
            all(k in data for k in ("on_time_deliveries", "late_deliveries", "orders"))
            and data["on_time_deliveries"] + data["late_deliveries"] > data["orders"]
        ):
            raise ValidationError(
                "on-time plus late deliveries must not exceed orders", "on_time_deliveries"
            )

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> OfferCounts:
        return OfferCounts(**data)


def _windows(counts_schema: type[Schema]) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(WINDOWS)),
        values=fields.Nested(counts_schema),
        required=True,
        validate=validate.Length(
            equal=len(WINDOWS), error=f"must hold exactly {', '.join(WINDOWS)}"
        ),
    )


class SellerRecordSchema(Schema):
    """One line of sellers.jsonl."""

    class Meta:
        unknown = RAISE

    seller_id = _id_field()
    marketplace = fields.String(required=True, validate=validate.Regexp(MARKETPLACE_PATTERN))
    tenure_days = _count()
    first_sale_date = fields.Date(required=True, allow_none=True)
    location = fields.String(required=True, validate=validate.Regexp(MARKETPLACE_PATTERN))
    category_group = fields.String(required=True, validate=validate.OneOf(CATEGORY_GROUPS))
    fulfillment_channel = fields.String(
        required=True, validate=validate.OneOf(FULFILLMENT_CHANNELS)
    )
    cs_provider = fields.String(required=True, validate=validate.OneOf(CS_PROVIDERS))
    first_party = fields.Boolean(required=True, truthy={True}, falsy={False})
    windows = _windows(SellerCountsSchema)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> SellerSnapshot:
        return SellerSnapshot(**data)


class OfferRecordSchema(Schema):
    """One line of offers.jsonl."""

    class Meta:
        unknown = RAISE

    offer_id = _id_field()
    seller_id = _id_field()
    product_id = _id_field()
    marketplace = fields.String(required=True, validate=validate.Regexp(MARKETPLACE_PATTERN))
    fulfillment_channel = fields.String(
        required=True, validate=validate.OneOf(FULFILLMENT_CHANNELS)
    )
    handling_days = fields.Integer(required=True, strict=True, validate=validate.Range(0, 60))
    return_window_days = fields.Integer(required=True, strict=True, validate=validate.Range(0, 365))
    free_returns = fields.Boolean(required=True, truthy={True}, falsy={False})
    windows = _windows(OfferCountsSchema)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> OfferSnapshot:
        return OfferSnapshot(**data)
