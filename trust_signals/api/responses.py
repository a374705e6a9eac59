"""Response body schemas: what each answer holds, for the OpenAPI document and the tests.

Every schema refuses unknown fields, so the document lists each field an answer carries and
a contract test notices one that is added without being documented.

Over 300 lines on purpose: one schema per answer and per part of an answer.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from trust_signals.api.schemas import DIMENSION_NAMES, GROUPINGS, SURFACES, WINDOW_NAMES


def _optional_number() -> fields.Float:
    return fields.Float(required=True, allow_none=True)


class BadgeSchema(Schema):
    id = fields.String(required=True)
    copy_key = fields.String(required=True)
    level = fields.String(required=True)


class VersionedSchema(Schema):
    snapshot_id = fields.String(required=True)
    config_version = fields.String(required=True)
    marketplace = fields.String(required=True)


class OfferBadgesSchema(Schema):
    offer_id = fields.String(required=True)
    badges = fields.List(fields.Nested(BadgeSchema), required=True)


class BadgesResponseSchema(VersionedSchema):
    surface = fields.String(required=True, validate=validate.OneOf(SURFACES))
    degraded = fields.Boolean()
    offers = fields.List(fields.Nested(OfferBadgesSchema), required=True)
    missing = fields.List(fields.String(), required=True)


class StatSchema(Schema):
    id = fields.String(required=True)
    value = _optional_number()
    display = fields.String(required=True, allow_none=True)
    sample_size = fields.Integer(required=True)
    window = fields.String(required=True, allow_none=True)
    withheld = fields.Boolean(required=True)
    withheld_reason = fields.String(required=True, allow_none=True)


class SellerSummarySchema(Schema):
    seller_id = fields.String(required=True, allow_none=True)
    stats = fields.List(fields.Nested(StatSchema), required=True)


class OfferResponseSchema(VersionedSchema):
    offer_id = fields.String(required=True)
    degraded = fields.Boolean()
    badges = fields.List(fields.Nested(BadgeSchema), required=True)
    seller = fields.Nested(SellerSummarySchema, required=True)


class ProfileResponseSchema(VersionedSchema):
    seller_id = fields.String(required=True)
    stats = fields.List(fields.Nested(StatSchema), required=True)
    badges = fields.List(fields.Nested(BadgeSchema), required=True)


class FeaturesResponseSchema(VersionedSchema):
    schema_version = fields.String(required=True)
    degraded = fields.Boolean()
    feature_names = fields.List(fields.String(), required=True)
    offer_ids = fields.List(fields.String(), required=True)
    vectors = fields.List(fields.List(fields.Float()), required=True)
    missing_mask = fields.List(fields.List(fields.Boolean()), required=True)
    missing = fields.List(fields.String(), required=True)


class CohortSchema(Schema):
    key = fields.String(required=True)
    withheld = fields.Boolean(required=True)
    size = fields.Integer(metadata={"description": "absent when withheld"})
    reason = fields.String(metadata={"description": "why the cohort is withheld"})


class MetricSchema(Schema):
    """The seller's value; the cohort's figures only when the cohort is shown."""

    value = _optional_number()
    percentile = fields.Float(allow_none=True)
    cohort_p25 = fields.Float()
    cohort_median = fields.Float()
    cohort_p75 = fields.Float()
    cohort_count = fields.Integer()


class FirstPartySchema(Schema):
    seller_id = fields.String(required=True)
    metrics = fields.Dict(values=fields.Float(allow_none=True), required=True)


class OpportunitySchema(Schema):
    family = fields.String(required=True)
    defect_type = fields.String(required=True)
    index_points = fields.Float(required=True)


class PooledCohortSchema(Schema):
    key = fields.String(required=True)
    size = fields.Integer(required=True)
    sizes = fields.Dict(
        values=fields.Integer(),
        required=True,
        metadata={
            "description": "each marketplace's part; one where it is below the minimum "
            "size has none (it is never computed)"
        },
    )


class CohortPlaceSchema(Schema):
    """Where the seller's metric sits in the pooled cohort (figures approximate, see README)."""

    percentile = fields.Float(required=True, allow_none=True)
    cohort_p25 = fields.Float(required=True)
    cohort_median = fields.Float(required=True)
    cohort_p75 = fields.Float(required=True)
    cohort_count = fields.Integer(required=True)


class StageComparisonSchema(Schema):
    """The seller's cohort pooled over the served marketplaces of a store stage."""

    marketplaces = fields.List(fields.String(), required=True)
    cohort = fields.Nested(PooledCohortSchema, required=True, allow_none=True)
    reason = fields.String(
        required=True, allow_none=True, metadata={"description": "why `cohort` is null"}
    )
    metrics = fields.Dict(values=fields.Nested(CohortPlaceSchema), required=True)


class BenchmarkResponseSchema(VersionedSchema):
    seller_id = fields.String(required=True)
    dimensions = fields.List(fields.String(validate=validate.OneOf(DIMENSION_NAMES)), required=True)
    cohort = fields.Nested(CohortSchema, required=True)
    metrics = fields.Dict(values=fields.Nested(MetricSchema), required=True)
    first_party = fields.List(fields.Nested(FirstPartySchema), required=True)
    improvement_opportunities = fields.List(fields.Nested(OpportunitySchema), required=True)
    established = fields.Nested(
        StageComparisonSchema, metadata={"description": "only with compare=established"}
    )


class ProgramGroupSchema(Schema):
    group = fields.String(required=True)
    marketplaces = fields.List(
        fields.String(), required=True, metadata={"description": "those whose sellers it pools"}
    )
    sellers = fields.Integer(required=True)
    orders = fields.Integer(required=True)
    fq_index = _optional_number()
    csq_index = _optional_number()


class ProgramsResponseSchema(Schema):
    snapshot_ids = fields.Dict(values=fields.String(), required=True)
    config_version = fields.String(required=True)
    group_by = fields.String(required=True, validate=validate.OneOf(GROUPINGS))
    window = fields.String(required=True, validate=validate.OneOf(WINDOW_NAMES))
    groups = fields.List(fields.Nested(ProgramGroupSchema), required=True)


class ResourceSchema(Schema):
    copy_key = fields.String(required=True)
    link = fields.String(required=True)


class MoreGoodSchema(Schema):
    count = fields.Integer(required=True)
    unit = fields.String(
        required=True,
        metadata={"description": "orders, answered_contacts, positive_feedback, ... (each clean)"},
    )


class CriterionSchema(Schema):
    """One condition of a missed badge; `value` is the bound compared over `window`."""

    path = fields.String(required=True)
    signal = fields.String(required=True)
    window = fields.String(required=True, allow_none=True)
    bound = fields.String(required=True)
    comparator = fields.String(required=True)
    threshold = fields.Float(required=True)
    min_sample = fields.Integer(required=True)
    sample = fields.Integer(required=True)
    value = _optional_number()
    passes = fields.Boolean(required=True)
    more_good = fields.Nested(MoreGoodSchema, required=True, allow_none=True)
    max_defects = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    resources = fields.List(
        fields.Nested(ResourceSchema),
        required=True,
        metadata={"description": "for a failing criterion: what helps with it"},
    )


class RuleGroupSchema(Schema):
    path = fields.String(required=True)
    mode = fields.String(required=True, validate=validate.OneOf(("all", "any")))
    passes = fields.Boolean(required=True)
    must_pass = fields.Integer(required=True)
    failing = fields.List(fields.String(), required=True)


class CoachedBadgeSchema(Schema):
    badge_id = fields.String(required=True)
    copy_key = fields.String(required=True)
    holds = fields.Boolean(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(("all", "any")))
    groups = fields.List(fields.Nested(RuleGroupSchema), required=True)
    criteria = fields.List(fields.Nested(CriterionSchema), required=True)


class OfferFailingSchema(Schema):
    path = fields.String(required=True)
    signal = fields.String(required=True)
    offers = fields.Integer(required=True)


class OfferBadgeCountsSchema(Schema):
    badge_id = fields.String(required=True)
    copy_key = fields.String(required=True)
    holding = fields.Integer(required=True)
    not_holding = fields.Integer(required=True)
    failing = fields.List(fields.Nested(OfferFailingSchema), required=True)


class CoachingOpportunitySchema(Schema):
    family = fields.String(required=True)
    defect = fields.String(required=True)
    index_points = fields.Float(required=True)
    resources = fields.List(fields.Nested(ResourceSchema), required=True)


class CoachingCohortSchema(Schema):
    key = fields.String(required=True)
    size = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: withheld, too small"}
    )


class CoachingResponseSchema(VersionedSchema):
    seller_id = fields.String(required=True)
    cohort = fields.Nested(CoachingCohortSchema, required=True)
    badges = fields.List(fields.Nested(CoachedBadgeSchema), required=True)
    offers = fields.List(fields.Nested(OfferBadgeCountsSchema), required=True)
    opportunities = fields.List(fields.Nested(CoachingOpportunitySchema), required=True)


class AppliedTargetSchema(Schema):
    defect = fields.String(required=True)
    window = fields.String(required=True, validate=validate.OneOf(WINDOW_NAMES))
    count = fields.Integer(required=True)
    current_count = fields.Integer(required=True)
    opportunities = fields.Integer(required=True)


class IndexProjectionSchema(Schema):
    family = fields.String(required=True, validate=validate.OneOf(("fq", "csq")))
    window = fields.String(required=True, validate=validate.OneOf(WINDOW_NAMES))
    current = _optional_number()
    projected = _optional_number()


class PercentileProjectionSchema(Schema):
    metric = fields.String(required=True)
    window = fields.String(required=True, validate=validate.OneOf(WINDOW_NAMES))
    current = _optional_number()
    projected = _optional_number()


class BadgeRefSchema(Schema):
    badge_id = fields.String(required=True)
    copy_key = fields.String(required=True)


class BadgeChangesSchema(Schema):
    earned = fields.List(fields.Nested(BadgeRefSchema), required=True)
    lost = fields.List(fields.Nested(BadgeRefSchema), required=True)
    kept = fields.List(fields.Nested(BadgeRefSchema), required=True)


class WhatIfResponseSchema(VersionedSchema):
    seller_id = fields.String(required=True)
    dimensions = fields.List(fields.String(validate=validate.OneOf(DIMENSION_NAMES)), required=True)
    cohort = fields.Nested(CoachingCohortSchema, required=True)
    targets = fields.List(fields.Nested(AppliedTargetSchema), required=True)
    indices = fields.List(fields.Nested(IndexProjectionSchema), required=True)
    percentiles = fields.List(fields.Nested(PercentileProjectionSchema), required=True)
    badges = fields.Nested(BadgeChangesSchema, required=True)


class ConditionExplanationSchema(Schema):
    path = fields.String(required=True)
    condition_id = fields.String(required=True, allow_none=True)
    signal = fields.String(required=True)
    window = fields.String(required=True, allow_none=True)
    bound = fields.String(required=True)
    comparator = fields.String(required=True)
    threshold = fields.Float(required=True)
    value = _optional_number()
    sample = fields.Integer(required=True)
    min_sample = fields.Integer(required=True)
    passed = fields.Boolean(required=True)
    reason = fields.String(required=True)
    kept_within_margin = fields.Boolean(
        required=True,
        metadata={"description": "passed only thanks to the badge's keep margin (a holder)"},
    )


class RuleExplanationSchema(Schema):
    rule_id = fields.String(required=True)
    approval_reference = fields.String(required=True)
    level = fields.String(required=True)
    window_choice = fields.String(required=True, allow_none=True)
    conditions = fields.List(fields.Nested(ConditionExplanationSchema), required=True)
    conditions_met = fields.Boolean(required=True)
    withheld_reason = fields.String(required=True, allow_none=True)
    earned = fields.Boolean(required=True)


class ExplanationResponseSchema(VersionedSchema):
    entity = fields.String(required=True, validate=validate.OneOf(("offer", "seller")))
    id = fields.String(required=True)
    rules = fields.List(fields.Nested(RuleExplanationSchema), required=True)


class SnapshotInfoSchema(Schema):
    snapshot_id = fields.String(required=True)
    marketplace = fields.String(required=True)
    as_of = fields.Date(required=True)
    loaded_at = fields.DateTime(required=True)
    seller_count = fields.Integer(required=True)
    offer_count = fields.Integer(required=True)
    active = fields.Boolean(required=True)


class CacheStatsSchema(Schema):
    size = fields.Integer(required=True)
    maxsize = fields.Integer(required=True)
    hits = fields.Integer(required=True)
    misses = fields.Integer(required=True)


class StatusResponseSchema(Schema):
    """The first four fields for anyone; the rest only with the audit or admin token."""

    config_version = fields.String(required=True)
    active = fields.Dict(values=fields.Nested(SnapshotInfoSchema), required=True)
    lost = fields.List(fields.String(), required=True)
    store_breaker = fields.String(required=True)
    pid = fields.Integer()
    config_error = fields.String(allow_none=True)
    snapshots = fields.List(fields.Nested(SnapshotInfoSchema), allow_none=True)
    store_error = fields.String(allow_none=True)
    cache = fields.Nested(CacheStatsSchema)


class HealthResponseSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ok",)))


class ReadyResponseSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ready", "degraded")))
    config_version = fields.String(required=True)
    active = fields.Dict(values=fields.String(), required=True)
    lost = fields.List(fields.String(), required=True)


class OpenApiResponseSchema(Schema):
    class Meta:
        unknown = INCLUDE

    openapi = fields.String(required=True)
    info = fields.Dict(required=True)
    paths = fields.Dict(required=True)


class ActivationResponseSchema(Schema):
    activated = fields.String(required=True)
    active = fields.Dict(values=fields.String(), required=True)
    config_version = fields.String(required=True)


class ConfigReloadResponseSchema(Schema):
    config_version = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details with a stable `code`."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True)
    errors = fields.List(fields.String(), metadata={"description": "each invalid field"})
    request_id = fields.String(metadata={"description": "for a 500: find it in the log"})
    config_version = fields.String(metadata={"description": "for a refused reload: kept"})
