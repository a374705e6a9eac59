"""Production gunicorn settings for trust-signals (override any with GUNICORN_CMD_ARGS)."""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("TRUST_SIGNALS_BIND", "127.0.0.1:8080")
# One process per core, each with its own cache: CPU-bound Python work gains nothing from
# more threads than the GIL runs, and sync workers take one connection at a time, so a
# keep-alive caller cannot pin its traffic to one busy worker while another sits idle.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
backlog = 2048
timeout = 30
graceful_timeout = 20
keepalive = 2
# nginx in front (deploy/) refuses what is over its limits in problem+json; gunicorn's limits
# sit at or above nginx's, so gunicorn never refuses in HTML what nginx let through. The
# request line also carries GET /v1/badges with 100 ids of 64 characters (~6.6 KB, over
# gunicorn's 4094 default).
limit_request_line = 8190  # gunicorn's maximum; nginx's 8 KB buffer holds as much
limit_request_field_size = 16384  # nginx's 8,190 plus what it appends to X-Forwarded-For
limit_request_fields = 32768  # gunicorn's maximum; nginx bounds the whole header at 32 KB
preload_app = False  # each worker builds its own store connections and cache after fork
logger_class = "trust_signals.api.access_log.JsonAccessLogger"
accesslog = "-"
errorlog = "-"
loglevel = "info"
wsgi_app = "trust_signals.api:create_app()"


# prometheus_client chooses between in-memory and multiprocess metrics when it is first
# imported, and the master imports it before any hook runs (through logger_class above), so
# the directory is named here, as the config is read. Workers then write their own files
# there and any worker's /metrics sums them.
_OWN_METRICS_DIR = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _OWN_METRICS_DIR = tempfile.mkdtemp(prefix="trust-signals-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _OWN_METRICS_DIR


def post_worker_init(worker):
    """Settle the garbage collector once the app is built (see the function's docstring)."""
    from trust_signals.bootstrap import settle_garbage_collector

    settle_garbage_collector()


def child_exit(server, worker):
    """Forget a dead worker's live gauges so sums cover live workers only."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory this server created (never one it was given)."""
    if _OWN_METRICS_DIR is not None:
        shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)
