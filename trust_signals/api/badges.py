"""The search-page and PDP calls: badges per offer, and one offer with its seller line."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from trust_signals.api.extension import (
    answer_response,
    check_path_id,
    json_body,
    trust_signals,
)
from trust_signals.api.openapi import documented
from trust_signals.api.responses import BadgesResponseSchema, OfferResponseSchema
from trust_signals.api.schemas import (
    BadgesRequestSchema,
    MarketplaceQuerySchema,
    badge_list,
    stat_body,
)

bp = Blueprint("badges", __name__)
_BADGES_REQUEST = BadgesRequestSchema()
_MARKETPLACE_QUERY = MarketplaceQuerySchema()


def _badges(args: dict[str, Any]) -> Response:
    found = trust_signals().badges(args["marketplace"], args["surface"], args["offer_ids"])
    return answer_response(
        found.envelope,
        {
            "surface": found.surface,
            "offers": [
                {"offer_id": offer_id, "badges": badge_list(badges)}
                for offer_id, badges in found.offers
            ],
            "missing": found.missing,
        },
        degraded=found.degraded,
    )


@bp.get("/v1/badges")
@documented(
    "Badges for a page of offers (ids comma-separated)",
    BadgesResponseSchema,
    query=BadgesRequestSchema,
    problems=(400, 404, 503),
    degrades=True,
)
def get_badges() -> Response:
    """Badges for a page of offers (ids comma-separated in the query)."""
    return _badges(_BADGES_REQUEST.load(request.args.to_dict()))


@bp.post("/v1/badges")
@documented(
    "Badges for a page of offers (ids in a JSON body, for long lists)",
    BadgesResponseSchema,
    body=BadgesRequestSchema,
    problems=(400, 404, 413, 503),
    degrades=True,
)
def post_badges() -> Response:
    """Badges for a page of offers (ids in a JSON body, for long lists)."""
    return _badges(_BADGES_REQUEST.load(json_body()))


@bp.get("/v1/offers/<offer_id>")
@documented(
    "PDP: the offer's badges and a name-free seller summary",
    OfferResponseSchema,
    query=MarketplaceQuerySchema,
    problems=(400, 404, 503),
    degrades=True,
)
def get_offer(offer_id: str) -> Response:
    """The PDP call: the offer's PDP badges and a name-free seller summary."""
    args = _MARKETPLACE_QUERY.load(request.args.to_dict())
    found = trust_signals().offer(args["marketplace"], check_path_id(offer_id, "offer id"))
    return answer_response(
        found.envelope,
        {
            "offer_id": found.offer_id,
            "badges": badge_list(found.badges),
            "seller": {
                "seller_id": found.seller_id,
                "stats": [stat_body(s) for s in found.stats],
            },
        },
        degraded=found.degraded,
    )
