"""Administration behind a bearer token: snapshot activation and config reload."""

from __future__ import annotations

from flask import Blueprint, Response, request

from trust_signals.api.auth import require_admin
from trust_signals.api.errors import problem
from trust_signals.api.extension import check_path_id, json_response, services
from trust_signals.api.openapi import documented
from trust_signals.api.responses import ActivationResponseSchema, ConfigReloadResponseSchema
from trust_signals.api.schemas import ActivationQuerySchema
from trust_signals.bootstrap import activate_snapshot

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
    found = services()
    args = _ACTIVATION_QUERY.load(request.args.to_dict())
    activate_snapshot(
        found.catalog,
        check_path_id(snapshot_id, "snapshot id"),
        found.signals.view().config,
        max_shrink=None if args["allow_shrink"] else found.settings.max_snapshot_shrink,
    )
    view = found.signals.refreshed_view()
    return json_response(
        {
            "activated": snapshot_id,
            "active": {m: k.snapshot.snapshot_id for m, k in view.markets.items()},
            "config_version": view.config.version,
        }
    )


@bp.post("/admin/config/reload")
@documented(
    "Re-read the configuration now; an invalid one is refused",
    ConfigReloadResponseSchema,
    problems=(422,),
    access="admin",
)
def reload_config() -> Response:
    """Re-read the store's active config now (workers do within the reload interval anyway);
    one this version cannot read is refused and the old one keeps serving."""
    signals = services().signals
    signals.refresh()
    if signals.last_config_error is not None:
        return problem(
            422,
            "invalid_config",
            "Configuration refused",
            signals.last_config_error,
            config_version=signals.view().config.version,
        )
    return json_response({"config_version": signals.view().config.version})
