"""The single exception -> application/problem+json (RFC 9457) mapping."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from flask import Flask, Response, g
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from trust_signals.errors import (
    ActivationRefused,
    ConfigRefused,
    InvalidTargets,
    NoActiveSnapshot,
    SnapshotDataMissing,
    SnapshotNotFound,
    StoreUnavailable,
    TooManyIds,
)
from trust_signals.service.view import UnknownMarketplace

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# RFC 6750: a 401 names the scheme the caller should use.
WWW_AUTHENTICATE = 'Bearer realm="trust-signals"'


class RequestProblem(Exception):
    """A request the API refuses, with the status and a detail naming what is wrong."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class AuthenticationRequired(Exception):
    """A call that needs a bearer token and came without a valid one."""


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> Response:
    """A problem+json response."""
    body = {"type": f"about:blank#{code}", "title": title, "status": status, "detail": detail}
    body["code"] = code
    body.update(extra)
    return Response(orjson.dumps(body), status=status, mimetype=PROBLEM_JSON)


def _path(prefix: str, key: Any) -> str:
    """A field's path as the config's problems write it: 'targets[0].count'."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key == "_schema":  # the enclosing object itself
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        return [
            line for key, value in messages.items() for line in _flatten(value, _path(prefix, key))
        ]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {m}" if prefix else m for m in messages]
    if isinstance(messages, list):
        return [line for m in messages for line in _flatten(m, prefix)]
    return [f"{prefix}: {messages}"]


def register_error_handlers(app: Flask) -> None:
    """Map every exception to one problem+json envelope; never leak a traceback."""

    @app.errorhandler(ValidationError)
    def invalid_request(error: ValidationError) -> Response:
        lines = _flatten(error.messages)
        return problem(400, "invalid_request", "Invalid request", "; ".join(lines), errors=lines)

    @app.errorhandler(RequestProblem)
    def refused(error: RequestProblem) -> Response:
        return problem(error.status, error.code, "Invalid request", error.detail)

    @app.errorhandler(AuthenticationRequired)
    def unauthorized(error: AuthenticationRequired) -> Response:
        response = problem(401, "unauthorized", "Unauthorized", "a valid bearer token is required")
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return response

    @app.errorhandler(UnknownMarketplace)
    def unknown_marketplace(error: UnknownMarketplace) -> Response:
        return problem(404, "unknown_marketplace", "Unknown marketplace", str(error))

    @app.errorhandler(SnapshotNotFound)
    def not_found(error: SnapshotNotFound) -> Response:
        return problem(404, f"{error.kind}_not_found", "Not found", str(error))

    @app.errorhandler(StoreUnavailable)
    def unavailable(error: StoreUnavailable) -> Response:
        detail = (
            f"{error}; retry shortly"
            if isinstance(error, SnapshotDataMissing)
            else "the snapshot store does not answer; retry shortly"
        )
        response = problem(503, "store_unavailable", "Store unavailable", detail)
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(InvalidTargets)
    def invalid_targets(error: InvalidTargets) -> Response:
        detail = "; ".join(error.problems)
        return problem(400, "invalid_request", "Invalid request", detail, errors=error.problems)

    @app.errorhandler(TooManyIds)
    def too_many_ids(error: TooManyIds) -> Response:
        return problem(400, "too_many_ids", "Invalid request", str(error))

    @app.errorhandler(ActivationRefused)
    def activation_refused(error: ActivationRefused) -> Response:
        return problem(409, "activation_refused", "Activation refused", str(error))

    @app.errorhandler(ConfigRefused)
    def config_refused(error: ConfigRefused) -> Response:
        return problem(
            422, "invalid_config", "Configuration refused", str(error), config_version=error.served
        )

    @app.errorhandler(NoActiveSnapshot)
    def nothing_served(error: NoActiveSnapshot) -> Response:
        response = problem(503, "no_active_snapshot", "Not ready", str(error))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = (error.name or "error").lower().replace(" ", "_")
        response = problem(error.code or 500, code, error.name, error.description or error.name)
        # Keep what the status needs besides the body, e.g. a 405's Allow.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def internal(error: Exception) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        log.exception("unhandled error, request_id=%s", request_id)
        return problem(
            500,
            "internal_error",
            "Internal error",
            f"an internal error occurred (request_id {request_id})",
            request_id=request_id,
        )
