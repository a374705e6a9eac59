"""HTTP layer: the WSGI app factory any server can use."""

from trust_signals.api.app import create_app

__all__ = ["create_app"]
