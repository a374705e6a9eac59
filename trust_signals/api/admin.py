"""Administration behind a bearer token: snapshot activation and config reload."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request

from trust_signals.api.errors import problem
from trust_signals.api.extension import check_path_id, json_response, services

bp = Blueprint("admin", __name__)


@bp.before_request
def require_token() -> Response | None:
    """Admin is off without a configured token (404) and needs it when on (401)."""
    token = services().settings.admin_token
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return problem(401, "unauthorized", "Unauthorized", "a valid bearer token is required")
    return None


@bp.post("/admin/snapshots/<snapshot_id>/activate")
def activate(snapshot_id: str) -> Response:
    """Make a loaded snapshot the active one of its marketplace, through the shrink guard
    (`?allow_shrink=true` allows a large drop; an empty snapshot is always refused)."""
    found = services()
    allow_shrink = request.args.get("allow_shrink", "false").lower() in ("1", "true", "yes")
    found.signals.activate(
        found.catalog,
        check_path_id(snapshot_id, "snapshot id"),
        max_shrink=None if allow_shrink else found.settings.max_snapshot_shrink,
    )
    view = found.signals.view()
    return json_response(
        {
            "activated": snapshot_id,
            "active": {m: k.snapshot.snapshot_id for m, k in view.markets.items()},
            "config_version": view.config.version,
        }
    )


@bp.post("/admin/config/reload")
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
