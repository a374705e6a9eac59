"""Seller coaching calls: what the seller's missed badges take, and what-if projections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, request

from trust_signals.api.extension import answer_response, check_path_id, json_body, trust_signals
from trust_signals.api.openapi import documented
from trust_signals.api.responses import CoachingResponseSchema, WhatIfResponseSchema
from trust_signals.api.schemas import CoachingQuerySchema, WhatIfRequestSchema
from trust_signals.domain.badges import Badge
from trust_signals.domain.coaching import BadgeCoaching, CriterionCoaching
from trust_signals.domain.coaching_offers import Resource
from trust_signals.service.coaching import (
    CoachingAnswer,
    WhatIfAnswer,
    coaching_answer,
    what_if_answer,
)

bp = Blueprint("coaching", __name__)
_COACHING_QUERY = CoachingQuerySchema()
_WHAT_IF_REQUEST = WhatIfRequestSchema()


@bp.get("/v1/sellers/<seller_id>/coaching")
@documented(
    "What each seller badge the seller misses takes, in its own counts; its offers on the "
    "offer badges; what to improve first against its cohort, with resources",
    CoachingResponseSchema,
    query=CoachingQuerySchema,
    problems=(400, 404, 503),
)
def get_coaching(seller_id: str) -> Response:
    """The coaching call: missed seller badges condition by condition, offers, opportunities."""
    args = _COACHING_QUERY.load(request.args.to_dict())
    found = coaching_answer(
        trust_signals(),
        args["marketplace"],
        check_path_id(seller_id, "seller id"),
        _COACHING_QUERY.load_dimensions(args["dimensions"]),
    )
    return answer_response(found.envelope, _coaching_body(found))


@bp.post("/v1/sellers/<seller_id>/what-if")
@documented(
    "The seller's FQ/CSQ indices, cohort percentiles and seller badges with target counts "
    "of its defects",
    WhatIfResponseSchema,
    body=WhatIfRequestSchema,
    problems=(400, 404, 413, 503),
)
def post_what_if(seller_id: str) -> Response:
    """The what-if call: the seller now and with its target defect counts."""
    args = _WHAT_IF_REQUEST.load(json_body())
    found = what_if_answer(
        trust_signals(),
        args["marketplace"],
        check_path_id(seller_id, "seller id"),
        args["dimensions"],
        args["targets"],
    )
    return answer_response(found.envelope, _what_if_body(found))


def _resources(resources: Sequence[Resource]) -> list[dict[str, str]]:
    return [{"copy_key": r.copy_key, "link": r.link} for r in resources]


def _criterion(criterion: CriterionCoaching, found: CoachingAnswer) -> dict[str, Any]:
    more = criterion.more_good
    helps = () if criterion.passes else found.criterion_resources.get(criterion.signal, ())
    return {
        "path": criterion.path,
        "signal": criterion.signal,
        "window": criterion.window,
        "bound": criterion.bound,
        "comparator": criterion.comparator,
        "threshold": criterion.threshold,
        "min_sample": criterion.min_sample,
        "sample": criterion.sample,
        "value": criterion.value,
        "passes": criterion.passes,
        "more_good": None if more is None else {"count": more.count, "unit": more.unit},
        "max_defects": criterion.max_defects,
        "reason": criterion.reason,
        "resources": _resources(helps),
    }


def _badge(badge: BadgeCoaching, found: CoachingAnswer) -> dict[str, Any]:
    return {
        "badge_id": badge.badge_id,
        "copy_key": badge.copy_key,
        "holds": False,
        "rule": badge.mode,
        "groups": [
            {
                "path": g.path,
                "mode": g.mode,
                "passes": g.passes,
                "must_pass": g.must_pass,
                "failing": list(g.failing),
            }
            for g in badge.groups
        ],
        "criteria": [_criterion(c, found) for c in badge.criteria],
    }


def _coaching_body(found: CoachingAnswer) -> dict[str, Any]:
    return {
        "seller_id": found.seller_id,
        "cohort": {"key": found.cohort_key, "size": found.cohort_size},
        "badges": [_badge(b, found) for b in found.badges],
        "offers": [
            {
                "badge_id": s.badge_id,
                "copy_key": s.copy_key,
                "holding": s.holding,
                "not_holding": s.not_holding,
                "failing": [
                    {"path": f.path, "signal": f.signal, "offers": f.offers} for f in s.failing
                ],
            }
            for s in found.offers
        ],
        "opportunities": [
            {
                "family": o.family,
                "defect": o.defect,
                "index_points": round(o.index_points, 3),
                "resources": _resources(o.resources),
            }
            for o in found.opportunities
        ],
    }


def _badge_refs(badges: Sequence[Badge]) -> list[dict[str, str]]:
    return [{"badge_id": b.id, "copy_key": b.copy_key} for b in badges]


def _what_if_body(found: WhatIfAnswer) -> dict[str, Any]:
    projection = found.projection
    return {
        "seller_id": found.seller_id,
        "dimensions": list(found.dimensions),
        "cohort": {"key": found.cohort_key, "size": found.cohort_size},
        "targets": [
            {
                "defect": t.defect,
                "window": t.window,
                "count": t.count,
                "current_count": t.current_count,
                "opportunities": t.opportunities,
            }
            for t in projection.targets
        ],
        "indices": [
            {"family": i.family, "window": i.window, "current": i.current, "projected": i.projected}
            for i in projection.indices
        ],
        "percentiles": [
            {"metric": p.metric, "window": p.window, "current": p.current, "projected": p.projected}
            for p in projection.percentiles
        ],
        "badges": {
            "earned": _badge_refs(projection.earned),
            "lost": _badge_refs(projection.lost),
            "kept": _badge_refs(projection.kept),
        },
    }
