"""The Flask app factory: wires services, blueprints, errors and request metrics."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request

from trust_signals import bootstrap
from trust_signals.api import admin, audit, badges, health, profiles, ranking
from trust_signals.api.errors import register_error_handlers
from trust_signals.api.extension import DEGRADED_HEADER, Services, install, trust_signals
from trust_signals.api.metrics import Metrics
from trust_signals.config import Settings, load_settings
from trust_signals.service import Clock
from trust_signals.store.base import ServingStore

MAX_BODY_BYTES = 256 * 1024  # 1,000 ids of 64 characters fit in ~70 KB


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
    install(app, Services(signals, store, settings, metrics))
    for module in (badges, profiles, ranking, audit, health, admin):
        app.register_blueprint(module.bp)
    register_error_handlers(app)

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

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
        return response

    if background_refresh:
        bootstrap.start_refresher(signals, settings.reload_interval_seconds)
    return app
