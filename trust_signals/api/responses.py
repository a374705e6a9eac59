"""Response body schemas: what each answer holds, for the OpenAPI document and the tests.

Every schema refuses unknown fields, so the document lists each field an answer carries and
a contract test notices one that is added without being documented.
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


class BenchmarkResponseSchema(VersionedSchema):
    seller_id = fields.String(required=True)
    dimensions = fields.List(fields.String(validate=validate.OneOf(DIMENSION_NAMES)), required=True)
    cohort = fields.Nested(CohortSchema, required=True)
    metrics = fields.Dict(values=fields.Nested(MetricSchema), required=True)
    first_party = fields.List(fields.Nested(FirstPartySchema), required=True)
    improvement_opportunities = fields.List(fields.Nested(OpportunitySchema), required=True)


class ProgramGroupSchema(Schema):
    group = fields.String(required=True)
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


class IncentiveConditionSchema(Schema):
    path = fields.String(required=True)
    condition_id = fields.String(required=True, allow_none=True)
    signal = fields.String(required=True)
    window = fields.String(required=True, allow_none=True)
    cohort = fields.String(
        required=True, allow_none=True, metadata={"description": "a percentile's cohort key"}
    )
    bound = fields.String(required=True)
    comparator = fields.String(required=True)
    threshold = fields.Float(required=True)
    value = _optional_number()
    sample = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null for a percentile"}
    )
    passed = fields.Boolean(required=True)
    reason = fields.String(required=True)


class IncentiveSnapshotSchema(Schema):
    snapshot_id = fields.String(required=True)
    as_of = fields.Date(required=True)
    found = fields.Boolean(required=True, metadata={"description": "the seller is in it"})
    conditions = fields.List(fields.Nested(IncentiveConditionSchema), required=True)
    met = fields.Boolean(required=True)


class IncentiveResponseSchema(VersionedSchema):
    """`snapshots`: the streak's, newest (the active one) first."""

    program_id = fields.String(required=True)
    approval_reference = fields.String(required=True)
    seller_id = fields.String(required=True)
    streak = fields.Integer(required=True)
    snapshots = fields.List(fields.Nested(IncentiveSnapshotSchema), required=True)
    withheld_reason = fields.String(required=True, allow_none=True)
    qualified = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)


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
