"""Administration behind a bearer token: snapshot activation and config reload."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, request

from trust_signals.api.auth import require_admin
from trust_signals.api.extension import check_path_id, json_response, services
from trust_signals.api.openapi import documented
from trust_signals.api.responses import ActivationResponseSchema, ConfigReloadResponseSchema
from trust_signals.api.schemas import ActivationQuerySchema

bp = Blueprint("admin", __name__)
bp.before_request(require_admin)
_ACTIVATION_QUERY = ActivationQuerySchema()


@bp.post("/admin/snapshots/<snapshot_id>/activate")
@documented(
    "Activate a loaded snapshot through the shrink guard (?allow_shrink=true for a large drop)",
    ActivationResponseSchema,
    query=ActivationQuerySchema,
    problems=(400, 409, 503),
    access="admin",
)
def activate(snapshot_id: str) -> Response:
    """Make a loaded snapshot the active one of its marketplace, through the shrink guard
    (`?allow_shrink=true` allows a large drop; an empty snapshot is always refused)."""
    args = _ACTIVATION_QUERY.load(request.args.to_dict())
    answer = services().admin.activate(
        check_path_id(snapshot_id, "snapshot id"), allow_shrink=args["allow_shrink"]
    )
    return json_response(asdict(answer))


@bp.post("/admin/config/reload")
@documented(
    "Re-read the configuration now; an invalid one is refused",
    ConfigReloadResponseSchema,
    problems=(422,),
    access="admin",
)
def reload_config() -> Response:
    """Re-read the store's active config now (workers do within the reload interval anyway);
    one this version cannot read is refused (422) and the old one keeps serving."""
    return json_response({"config_version": services().admin.reload_config()})
