"""The Flask app factory: wires services, blueprints, errors and request metrics."""

from __future__ import annotations

import os
import re
import time
import uuid

from flask import Flask, Response, g, request

from trust_signals import bootstrap
from trust_signals.api import admin, audit, badges, coaching, health, profiles, ranking
from trust_signals.api.access_log import REQUEST_ID_HEADER
from trust_signals.api.errors import register_error_handlers
from trust_signals.api.extension import DEGRADED_HEADER, Services, install, trust_signals
from trust_signals.api.metrics import Metrics
from trust_signals.config import Settings, load_settings
from trust_signals.service.reads import Clock
from trust_signals.store.base import ServingStore
from trust_signals.web import pages

MAX_BODY_BYTES = 256 * 1024  # 1,000 ids of 64 characters fit in ~70 KB
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]+")


def create_app(
    settings: Settings | None = None,
    *,
    store: ServingStore | None = None,
    clock: Clock = bootstrap.utc_now,
    background_refresh: bool = True,
) -> Flask:
    """Build the app; each gunicorn worker calls this after the fork (no --preload)."""
    settings = settings or load_settings(os.environ)
    store = store or bootstrap.build_store(settings)
    signals = bootstrap.build_trust_signals(settings, store, clock)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    metrics = Metrics(settings.metrics_dir)
    admin_calls = bootstrap.build_administration(settings, store, signals)
    install(app, Services(signals, admin_calls, settings, metrics))
    for module in (badges, profiles, coaching, ranking, audit, health, admin, pages):
        app.register_blueprint(module.bp)
    register_error_handlers(app)

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()
        g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def record(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.observe(
            endpoint,
            response.status_code,
            elapsed,
            trust_signals().cache_stats(),
            degraded=DEGRADED_HEADER in response.headers,
        )
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or request_id(None)
        return response

    if background_refresh:
        bootstrap.start_refresher(signals, settings.reload_interval_seconds)
    return app


def request_id(given: str | None) -> str:
    """The caller's X-Request-Id when it is a plain token (so it can follow a request across
    services), else a fresh one."""
    if given and len(given) <= 128 and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex
