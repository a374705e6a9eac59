"""Audit reads behind the audit token: every badge rule explained for one seller or offer,
and whether a seller qualifies for an incentive program.

Both show what the display rules hold back (a rate bound below its minimum sample, a
failed condition's value, a seller's place in its cohort), so they are for internal audit,
never for anonymous callers.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, request

from trust_signals.api.auth import require_audit
from trust_signals.api.extension import answer_response, check_path_id, trust_signals
from trust_signals.api.openapi import documented
from trust_signals.api.responses import ExplanationResponseSchema, IncentiveResponseSchema
from trust_signals.api.schemas import MarketplaceQuerySchema

bp = Blueprint("audit", __name__)
bp.before_request(require_audit)
_MARKETPLACE_QUERY = MarketplaceQuerySchema()


@bp.get("/v1/explain/<any(offers, sellers):kind>/<entity_id>")
@documented(
    "Every badge rule evaluated condition by condition, with approvals and versions",
    ExplanationResponseSchema,
    query=MarketplaceQuerySchema,
    problems=(400, 404, 503),
    access="audit",
)
def get_explanation(kind: str, entity_id: str) -> Response:
    """Every badge rule evaluated condition by condition, with approvals and versions."""
    args = _MARKETPLACE_QUERY.load(request.args.to_dict())
    entity = kind.removesuffix("s")
    found = trust_signals().explain_entity(
        args["marketplace"], entity, check_path_id(entity_id, f"{entity} id")
    )
    return answer_response(
        found.envelope,
        {
            "entity": found.entity,
            "id": found.entity_id,
            "rules": [asdict(rule) for rule in found.rules],
        },
    )


@bp.get("/v1/incentives/<program_id>/sellers/<seller_id>")
@documented(
    "Whether a seller qualifies for an incentive program: every condition in every snapshot "
    "of the streak, with approvals and versions",
    IncentiveResponseSchema,
    query=MarketplaceQuerySchema,
    problems=(400, 404, 409, 503),
    access="audit",
)
def get_incentive(program_id: str, seller_id: str) -> Response:
    """Whether a seller qualifies for an incentive program, and why."""
    args = _MARKETPLACE_QUERY.load(request.args.to_dict())
    found = trust_signals().incentive(
        args["marketplace"],
        check_path_id(program_id, "program id"),
        check_path_id(seller_id, "seller id"),
    )
    qualification = found.qualification
    return answer_response(
        found.envelope, {**asdict(qualification), "reasons": list(qualification.reasons)}
    )
