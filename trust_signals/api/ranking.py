"""The ranking call: feature vectors in the configured schema, with a missing mask."""

from __future__ import annotations

from flask import Blueprint, Response

from trust_signals.api.extension import check_id_count, json_body, json_response, trust_signals
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
    service = trust_signals()
    view = service.view()
    market = view.market(args["marketplace"])
    ids = args["offer_ids"]
    check_id_count(ids, market.config.max_ids["features"])
    schema = market.config.feature_schema
    defaults = schema.defaults
    all_missing = [True] * len(defaults)
    found = service.features(view, market, ids, fail_open=True)
    results = found.items
    return json_response(
        {
            "snapshot_id": market.snapshot.snapshot_id,
            "config_version": view.config.version,
            "marketplace": market.snapshot.marketplace,
            "schema_version": schema.version,
            "feature_names": schema.names,
            "offer_ids": ids,
            "vectors": [defaults if r is None else r.values for r in results],
            "missing_mask": [all_missing if r is None else r.missing for r in results],
            "missing": [
                i
                for i, r in zip(ids, results, strict=True)
                if r is None and i not in found.unanswered
            ],
        },
        degraded=found.degraded,
    )
