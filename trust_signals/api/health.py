"""Liveness, readiness, status, metrics and the OpenAPI document."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime, time
from typing import Final

from flask import Blueprint, Response

from trust_signals.api.auth import is_auditor
from trust_signals.api.errors import problem
from trust_signals.api.extension import json_response, services, trust_signals
from trust_signals.api.openapi import openapi_document
from trust_signals.errors import TrustSignalsError

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
# What anyone may see of /v1/status; the rest (worker pid, retained snapshots, store and
# config error text, cache figures) names the deployment's internals and needs a token.
PUBLIC_STATUS_FIELDS: Final = ("config_version", "active", "lost", "store_breaker")


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive (no I/O)."""
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready when the store answers and a snapshot is served.

    A marketplace served from the last good view after the store lost its data keeps the
    replica ready (status "degraded", the marketplaces in `lost`): every replica shares the
    store, so a load balancer that pulled them for it would take search down with them,
    while each still answers from what it holds.
    """
    service = trust_signals()
    try:
        service.store.ping()
        view = service.view()
    except TrustSignalsError as error:
        # The error text names the store's address: the log and token holders get it.
        log.warning("not ready: %s", error)
        detail = str(error) if is_auditor() else "the service cannot serve yet; see its log"
        return problem(503, "not_ready", "Not ready", detail)
    if not view.markets:
        return problem(503, "not_ready", "Not ready", "no snapshot is active")
    return json_response(
        {
            "status": "degraded" if view.lost else "ready",
            "config_version": view.config.version,
            "active": {m: k.snapshot.snapshot_id for m, k in view.markets.items()},
            "lost": sorted(view.lost),
        }
    )


@bp.get("/v1/status")
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
def metrics() -> Response:
    """Prometheus text format, summed over every worker."""
    found = services()
    view = found.signals.view()
    as_of = {m: datetime.combine(k.snapshot.as_of, time(), UTC) for m, k in view.markets.items()}
    body = found.metrics.render(as_of, view.lost, found.signals.now)
    return Response(body, mimetype="text/plain; version=0.0.4")


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document, generated from the marshmallow schemas."""
    return json_response(openapi_document())
