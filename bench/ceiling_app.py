"""Framework ceiling for bench/http_ratio.py: a minimal Flask app returning precomputed bodies.

GET /v1/badges serves the bytes of the file named by TRUST_SIGNALS_CEILING_BODY (a real
48-offer search badges response), so the only work left is Flask's and gunicorn's own.
GET /v1/static42k serves a 42 KB body, the size the issue's reference ceiling was measured at.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

BODY_ENV = "TRUST_SIGNALS_CEILING_BODY"
STATIC_BYTES = 42 * 1024


def create_app() -> Flask:
    """The ceiling app; reads the body once, when the worker builds the app."""
    body = Path(os.environ[BODY_ENV]).read_bytes()
    static = b'{"pad":"' + b"x" * (STATIC_BYTES - 10) + b'"}'
    app = Flask(__name__)

    @app.get("/v1/badges")
    def badges() -> Response:
        return Response(body, mimetype="application/json")

    @app.get("/v1/static42k")
    def static_42k() -> Response:
        return Response(static, mimetype="application/json")

    return app
