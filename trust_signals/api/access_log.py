"""gunicorn logger writing JSON lines: one per request, and every error and app event with
the id of the request it belongs to."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from typing import Any

import orjson
from flask import g, has_request_context
from gunicorn.glogging import Logger

REQUEST_ID_HEADER = "X-Request-Id"
# A seller page's link token (web.links) opens the page to whoever holds it: never logged.
_LINK_TOKEN = re.compile(r"(^|&)t=[^&]*")


def redacted_query(query: str) -> str:
    """The query string with a link token's value left out."""
    return _LINK_TOKEN.sub(r"\1t=[redacted]", query)


class JsonAccessLogger(Logger):
    """Access log lines as JSON objects, safe whatever the client sends; gunicorn's error
    log and the app's own loggers ('trust_signals.*') as JSON lines on the error log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = JsonFormatter()
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)
            handler.addFilter(RequestIdFilter())
        app_log = logging.getLogger("trust_signals")
        app_log.handlers = list(self.error_log.handlers)
        app_log.setLevel(self.error_log.level)
        app_log.propagate = False

    def access(
        self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: dt.timedelta
    ) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        headers = dict(getattr(resp, "headers", None) or [])
        line = {
            "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": redacted_query(environ.get("QUERY_STRING", ""))[:512],
            "status": resp.status_code if hasattr(resp, "status_code") else str(resp.status)[:3],
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "remote": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT", "")[:256],
            "request_id": headers.get(REQUEST_ID_HEADER),
        }
        self.access_log.info(orjson.dumps(line).decode())


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "pid": record.process,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()
