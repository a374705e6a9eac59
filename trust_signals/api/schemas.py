"""Request and response schemas: the only place JSON field names live."""

from __future__ import annotations

import re
from collections.abc import Sequence
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

from trust_signals.domain.badges import Badge
from trust_signals.domain.cohorts import DEFECT_TYPES
from trust_signals.domain.profile_stats import ProfileStat
from trust_signals.domain.snapshots import ID_PATTERN, MARKETPLACE_PATTERN
from trust_signals.domain.what_if import MAX_TARGETS, Target

ID_RULE: Final = re.compile(ID_PATTERN)
SURFACES: Final = ("search", "pdp")
DIMENSION_NAMES: Final = ("tenure", "location", "category", "channel")
GROUPINGS: Final = (
    "fulfillment_channel",
    "cs_provider",
    "first_party",
    "marketplace",
    "store_stage",
)
# The store stages a benchmark compares with: the established stores, the reference.
COMPARE_STAGES: Final = ("established",)
WINDOW_NAMES: Final = ("30d", "90d", "365d")


class IdList(fields.Field):
    """A list of ids, from a JSON array or a comma-separated query value.

    One compiled regex per id instead of a nested marshmallow field: a 1,000-id ranking
    call must not spend a millisecond validating.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        ids = value.split(",") if isinstance(value, str) else value
        if not isinstance(ids, list) or not ids:
            raise ValidationError("must be a non-empty list of ids")
        bad = [i for i in ids if not isinstance(i, str) or ID_RULE.match(i) is None]
        if bad:
            shown = ", ".join(repr(b)[:70] for b in bad[:5])
            raise ValidationError(
                f"{len(bad)} malformed id(s): {shown}; an id is 1-64 characters of "
                "A-Z a-z 0-9 . _ - starting with a letter or digit"
            )
        return ids


def _marketplace(required: bool = True) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Regexp(MARKETPLACE_PATTERN, error="must be two upper-case letters"),
    )


class BadgesRequestSchema(Schema):
    """GET /v1/badges query or POST /v1/badges body."""

    class Meta:
        unknown = RAISE

    marketplace = _marketplace()
    surface = fields.String(required=True, validate=validate.OneOf(SURFACES))
    offer_ids = IdList(required=True)


class FeaturesRequestSchema(Schema):
    """POST /v1/features body."""

    class Meta:
        unknown = RAISE

    marketplace = _marketplace()
    offer_ids = IdList(required=True)


class MarketplaceQuerySchema(Schema):
    """A query naming only the marketplace."""

    class Meta:
        unknown = RAISE

    marketplace = _marketplace()


class BenchmarkQuerySchema(Schema):
    """GET /v1/sellers/<id>/benchmark query."""

    class Meta:
        unknown = RAISE

    marketplace = _marketplace()
    dimensions = fields.String(
        load_default="",
        metadata={
            "description": f"comma-separated, any of {', '.join(DIMENSION_NAMES)}",
            "pattern": "^(({0})(,({0}))*)?$".format("|".join(DIMENSION_NAMES)),
        },
    )

    compare = fields.String(
        validate=validate.OneOf(COMPARE_STAGES),
        metadata={
            "description": "also the same cohort pooled over the served marketplaces of this "
            "store stage (an `established` section)"
        },
    )

    def load_dimensions(self, raw: str) -> tuple[str, ...]:
        """The chosen dimensions in canonical order; ValidationError names unknown ones."""
        chosen = [d for d in raw.split(",") if d]
        unknown = sorted(set(chosen) - set(DIMENSION_NAMES))
        if unknown:
            raise ValidationError(
                f"unknown dimension(s) {', '.join(unknown)}: choose from "
                f"{', '.join(DIMENSION_NAMES)}",
                "dimensions",
            )
        return tuple(d for d in DIMENSION_NAMES if d in chosen)


class CoachingQuerySchema(BenchmarkQuerySchema):
    """GET /v1/sellers/<id>/coaching query: the cohort is chosen as for the benchmark."""


class TargetSchema(Schema):
    """One what-if target: a defect type's count, or rate per opportunity, in one window."""

    class Meta:
        unknown = RAISE

    defect = fields.String(required=True, validate=validate.OneOf(DEFECT_TYPES))
    window = fields.String(required=True, validate=validate.OneOf(WINDOW_NAMES))
    count = fields.Integer(strict=True, validate=validate.Range(min=0))
    rate = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=1))

    @validates_schema
    def _one_target(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("count" in data) == ("rate" in data):
            raise ValidationError("give exactly one of count, rate")

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Target:
        return Target(**data)


class WhatIfRequestSchema(Schema):
    """POST /v1/sellers/<id>/what-if body."""

    class Meta:
        unknown = RAISE

    marketplace = _marketplace()
    dimensions = fields.List(
        fields.String(validate=validate.OneOf(DIMENSION_NAMES)),
        load_default=list,
        metadata={"description": "the cohort's dimensions, as for the benchmark"},
    )
    targets = fields.List(
        fields.Nested(TargetSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_TARGETS),
    )

    @post_load
    def _canonical(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        chosen = set(data["dimensions"])
        return {**data, "dimensions": tuple(d for d in DIMENSION_NAMES if d in chosen)}


class ProgramsQuerySchema(Schema):
    """GET /v1/programs query."""

    class Meta:
        unknown = RAISE

    marketplace = _marketplace(required=False)
    group_by = fields.String(required=True, validate=validate.OneOf(GROUPINGS))
    window = fields.String(load_default="90d", validate=validate.OneOf(WINDOW_NAMES))


class ActivationQuerySchema(Schema):
    """POST /admin/snapshots/<id>/activate query."""

    class Meta:
        unknown = RAISE

    allow_shrink = fields.Boolean(
        load_default=False,
        metadata={"description": "allow a drop of sellers or offers over the shrink guard"},
    )


# -- response bodies ------------------------------------------------------------------


def badge_body(badge: Badge) -> dict[str, Any]:
    """A badge as callers see it: the front end renders the approved copy for copy_key."""
    return {"id": badge.id, "copy_key": badge.copy_key, "level": badge.level}


def badge_list(badges: Sequence[Badge]) -> list[dict[str, Any]]:
    """Badges in display order."""
    return [badge_body(b) for b in badges]


def stat_body(stat: ProfileStat) -> dict[str, Any]:
    """A profile stat with its sample and window, or withheld with the reason."""
    return {
        "id": stat.id,
        "value": stat.value,
        "display": stat.display,
        "sample_size": stat.sample_size,
        "window": stat.window,
        "withheld": stat.withheld_reason is not None,
        "withheld_reason": stat.withheld_reason,
    }
