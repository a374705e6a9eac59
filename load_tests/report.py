"""Load-run reports: Locust's CSV read per consumer, worker CPU and memory, plain-text tables."""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from load_tests.budgets import ConsumerFigures
from load_tests.server import ROOT, ProcessSample

_MB = 1024 * 1024
# Which consumer a request path belongs to: (prefix, suffix, consumer), as the locustfile calls.
_CONSUMER_PATHS = (
    ("/v1/badges", "", "search"),
    ("/v1/offers/", "", "pdp"),
    ("/v1/features", "", "ranking"),
    ("/v1/sellers/", "/profile", "spp"),
    ("/v1/sellers/", "/benchmark", "benchmark"),
)


def code_version() -> str:
    """The commit measured, "+dirty" when the service's code differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "trust_signals", "gunicorn.conf.py")
    return commit + ("+dirty" if dirty else "")


def _number(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def read_locust_stats(path: Path) -> dict[str, ConsumerFigures]:
    """Per-consumer figures from Locust's `<prefix>_stats.csv` (the Aggregated row as `total`)."""
    figures = {}
    with path.open(newline="") as rows:
        for row in csv.DictReader(rows):
            name = "total" if row["Name"] == "Aggregated" else row["Name"]
            figures[name] = ConsumerFigures(
                name,
                int(row["Request Count"]),
                int(row["Failure Count"]),
                float(row["Requests/s"]),
                _number(row["50%"]),
                _number(row["95%"]),
                _number(row["99%"]),
            )
    return figures


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain-text table, columns right-aligned after the first."""
    body = [list(header), *(list(r) for r in rows)]
    widths = [max(len(r[i]) for r in body) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in body
    ]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def server_latencies(access_log: Path) -> dict[str, tuple[float, float]]:
    """Server-side p50 and p99 (ms) per consumer, from gunicorn's JSON access log lines.

    gunicorn times a request from its parsing to the last byte written, so the gap to what
    Locust saw is time queued for a worker plus the client's own delays.
    """
    durations: dict[str, list[float]] = {}
    with access_log.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"ts"'):
                entry = orjson.loads(line)
                if "path" not in entry:  # an error or app event, not a request
                    continue
                consumer = _consumer(entry["path"])
                if consumer is not None:
                    durations.setdefault(consumer, []).append(entry["duration_ms"])
    return {name: _p50_p99(values) for name, values in durations.items()}


def _consumer(path: str) -> str | None:
    for prefix, suffix, name in _CONSUMER_PATHS:
        if path.startswith(prefix) and path.endswith(suffix):
            return name
    return None


def _p50_p99(values: list[float]) -> tuple[float, float]:
    values.sort()
    return values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))]


def consumer_table(
    figures: Mapping[str, ConsumerFigures],
    budgets: Mapping[str, float],
    server_side: Mapping[str, tuple[float, float]] | None = None,
) -> str:
    """req/s, p50, p95, p99 (ms), errors and the p99 budget per consumer, then the total;
    with the server's own p50/p99 when the access log was read."""
    order = [n for n in figures if n != "total"] + (["total"] if "total" in figures else [])
    rows = [
        (
            name,
            f"{f.requests:,}",
            f"{f.rps:,.1f}",
            _ms(f.p50_ms),
            _ms(f.p95_ms),
            _ms(f.p99_ms),
            _ms(budgets.get(name)),
            f"{f.failures} ({f.error_rate:.2%})",
            _server(server_side, name),
        )
        for name in order
        for f in [figures[name]]
    ]
    header = ("consumer", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "budget", "errors")
    return table([*header, "server p50/p99 ms"], rows)


def _server(server_side: Mapping[str, tuple[float, float]] | None, name: str) -> str:
    found = (server_side or {}).get(name)
    return "-" if found is None else f"{found[0]:.1f} / {found[1]:.1f}"


@dataclass(frozen=True, slots=True)
class WorkerUsage:
    """One worker over a run: CPU seconds used, share of one core, and memory at the start,
    half-way, at its peak and at the end (growth after half-way would be a leak)."""

    pid: int
    cpu_seconds: float
    core_share: float
    rss_first_mb: float
    rss_half_mb: float
    rss_max_mb: float
    rss_last_mb: float


def worker_usage(
    before: Mapping[int, ProcessSample],
    after: Mapping[int, ProcessSample],
    rss_series: Sequence[Mapping[int, ProcessSample]],
    seconds: float,
) -> list[WorkerUsage]:
    """Per-worker CPU between the two samples and RSS over the series (workers in both)."""
    usage = []
    for pid in sorted(set(before) & set(after)):
        cpu = after[pid].cpu_seconds - before[pid].cpu_seconds
        rss = [s[pid].rss_bytes / _MB for s in rss_series if pid in s] or [
            after[pid].rss_bytes / _MB
        ]
        usage.append(
            WorkerUsage(
                pid,
                cpu,
                cpu / seconds if seconds else 0.0,
                rss[0],
                rss[len(rss) // 2],
                max(rss),
                rss[-1],
            )
        )
    return usage


def worker_table(usage: Sequence[WorkerUsage]) -> str:
    """CPU seconds, core share, share of all workers' CPU, and RSS per worker."""
    total = sum(u.cpu_seconds for u in usage) or 1.0
    rows = [
        (
            str(u.pid),
            f"{u.cpu_seconds:.1f}",
            f"{u.core_share:.0%}",
            f"{u.cpu_seconds / total:.0%}",
            " / ".join(
                f"{mb:.0f}" for mb in (u.rss_first_mb, u.rss_half_mb, u.rss_max_mb, u.rss_last_mb)
            ),
        )
        for u in usage
    ]
    header = (
        "worker pid",
        "cpu s",
        "of a core",
        "of workers' cpu",
        "private MB first/half/max/last",
    )
    return table(header, rows)
