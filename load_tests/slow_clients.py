"""Slow clients against the service: do normal requests still get right answers, and how fast?

Run from the repository root: `.venv/bin/python -m load_tests.slow_clients` runs the same
scenario against gunicorn alone and through nginx (deploy/nginx.conf.template), both over the
small e2e test snapshots with 2 workers, and prints failed requests and p99 for each. Half
the slow connections send a request header at 1 byte/s, half a POST body at 1 byte/s, while
normal requests (GET /v1/badges, POST /v1/features) arrive spread over the run. Traffic goes
to 127.0.0.1 only; every process started is stopped by its PID.
"""

from __future__ import annotations

import argparse
import select
import socket
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from load_tests.proxy import proxied
from tests.e2e.server import running_service

REQUEST_TIMEOUT_SECONDS = 2.0
_SETTLE_SECONDS = 1.0  # slow connections open (and take gunicorn's workers) before the rest
_PADDING = b"x" * 200  # more bytes than any run lasts seconds: a slow request never completes


@dataclass(frozen=True, slots=True)
class NormalRequest:
    """One request a search or ranking caller sends."""

    method: str
    path: str
    json: dict[str, object] | None = None


NORMAL_REQUESTS = (
    NormalRequest("GET", "/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-2"),
    NormalRequest("POST", "/v1/features", {"marketplace": "US", "offer_ids": ["O-1", "nope"]}),
)


@dataclass(frozen=True, slots=True)
class SlowConnection:
    """How one slow connection ended."""

    kind: str  # "headers" or "body"
    closed_after_seconds: float | None  # None: still open when the run ended
    answer: bytes  # what the server sent before closing


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the normal requests got while the slow connections dribbled."""

    latencies_seconds: tuple[float, ...]  # of the requests answered right
    failures: tuple[str, ...]  # one line per request that failed or answered wrong
    slow: tuple[SlowConnection, ...]

    @property
    def requests(self) -> int:
        """Normal requests sent."""
        return len(self.latencies_seconds) + len(self.failures)

    def p99_seconds(self) -> float | None:
        """The 99th percentile latency of the right answers; None if there were none."""
        if len(self.latencies_seconds) < 2:
            return self.latencies_seconds[0] if self.latencies_seconds else None
        return statistics.quantiles(self.latencies_seconds, n=100, method="inclusive")[98]

    def summary(self) -> str:
        """One line: failed requests, p99 of the right answers, slow connections closed."""
        p99 = self.p99_seconds()
        closed = sum(s.closed_after_seconds is not None for s in self.slow)
        return (
            f"failed {len(self.failures)}/{self.requests} normal requests, p99 "
            + ("n/a" if p99 is None else f"{p99 * 1000:.1f} ms")
            + f"; {closed}/{len(self.slow)} slow connections closed by the server"
        )


def run(base_url: str, *, slow: int = 20, seconds: float = 6.0, normal: int = 40) -> Outcome:
    """Open `slow` slow connections for `seconds`; send `normal` requests spread over them."""
    expected = [_reference(base_url, request) for request in NORMAL_REQUESTS]
    address = urlsplit(base_url)
    host_port = (address.hostname or "127.0.0.1", address.port or 80)
    started = time.monotonic()
    until = started + seconds
    with ThreadPoolExecutor(max_workers=slow + normal) as pool:
        dribblers = [
            pool.submit(_dribble, host_port, "headers" if i % 2 == 0 else "body", until)
            for i in range(slow)
        ]
        first = started + _SETTLE_SECONDS
        spacing = max(seconds - _SETTLE_SECONDS - REQUEST_TIMEOUT_SECONDS, 0.0) / normal
        answers = [
            pool.submit(
                _timed_request,
                base_url,
                NORMAL_REQUESTS[i % len(NORMAL_REQUESTS)],
                expected[i % len(NORMAL_REQUESTS)],
                first + i * spacing,
            )
            for i in range(normal)
        ]
        results = [future.result() for future in answers]
        ended = tuple(future.result() for future in dribblers)
    latencies = tuple(elapsed for elapsed, failure in results if failure is None)
    failures = tuple(failure for _, failure in results if failure is not None)
    return Outcome(latencies, failures, ended)


def _reference(base_url: str, request: NormalRequest) -> tuple[int, object]:
    """The answer an idle server gives (retried for a few seconds while it settles)."""
    deadline = time.monotonic() + 10.0
    while True:
        try:
            response = _send(base_url, request)
            if response.status_code == 200:
                return response.status_code, response.json()
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{request.method} {request.path}: no 200 from {base_url}")
        time.sleep(0.2)


def _send(base_url: str, request: NormalRequest) -> requests.Response:
    # requests.request opens a fresh connection per call, as a new caller would.
    return requests.request(
        request.method,
        base_url + request.path,
        json=request.json,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )


def _timed_request(
    base_url: str,
    request: NormalRequest,
    expected: tuple[int, object],
    at: float,
) -> tuple[float, str | None]:
    """(seconds taken, None) for the expected answer, else (seconds, what went wrong)."""
    time.sleep(max(at - time.monotonic(), 0.0))
    started = time.monotonic()
    try:
        response = _send(base_url, request)
        got: tuple[int, object] = (response.status_code, response.json())
    except (requests.RequestException, ValueError) as error:
        return time.monotonic() - started, f"{request.method} {request.path}: {error!r}"
    elapsed = time.monotonic() - started
    if got != expected:
        return elapsed, f"{request.method} {request.path}: {got[0]} {str(got[1])[:200]}"
    return elapsed, None


def _slow_request(kind: str, host: str) -> tuple[bytes, bytes]:
    """(sent at once, sent at 1 byte/s): a header that never ends, or a body that never ends."""
    if kind == "headers":
        head = b"GET /v1/badges?marketplace=US&surface=search&offer_ids=O-1 HTTP/1.1\r\n"
        return b"", head + f"Host: {host}\r\nX-Padding: ".encode() + _PADDING
    body = b'{"marketplace": "US", "offer_ids": ["O-1"], "padding": "' + _PADDING + b'"}'
    head = (
        f"POST /v1/features HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode(), body


def _dribble(host_port: tuple[str, int], kind: str, until: float) -> SlowConnection:
    """Send a request at 1 byte/s until `until` or until the server closes the connection."""
    at_once, dribbled = _slow_request(kind, host_port[0])
    started = time.monotonic()
    with socket.create_connection(host_port, timeout=REQUEST_TIMEOUT_SECONDS) as sock:
        try:
            sock.sendall(at_once)
            for byte in dribbled:
                sock.sendall(bytes([byte]))
                wait = min(1.0, until - time.monotonic())
                if wait <= 0:
                    return SlowConnection(kind, None, b"")
                if select.select([sock], [], [], wait)[0]:
                    return SlowConnection(kind, time.monotonic() - started, _read_to_close(sock))
        except OSError:  # reset by the server
            return SlowConnection(kind, time.monotonic() - started, b"")
    return SlowConnection(kind, None, b"")


def _read_to_close(sock: socket.socket) -> bytes:
    """Whatever the server sends until it closes (b"" when it closes or resets at once)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except OSError:
        pass
    return received


def main(argv: Sequence[str] | None = None) -> int:
    """Print the scenario's figures for gunicorn alone and for nginx in front of it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=20, help="slow connections")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long they dribble")
    parser.add_argument("--requests", type=int, default=40, help="normal requests")
    args = parser.parse_args(argv)
    figures = {"slow": args.slow, "seconds": args.seconds, "normal": args.requests}
    with (
        tempfile.TemporaryDirectory(prefix="trust-signals-slow-") as directory,
        running_service(Path(directory), workers=2) as service,
    ):
        print(f"gunicorn alone: {run(service.base, **figures).summary()}", flush=True)
        with proxied(service.base.removeprefix("http://")) as proxy:
            print(f"nginx in front: {run(proxy.base_url, **figures).summary()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
