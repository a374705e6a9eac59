"""The app's services, kept in app.extensions with a typed accessor for the views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from flask import Flask, Response, current_app, request

from trust_signals.api.errors import RequestProblem
from trust_signals.api.metrics import Metrics
from trust_signals.api.schemas import ID_RULE as _ID
from trust_signals.config import Settings
from trust_signals.service.administration import Administration
from trust_signals.service.answers import Envelope
from trust_signals.service.reads import TrustSignals

KEY = "trust_signals"


@dataclass(frozen=True, slots=True)
class Services:
    """What the views need: the read service, the admin use cases, the settings."""

    signals: TrustSignals
    admin: Administration
    settings: Settings
    metrics: Metrics


def install(app: Flask, services: Services) -> None:
    """Keep the services in the app's documented extension slot."""
    app.extensions[KEY] = services


def services() -> Services:
    """The current app's services."""
    found: Services = current_app.extensions[KEY]
    return found


def trust_signals() -> TrustSignals:
    """The current app's read service."""
    return services().signals


DEGRADED_HEADER = "X-Trust-Signals-Degraded"


def json_response(body: Any, status: int = 200, *, degraded: bool = False) -> Response:
    """A JSON response serialised with orjson (several times faster than the stdlib).

    A degraded answer (the store failed; what the cache could not answer is left out) says
    so in its body and in a header that proxies and dashboards can see.
    """
    if degraded:
        body["degraded"] = True
    response = Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
        status=status,
        mimetype="application/json",
    )
    if degraded:
        response.headers[DEGRADED_HEADER] = "true"
    return response


def json_body() -> Any:
    """The request's JSON body; a clear 400 when it is missing or malformed."""
    raw = request.get_data(cache=False)
    if not raw:
        raise RequestProblem(400, "invalid_json", "the request needs a JSON body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise RequestProblem(400, "invalid_json", f"malformed JSON body: {error}") from None


def answer_response(
    envelope: Envelope, body: dict[str, Any], *, degraded: bool = False
) -> Response:
    """The one envelope of every answer: what it was computed from, then its body."""
    return json_response(
        {
            "snapshot_id": envelope.snapshot_id,
            "config_version": envelope.config_version,
            "marketplace": envelope.marketplace,
            **body,
        },
        degraded=degraded,
    )


def check_path_id(value: str, what: str) -> str:
    """A path id that follows the id rule, else a 400 naming it."""
    if _ID.match(value) is None:
        raise RequestProblem(
            400,
            "invalid_request",
            f"malformed {what} {value[:70]!r}: an id is 1-64 characters of A-Z a-z 0-9 . _ -",
        )
    return value
