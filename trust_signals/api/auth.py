"""Bearer tokens: who may read the audit details and who may administer."""

from __future__ import annotations

import hmac

from flask import abort, request

from trust_signals.api.errors import AuthenticationRequired
from trust_signals.api.extension import services


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _matches(given: str, token: str | None) -> bool:
    # compare_digest: how long a comparison takes says nothing about the token.
    return token is not None and hmac.compare_digest(given.encode(), token.encode())


def is_auditor() -> bool:
    """True when the request carries the audit token or the admin token."""
    settings = services().settings
    given = _bearer_token()
    # Both comparisons run, so the time taken does not say which token was tried.
    return any([_matches(given, settings.audit_token), _matches(given, settings.admin_token)])


def require_audit() -> None:
    """Audit reads are off without an audit token (404) and need it or the admin one (401)."""
    if services().settings.audit_token is None:
        abort(404)
    if not is_auditor():
        raise AuthenticationRequired


def require_admin() -> None:
    """Admin is off without an admin token (404) and needs it (401)."""
    token = services().settings.admin_token
    if token is None:
        abort(404)
    if not _matches(_bearer_token(), token):
        raise AuthenticationRequired
