"""The ranking call: feature vectors in the configured schema, with a missing mask."""

from __future__ import annotations

from flask import Blueprint, Response

from trust_signals.api.extension import answer_response, json_body, trust_signals
from trust_signals.api.media import (
    ARROW_HEADERS,
    ARROW_STREAM,
    JSON,
    arrow_features_response,
    negotiated,
)
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
    problems=(400, 404, 406, 413, 503),
    degrades=True,
    binary=(ARROW_STREAM,),
    headers=ARROW_HEADERS,
)
def post_features() -> Response:
    """One vector per offer in schema order; unknown offers get the defaults, all missing.
    JSON, or an Arrow stream for `Accept: application/vnd.apache.arrow.stream`."""
    media = negotiated((JSON, ARROW_STREAM))
    args = _FEATURES_REQUEST.load(json_body())
    found = trust_signals().features(args["marketplace"], args["offer_ids"])
    if media == ARROW_STREAM:
        response = arrow_features_response(found)
    else:
        response = answer_response(
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
    response.vary.add("Accept")  # caches keep the JSON and the Arrow answer apart
    return response
