"""The search-page and PDP calls: badges per offer, and one offer with its seller line."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from trust_signals.api.extension import (
    check_id_count,
    check_path_id,
    json_body,
    json_response,
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
    service = trust_signals()
    view = service.view()
    market = view.market(args["marketplace"])
    ids = args["offer_ids"]
    check_id_count(ids, market.config.max_ids["badges"])
    surface = args["surface"]
    found = service.offers(view, market, ids, fail_open=True)
    results = found.items
    return json_response(
        {
            "snapshot_id": market.snapshot.snapshot_id,
            "config_version": view.config.version,
            "marketplace": market.snapshot.marketplace,
            "surface": surface,
            "offers": [
                {"offer_id": offer_id, "badges": badge_list(offer.badges[surface]) if offer else []}
                for offer_id, offer in zip(ids, results, strict=True)
                if offer is not None or offer_id in found.unanswered
            ],
            "missing": [
                i
                for i, offer in zip(ids, results, strict=True)
                if offer is None and i not in found.unanswered
            ],
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
    service = trust_signals()
    view = service.view()
    market = view.market(args["marketplace"])
    offer, seller, degraded = service.offer(
        view, market, check_path_id(offer_id, "offer id"), fail_open=True
    )
    return json_response(
        {
            "snapshot_id": market.snapshot.snapshot_id,
            "config_version": view.config.version,
            "marketplace": market.snapshot.marketplace,
            "offer_id": offer_id,
            "badges": badge_list(offer.badges["pdp"]) if offer else [],
            "seller": {
                "seller_id": offer.seller_id if offer else None,
                "stats": [
                    stat_body(s)
                    for s in (seller.stats if seller else ())
                    if s.withheld_reason is None
                ],
            },
        },
        degraded=degraded,
    )
