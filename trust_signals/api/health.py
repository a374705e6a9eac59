"""Liveness, readiness, status, metrics and the OpenAPI document."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime, time
from typing import Final

from flask import Blueprint, Response, current_app

from trust_signals.api.auth import is_auditor
from trust_signals.api.errors import problem
from trust_signals.api.extension import json_response, services, trust_signals
from trust_signals.api.openapi import documented, openapi_document
from trust_signals.api.responses import (
    HealthResponseSchema,
    OpenApiResponseSchema,
    ReadyResponseSchema,
    StatusResponseSchema,
)
from trust_signals.errors import TrustSignalsError

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
# What anyone may see of /v1/status; the rest (worker pid, retained snapshots, store and
# config error text, cache figures) names the deployment's internals and needs a token.
PUBLIC_STATUS_FIELDS: Final = ("config_version", "active", "lost", "store_breaker")


@bp.get("/healthz")
@documented("The process is alive (no I/O)", HealthResponseSchema)
def healthz() -> Response:
    """The process is alive (no I/O)."""
    return json_response({"status": "ok"})


@bp.get("/readyz")
@documented(
    "Ready: the store answers and a snapshot is served (the error text needs a token)",
    ReadyResponseSchema,
    problems=(503,),
    access="anyone_more_with_token",
)
def readyz() -> Response:
    """Ready when the store answers and a snapshot is served.

    A marketplace served from the last good view after the store lost its data keeps the
    replica ready (status "degraded", the marketplaces in `lost`): every replica shares the
    store, so a load balancer that pulled them for it would take search down with them,
    while each still answers from what it holds.
    """
    try:
        found = trust_signals().readiness()
    except TrustSignalsError as error:
        # The error text names the store's address: the log and token holders get it.
        log.warning("not ready: %s", error)
        detail = str(error) if is_auditor() else "the service cannot serve yet; see its log"
        return problem(503, "not_ready", "Not ready", detail)
    if not found.active:
        return problem(503, "not_ready", "Not ready", "no snapshot is active")
    status = "degraded" if found.lost else "ready"
    return json_response({"status": status, **asdict(found)})


@bp.get("/v1/status")
@documented(
    "Active snapshots, config version, lost marketplaces, breaker state; more with a token",
    StatusResponseSchema,
    problems=(503,),
    access="anyone_more_with_token",
)
def status() -> Response:
    """Active snapshot per marketplace, config version, lost marketplaces, breaker state;
    with the audit or admin token also the pid, retained snapshots, errors and cache stats."""
    found = trust_signals().status()
    body = {
        **found,
        "active": {m: asdict(info) for m, info in found["active"].items()},
        "snapshots": (
            None if found["snapshots"] is None else [asdict(info) for info in found["snapshots"]]
        ),
    }
    if not is_auditor():
        body = {key: body[key] for key in PUBLIC_STATUS_FIELDS}
    return json_response(body)


@bp.get("/metrics")
@documented("Prometheus metrics, summed over every worker", None, problems=(503,))
def metrics() -> Response:
    """Prometheus text format, summed over every worker."""
    found = services()
    view = found.signals.view()
    as_of = {m: datetime.combine(k.snapshot.as_of, time(), UTC) for m, k in view.markets.items()}
    body = found.metrics.render(as_of, view.lost, found.signals.now)
    return Response(body, mimetype="text/plain; version=0.0.4")


@bp.get("/openapi.json")
@documented("This OpenAPI 3 document", OpenApiResponseSchema)
def openapi() -> Response:
    """The OpenAPI 3 document of the app's routes, generated from their schemas."""
    return json_response(openapi_document(current_app))
