"""The ranking call: feature vectors in the configured schema, with a missing mask."""

from __future__ import annotations

from flask import Blueprint, Response

from trust_signals.api.extension import answer_response, json_body, trust_signals
from trust_signals.api.openapi import documented
from trust_signals.api.responses import FeaturesResponseSchema
from trust_signals.api.schemas import FeaturesRequestSchema

bp = Blueprint("ranking", __name__)
_FEATURES_REQUEST = FeaturesRequestSchema()


@bp.post("/v1/features")
@documented(
    "Ranking feature vectors in schema order with a missing mask",
    FeaturesResponseSchema,
    body=FeaturesRequestSchema,
    problems=(400, 404, 413, 503),
    degrades=True,
)
def post_features() -> Response:
    """One vector per offer in schema order; unknown offers get the defaults, all missing."""
    args = _FEATURES_REQUEST.load(json_body())
    found = trust_signals().features(args["marketplace"], args["offer_ids"])
    return answer_response(
        found.envelope,
        {
            "schema_version": found.schema_version,
            "feature_names": found.feature_names,
            "offer_ids": found.offer_ids,
            "vectors": found.values,
            "missing_mask": found.missing_mask,
            "missing": found.missing,
        },
        degraded=found.degraded,
    )
