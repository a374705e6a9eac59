"""nginx (deploy/nginx.conf.template) in front of gunicorn: slow clients cost no worker."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from load_tests.proxy import Proxy, configured_seconds, proxied
from load_tests.server import free_port
from load_tests.slow_clients import run
from tests.e2e.server import running_service

pytestmark = pytest.mark.e2e
WORKERS = 2
BADGES = "/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-2"
HUNDRED_IDS = "/v1/badges?marketplace=US&surface=pdp&offer_ids=" + ",".join(
    f"{i:064d}" for i in range(100)
)
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


@dataclass(frozen=True)
class Stack:
    """nginx in front of gunicorn, and gunicorn's log (one JSON line per request it served)."""

    proxy: Proxy
    gunicorn_log: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """gunicorn (2 workers) over the small snapshots behind nginx; both stopped by PID."""
    directory = tmp_path_factory.mktemp("slow-clients")
    with (
        running_service(directory, workers=WORKERS) as service,
        proxied(service.base.removeprefix("http://")) as proxy,
    ):
        yield Stack(proxy, directory / "gunicorn.log")


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes to nginx; (status, lower-cased headers, body) of its answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (h.split(":", 1) for h in lines)}
    return int(status_line.split()[1]), headers, body


def _length(data: bytes) -> int:
    head = data.partition(b"\r\n\r\n")[0].lower()
    for line in head.split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 1 << 30  # no length: read until nginx closes


def get(target: str, *headers: str) -> bytes:
    """A raw GET that asks nginx to close once it has answered."""
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def badges_line_of(length: int) -> str:
    """A GET /v1/badges target whose request line has `length` characters (ids of 1-64)."""
    target = "/v1/badges?marketplace=US&surface=pdp&offer_ids="
    room = length - len(f"GET {target} HTTP/1.1")
    full = (room - 1) // 65  # ids of 64 and their commas, then one shorter id
    last = room - 65 * full
    assert 1 <= last <= 64
    return target + "A" * 64 + ("," + "A" * 64) * (full - 1) + "," + "B" * last


def test_slow_clients_fail_no_normal_request_through_nginx(stack: Stack) -> None:
    body = requests.get(stack.proxy.base_url + BADGES, timeout=5).json()
    assert [o["badges"][0]["id"] for o in body["offers"]] == ["big_seller", "fast_delivery"]

    outcome = run(stack.proxy.base_url, slow=20, seconds=6.5, normal=40)

    print(f"\nthrough nginx: {outcome.summary()}")
    assert outcome.failures == ()
    assert outcome.requests == 40
    header_timeout = configured_seconds("client_header_timeout")
    headers = [s for s in outcome.slow if s.kind == "headers"]
    bodies = [s for s in outcome.slow if s.kind == "body"]
    assert len(headers) == len(bodies) == 10
    # nginx ends a header that takes too long without an answer; a body that keeps coming
    # stays with nginx (gunicorn sees neither).
    for connection in headers:
        assert connection.closed_after_seconds is not None
        assert header_timeout - 0.5 < connection.closed_after_seconds < header_timeout + 1.5
        assert connection.answer == b""
    assert all(connection.closed_after_seconds is None for connection in bodies)


def test_a_short_body_is_dropped_by_nginx_and_never_holds_a_worker(stack: Stack) -> None:
    body_timeout = configured_seconds("client_body_timeout")
    stalled = []
    for _ in range(WORKERS):  # one per worker: at gunicorn, they would stop all service
        sock = socket.create_connection(("127.0.0.1", stack.proxy.port), timeout=5)
        sock.sendall(
            b"POST /v1/features HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: stalled-body\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"marketplace"'
        )
        stalled.append(sock)
    started = time.monotonic()

    for _ in range(4):
        assert requests.get(stack.proxy.base_url + BADGES, timeout=2).status_code == 200
    ends = []
    for sock in stalled:
        with sock:
            assert select.select([sock], [], [], body_timeout + 3)[0], "nginx kept it open"
            closed_after = time.monotonic() - started
            try:
                answer = sock.recv(65536)
            except ConnectionResetError:
                answer = b""
            ends.append((closed_after, answer))

    # nginx never answers a request it timed out: it logs 408 and closes (resets) it.
    for closed_after, answer in ends:
        assert body_timeout - 0.5 < closed_after < body_timeout + 2
        assert answer == b""
    assert stack.proxy.log().count('"POST /v1/features HTTP/1.1" 408') == WORKERS
    assert "stalled-body" not in stack.gunicorn_log.read_text()
    features = requests.post(
        stack.proxy.base_url + "/v1/features",
        json={"marketplace": "US", "offer_ids": ["O-1"]},
        timeout=2,
    )
    assert (features.status_code, features.json()["missing"]) == (200, [])


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (get(badges_line_of(8191)), 414, "request_uri_too_long"),
        (get(BADGES, "X-Padding: " + "x" * (8191 - 11)), 431, "request_header_fields_too_large"),
        (
            b"POST /v1/features HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 262145\r\n\r\n",
            413,
            "request_entity_too_large",
        ),
    ],
    ids=["malformed", "request-line-over-8190", "header-line-over-8190", "body-over-256KiB"],
)
def test_nginx_refuses_in_problem_json(stack: Stack, raw: bytes, status: int, code: str) -> None:
    got_status, headers, body = exchange(stack.proxy.port, raw)

    problem = json.loads(body)
    assert (got_status, headers["content-type"]) == (status, "application/problem+json")
    assert set(problem) == PROBLEM_KEYS
    assert (problem["status"], problem["code"], problem["type"]) == (
        status,
        code,
        f"about:blank#{code}",
    )


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (get(HUNDRED_IDS), 400, "too_many_ids"),
        (get(badges_line_of(8190)), 400, "too_many_ids"),
        (get(BADGES, "X-Forwarded-For: " + "1" * (8190 - 17)), 200, None),
        (get(BADGES, *(f"X-Header-{i}: {i}" for i in range(500))), 200, None),
    ],
    ids=["100-ids-of-64", "request-line-of-8190", "header-line-of-8190", "500-headers"],
)
def test_requests_within_nginx_limits_reach_the_app(
    stack: Stack, raw: bytes, status: int, code: str | None
) -> None:
    got_status, headers, body = exchange(stack.proxy.port, raw)

    assert got_status == status
    assert headers["content-type"].startswith("application/")  # the app's JSON, never HTML
    assert json.loads(body).get("code") == code


def test_nginx_answers_502_in_problem_json_when_gunicorn_is_down() -> None:
    with proxied(f"127.0.0.1:{free_port()}") as proxy:
        response = requests.get(proxy.base_url + BADGES, timeout=5)

    assert (response.status_code, response.headers["Content-Type"]) == (
        502,
        "application/problem+json",
    )
    assert response.json()["code"] == "bad_gateway"
