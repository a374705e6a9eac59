"""TrustSignalsClient against the real server under gunicorn, and against real failing servers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
import requests

import trust_signals
from tests.arrow_tables import matrix, table_metadata
from tests.e2e.server import API_CONFIG, free_port, running_service
from trust_signals.client import (
    Badge,
    BadgesResult,
    Benchmark,
    Coaching,
    CoachingCohort,
    Cohort,
    CohortPlace,
    FeaturesResult,
    MalformedResponse,
    MoreGood,
    NotFound,
    OfferResult,
    PooledCohort,
    Programs,
    RequestRejected,
    SellerProfile,
    ServiceUnavailable,
    StageComparison,
    Status,
    TrustSignalsClient,
    WhatIf,
)

pytestmark = pytest.mark.e2e
# Generous for the real server on a shared 2-core machine. Stubs answer at once or after
# SLOW_SECONDS, so a 0.25 s read budget tells a slow stub from a loaded machine.
REAL_TIMEOUT = (1.0, 5.0)
STUB_TIMEOUT = (1.0, 0.25)
SLOW_SECONDS = 0.6
ARROW = "application/vnd.apache.arrow.stream"
BIG_SELLER = Badge("big_seller", "badge.big_seller", "seller")
FAST_DELIVERY = Badge("fast_delivery", "badge.fast_delivery", "offer")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn (1 worker) over the small US and DE snapshots; stopped by its PID afterwards."""
    with running_service(tmp_path_factory.mktemp("client-e2e"), workers=1) as running:
        yield running.base


@pytest.fixture(scope="module")
def config_version(service: str) -> str:
    """The config version the real server reports."""
    return str(requests.get(f"{service}/v1/status", timeout=5).json()["config_version"])


@pytest.fixture
def real(service: str) -> Iterator[TrustSignalsClient]:
    """A fail-open client of the real server."""
    with TrustSignalsClient(service, timeout=REAL_TIMEOUT) as client:
        yield client


# -- stub servers that fail for real ----------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What a stub answers: a status and body, after a delay, or a dropped connection."""

    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    delay_seconds: float = 0.0
    hang_up: bool = False


@dataclass(frozen=True)
class Seen:
    """A request a stub received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    client_port: int


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) leaves a broken pipe here: expected, not news."""


class StubServer:
    """An HTTP server on a free loopback port answering `reply(seen)`; records every request."""

    def __init__(self, reply: Callable[[Seen], Reply]) -> None:
        self.reply = reply
        self.seen: list[Seen] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen = Seen(
                    self.command,
                    self.path,
                    dict(self.headers),
                    json.loads(raw) if raw else None,
                    self.client_address[1],
                )
                stub.seen.append(seen)
                reply = stub.reply(seen)
                time.sleep(reply.delay_seconds)
                if reply.hang_up:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = answer

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the per-request log line."""

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def stub() -> Iterator[Callable[[Callable[[Seen], Reply]], StubServer]]:
    """Starts stub servers; shuts every one down afterwards."""
    started: list[StubServer] = []

    def start(reply: Callable[[Seen], Reply]) -> StubServer:
        started.append(StubServer(reply))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: a port bound, read, then closed."""
    return f"http://127.0.0.1:{free_port()}"


def stub_client(base_url: str, **options: Any) -> TrustSignalsClient:
    """A client of a stub server, with the stub read budget."""
    return TrustSignalsClient(base_url, timeout=STUB_TIMEOUT, **options)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def badges_body(seen: Seen, snapshot_id: str = "US-A") -> bytes:
    """A valid badges answer giving every asked offer one badge named after it."""
    ids = seen.body["offer_ids"]
    offers = [{"offer_id": i, "badges": [{"id": i, "copy_key": i, "level": "offer"}]} for i in ids]
    body = {"snapshot_id": snapshot_id, "config_version": "c1", "marketplace": "US"}
    body |= {"surface": seen.body["surface"], "offers": offers, "missing": []}
    return json.dumps(body).encode()


def real_features_answer(service: str, accept: str = "application/json") -> bytes:
    """The real service's ranking answer for O-1 and an unknown id, for a stub to replay."""
    body = {"marketplace": "US", "offer_ids": ["O-1", "ghost"]}
    headers = {"Accept": accept}
    return requests.post(f"{service}/v1/features", json=body, headers=headers, timeout=5).content


def ok(seen: Seen) -> Reply:
    return Reply(body=badges_body(seen))


PROBLEM_503 = json.dumps(
    {
        "type": "about:blank#store_unavailable",
        "title": "Store unavailable",
        "status": 503,
        "detail": "the snapshot store does not answer; retry shortly",
        "code": "store_unavailable",
    }
).encode()
TROUBLE = {
    "slow": lambda seen: Reply(body=badges_body(seen), delay_seconds=SLOW_SECONDS),
    "503": lambda seen: Reply(503, PROBLEM_503, "application/problem+json"),
    "garbage": lambda seen: Reply(200, b"<html>upstream says hi</html>", "text/html"),
    "fields_missing": lambda seen: Reply(200, b'{"snapshot_id": "US-A"}'),
    "hang_up": lambda seen: Reply(hang_up=True),
}
STRICT_ERROR = {
    "slow": ServiceUnavailable,
    "503": ServiceUnavailable,
    "garbage": MalformedResponse,
    "fields_missing": MalformedResponse,
    "hang_up": ServiceUnavailable,
}
NO_BADGES = BadgesResult(None, None, "US", "search", {"O-1": (), "O-2": ()}, (), degraded=True)


# -- the real service ---------------------------------------------------------------------


def test_badges_for_a_search_page(real: TrustSignalsClient, config_version: str) -> None:
    result = real.badges("US", "search", ["O-1", "O-2", "ghost"])
    assert result == BadgesResult(
        snapshot_id="US-2026-11-27",
        config_version=config_version,
        marketplace="US",
        surface="search",
        badges={"O-1": (BIG_SELLER,), "O-2": (FAST_DELIVERY,), "ghost": ()},
        missing=("ghost",),
        degraded=False,
    )


def test_a_long_id_list_is_split_to_the_service_limit_and_merged_in_order(service: str) -> None:
    ids = ["O-3", "ghost-1", "O-1", "ghost-2", "ghost-3", "O-2", "ghost-4"]
    with TrustSignalsClient(service, timeout=REAL_TIMEOUT, max_badge_ids=5) as client:
        result = client.badges("US", "pdp", ids)
    assert list(result.badges) == ids
    assert result.badges["O-1"] == (BIG_SELLER, FAST_DELIVERY)
    assert result.badges["O-2"] == (FAST_DELIVERY,)
    assert result.missing == ("ghost-1", "ghost-2", "ghost-3", "ghost-4")
    assert not result.degraded


def test_a_batch_over_the_service_limit_is_the_callers_bug(service: str) -> None:
    with (
        TrustSignalsClient(service, timeout=REAL_TIMEOUT, max_badge_ids=10) as client,
        pytest.raises(RequestRejected) as raised,
    ):
        client.badges("US", "search", [f"O-{n}" for n in range(7)])
    error = raised.value
    assert (error.status, error.code, error.detail) == (
        400,
        "too_many_ids",
        "7 ids asked; at most 5 per call",
    )


def test_offer_for_the_pdp(real: TrustSignalsClient, config_version: str) -> None:
    result = real.offer("US", "O-1")
    assert (result.snapshot_id, result.config_version) == ("US-2026-11-27", config_version)
    assert (result.seller_id, result.badges) == ("S-BIG", (BIG_SELLER, FAST_DELIVERY))
    assert [(s.id, s.display) for s in result.seller_stats] == [
        ("on_time_delivery", "96 %"),
        ("orders", "1,440"),
    ]


def test_seller_profile_for_the_spp(real: TrustSignalsClient) -> None:
    result = real.seller_profile("US", "S-BIG")
    assert [(s.id, s.display, s.withheld) for s in result.stats] == [
        ("on_time_delivery", "96 %", False),
        ("orders", "1,440", False),
    ]
    assert result.badges == (BIG_SELLER,)


def test_features_in_batches_with_defaults_for_unknown_offers(service: str) -> None:
    with TrustSignalsClient(service, timeout=REAL_TIMEOUT, max_feature_ids=2) as client:
        result = client.features("US", ["O-1", "ghost", "O-2"])
    assert result.feature_names == (
        "offer_orders_90d_log",
        "offer_on_time_point",
        "seller_tenure_days",
    )
    assert list(result.vectors) == ["O-1", "ghost", "O-2"]
    assert result.vectors["ghost"] == (0.0, 0.5, 0.0)
    assert result.missing_mask == {
        "O-1": (False, False, False),
        "ghost": (True, True, True),
        "O-2": (False, False, False),
    }
    assert (result.missing, result.degraded) == (("ghost",), False)
    assert result.schema_version is not None and result.schema_version.startswith("fs-")


def test_benchmark_programs_and_status(real: TrustSignalsClient, config_version: str) -> None:
    bench = real.benchmark("US", "S-BIG", ["category"])
    assert (bench.dimensions, bench.cohort) == (
        ("category",),
        Cohort("category=electronics", withheld=False, size=2, reason=None),
    )
    assert bench.metrics["fq_index"].cohort_count == 2
    assert [p.seller_id for p in bench.first_party] == ["US-1P"]
    programs = real.programs("marketplace")
    assert [g.group for g in programs.groups] == ["DE", "US"]
    assert programs.snapshot_ids == {"US": "US-2026-11-27", "DE": "DE-2026-11-27"}
    status = real.status()
    assert {m: s.snapshot_id for m, s in status.active.items()} == {
        "US": "US-2026-11-27",
        "DE": "DE-2026-11-27",
    }
    assert status.config_version == config_version
    assert (status.pid, status.snapshots) == (None, ())  # details need a token


def test_without_established_stores_the_comparison_says_so(real: TrustSignalsClient) -> None:
    # The API test config places no store: US and DE are both emerging.
    bench = real.benchmark("US", "S-BIG", ["category"], compare="established")
    programs = real.programs("store_stage")
    assert bench.established == StageComparison(
        (), None, "no established marketplace is served", {}
    )
    assert [(g.group, g.marketplaces) for g in programs.groups] == [("emerging", ("DE", "US"))]


def test_a_benchmark_compares_with_the_established_stores(tmp_path: Any) -> None:
    staged = API_CONFIG.read_text().replace(
        "\n[end]\n", '\n[marketplaces.US]\nstore_stage = "established"\n\n[end]\n'
    )
    with (
        running_service(tmp_path, workers=1, config=staged) as running,
        TrustSignalsClient(running.base, timeout=REAL_TIMEOUT) as client,
    ):
        bench = client.benchmark("US", "S-BIG", ["category"], compare="established")
        programs = client.programs("store_stage")
    # US alone is established: its cohort pooled alone is the cohort itself.
    assert bench.established == StageComparison(
        ("US",),
        PooledCohort("category=electronics", 2, {"US": 2}),
        None,
        {
            metric: CohortPlace(
                own.percentile, own.cohort_p25, own.cohort_median, own.cohort_p75, own.cohort_count
            )
            for metric, own in bench.metrics.items()
            if own.cohort_count is not None
        },
    )
    assert [(g.group, g.marketplaces) for g in programs.groups] == [
        ("emerging", ("DE",)),
        ("established", ("US",)),
    ]


def test_coaching_and_what_if(real: TrustSignalsClient, config_version: str) -> None:
    coaching = real.coaching("US", "S-SMALL", ["category"])
    assert (coaching.config_version, coaching.cohort) == (
        config_version,
        CoachingCohort("category=media", None),
    )
    (badge,) = coaching.badges
    assert (badge.badge_id, badge.rule, badge.criteria[0].more_good) == (
        "big_seller",
        "all",
        MoreGood(880, "orders"),
    )
    assert [(o.badge_id, o.holding, o.not_holding) for o in coaching.offers] == [
        ("fast_delivery", 1, 1)
    ]
    target = {"defect": "late_delivery", "window": "90d", "count": 0}
    projected = real.what_if("US", "S-BIG", [target])
    assert (projected.cohort, projected.targets[0].count, projected.degraded) == (
        CoachingCohort("all", 3),
        0,
        False,
    )
    fq = projected.percentiles[0]
    assert fq.metric == "fq_index" and fq.projected is not None and fq.current is not None
    assert fq.projected > fq.current
    with pytest.raises(RequestRejected) as raised:
        real.what_if("US", "S-SMALL", [{"defect": "damaged", "window": "90d", "count": 121}])
    assert (raised.value.status, raised.value.code, raised.value.detail) == (
        400,
        "invalid_request",
        "targets[0].count: 121 exceeds the seller's 120 orders over 90d",
    )


def test_coaching_calls_fail_open_empty(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    target = {"defect": "damaged", "window": "90d", "count": 0}
    with stub_client(server.base_url) as client:
        coaching = client.coaching("US", "S-1", ["category"])
        projected = client.what_if("US", "S-1", [target], ["category"])
    assert coaching == Coaching(None, None, "US", "S-1", None, (), (), (), degraded=True)
    assert projected == WhatIf(
        None, None, "US", "S-1", ("category",), None, (), (), (), None, degraded=True
    )
    posted = [seen.body for seen in server.seen if seen.method == "POST"]
    assert posted[0] == {"marketplace": "US", "dimensions": ["category"], "targets": [target]}


def test_unknown_offer_raises_not_found_even_in_fail_open_mode(real: TrustSignalsClient) -> None:
    with pytest.raises(NotFound) as raised:
        real.offer("US", "ghost")
    assert (raised.value.code, raised.value.detail) == (
        "offer_not_found",
        "offer 'ghost' not found",
    )


def test_unknown_marketplace_raises_not_found(real: TrustSignalsClient) -> None:
    with pytest.raises(NotFound) as raised:
        real.seller_profile("XX", "S-BIG")
    assert raised.value.code == "unknown_marketplace"


def test_invalid_surface_raises_request_rejected(real: TrustSignalsClient) -> None:
    with pytest.raises(RequestRejected) as raised:
        real.badges("US", "banner", ["O-1"])
    assert (raised.value.status, raised.value.code) == (400, "invalid_request")
    assert "surface" in raised.value.detail


# -- failure made real ---------------------------------------------------------------------


def test_closed_port_gives_no_badges_in_fail_open_mode(closed_port_url: str) -> None:
    with TrustSignalsClient(closed_port_url) as client:
        assert client.badges("US", "search", ["O-1", "O-2"]) == NO_BADGES


def test_closed_port_raises_service_unavailable_in_strict_mode(closed_port_url: str) -> None:
    with (
        TrustSignalsClient(closed_port_url, strict=True) as client,
        pytest.raises(ServiceUnavailable),
    ):
        client.badges("US", "search", ["O-1", "O-2"])


@pytest.mark.parametrize("trouble", list(TROUBLE))
def test_service_trouble_gives_no_badges_in_fail_open_mode(stub: Any, trouble: str) -> None:
    server = stub(TROUBLE[trouble])
    with stub_client(server.base_url) as client:
        assert client.badges("US", "search", ["O-1", "O-2"]) == NO_BADGES


@pytest.mark.parametrize("trouble", list(TROUBLE))
def test_service_trouble_raises_a_typed_error_in_strict_mode(stub: Any, trouble: str) -> None:
    server = stub(TROUBLE[trouble])
    with (
        stub_client(server.base_url, strict=True) as client,
        pytest.raises(STRICT_ERROR[trouble]),
    ):
        client.badges("US", "search", ["O-1", "O-2"])


@pytest.mark.parametrize(
    ("reply", "requests_made"),
    [
        pytest.param(TROUBLE["503"], 2, id="503-retried"),
        pytest.param(lambda s: Reply(502, b"bad gateway", "text/plain"), 2, id="502-retried"),
        pytest.param(lambda s: Reply(504, b"", "text/plain"), 2, id="504-retried"),
        pytest.param(TROUBLE["hang_up"], 2, id="dropped-connection-retried"),
        pytest.param(lambda s: Reply(500, b"{}"), 1, id="500-not-retried"),
        pytest.param(TROUBLE["slow"], 1, id="read-timeout-not-retried"),
        pytest.param(TROUBLE["garbage"], 1, id="garbage-not-retried"),
    ],
)
def test_only_connection_errors_and_gateway_statuses_are_retried(
    stub: Any, reply: Callable[[Seen], Reply], requests_made: int
) -> None:
    server = stub(reply)
    with stub_client(server.base_url, retries=1) as client:
        client.badges("US", "search", ["O-1"])
    assert len(server.seen) == requests_made


def test_a_rejected_request_is_not_retried_and_raises_in_fail_open_mode(stub: Any) -> None:
    problem = {"status": 400, "code": "invalid_request", "detail": "surface: bad"}
    server = stub(lambda s: Reply(400, json.dumps(problem).encode(), "application/problem+json"))
    with stub_client(server.base_url) as client, pytest.raises(RequestRejected):
        client.badges("US", "search", ["O-1"])
    assert len(server.seen) == 1


def test_strict_error_carries_the_problem_detail(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    with (
        stub_client(server.base_url, strict=True, retries=0) as client,
        pytest.raises(ServiceUnavailable) as raised,
    ):
        client.offer("US", "O-1")
    assert (raised.value.status, raised.value.detail) == (
        503,
        "the snapshot store does not answer; retry shortly",
    )


def test_offer_and_profile_fail_open_without_badges_or_stats(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    with stub_client(server.base_url) as client:
        offer = client.offer("US", "O-1")
        profile = client.seller_profile("US", "S-1")
    assert offer == OfferResult(None, None, "US", "O-1", None, (), (), degraded=True)
    assert profile == SellerProfile(None, None, "US", "S-1", (), (), degraded=True)


def test_seller_facing_calls_fail_open_empty(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    with stub_client(server.base_url) as client:
        bench = client.benchmark("US", "S-1", ["category"])
        programs = client.programs("marketplace")
        status = client.status()
    assert bench == Benchmark(
        None, None, "US", "S-1", ("category",), None, {}, (), (), None, degraded=True
    )
    assert programs == Programs({}, None, "marketplace", "90d", (), degraded=True)
    assert status == Status(None, None, {}, (), None, degraded=True)


def test_features_fail_open_with_the_defaults_learned_from_a_good_answer(
    service: str, stub: Any
) -> None:
    answers = iter([Reply(body=real_features_answer(service))])
    server = stub(lambda seen: next(answers, Reply(503, PROBLEM_503)))
    with stub_client(server.base_url) as client:
        learned = client.features("US", ["O-1", "ghost"])
        result = client.features("US", ["O-2", "O-9"])
    assert result == FeaturesResult(
        snapshot_id=None,
        config_version=None,
        marketplace="US",
        schema_version=learned.schema_version,
        feature_names=learned.feature_names,
        vectors={"O-2": (0.0, 0.5, 0.0), "O-9": (0.0, 0.5, 0.0)},
        missing_mask={"O-2": (True, True, True), "O-9": (True, True, True)},
        missing=(),
        degraded=True,
    )


def test_features_fail_open_with_constructor_defaults_before_any_answer(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    defaults = {"orders_log": 0.0, "on_time": 0.5}
    with stub_client(server.base_url, feature_defaults=defaults) as client:
        result = client.features("US", ["O-1"])
    assert (result.feature_names, result.vectors, result.missing_mask) == (
        ("orders_log", "on_time"),
        {"O-1": (0.0, 0.5)},
        {"O-1": (True, True)},
    )
    assert (result.schema_version, result.degraded) == (None, True)


def test_features_fail_open_with_empty_vectors_when_no_schema_is_known(stub: Any) -> None:
    server = stub(TROUBLE["garbage"])
    with stub_client(server.base_url) as client:
        result = client.features("US", ["O-1"])
    assert result == FeaturesResult(
        None, None, "US", None, (), {"O-1": ()}, {"O-1": ()}, (), degraded=True
    )


# -- ranking as Arrow tables ---------------------------------------------------------------


def test_features_table_in_batches_holds_what_features_holds(service: str) -> None:
    ids = ["O-1", "ghost", "O-2"]
    with TrustSignalsClient(service, timeout=REAL_TIMEOUT, max_feature_ids=2) as client:
        table = client.features_table("US", ids)
        result = client.features("US", ids)
    width = len(result.feature_names)
    assert table["offer_id"].to_pylist() == ids
    vectors = np.array([result.vectors[i] for i in ids], dtype=np.float32)
    assert matrix(table, "values", width).tolist() == vectors.tolist()
    assert matrix(table, "missing", width).tolist() == [list(result.missing_mask[i]) for i in ids]
    assert table_metadata(table) == {
        "snapshot_id": result.snapshot_id,
        "config_version": result.config_version,
        "marketplace": "US",
        "schema_version": result.schema_version,
        "feature_names": list(result.feature_names),
        "missing": ["ghost"],
        "degraded": False,
    }


def test_features_table_fails_open_with_the_defaults_learned_from_a_good_answer(
    service: str, stub: Any
) -> None:
    answers = iter([Reply(body=real_features_answer(service, ARROW), content_type=ARROW)])
    server = stub(lambda seen: next(answers, Reply(503, PROBLEM_503)))
    with stub_client(server.base_url) as client:
        learned = client.features_table("US", ["O-1", "ghost"])
        result = client.features_table("US", ["O-2", "O-9"])
    assert result["values"].to_pylist() == [[0.0, 0.5, 0.0], [0.0, 0.5, 0.0]]
    assert result["missing"].to_pylist() == [[True] * 3, [True] * 3]
    assert table_metadata(result) == {
        "marketplace": "US",
        "schema_version": table_metadata(learned)["schema_version"],
        "feature_names": table_metadata(learned)["feature_names"],
        "missing": [],
        "degraded": True,
    }


def test_features_table_asks_for_arrow(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    with stub_client(server.base_url, retries=0) as client:
        client.features_table("US", ["O-1"])
    assert server.seen[0].headers["Accept"] == ARROW


@pytest.mark.parametrize("trouble", list(TROUBLE))
def test_service_trouble_gives_a_table_without_features_when_no_schema_is_known(
    stub: Any, trouble: str
) -> None:
    server = stub(TROUBLE[trouble])
    with stub_client(server.base_url) as client:
        table = client.features_table("US", ["O-1", "O-2"])
    assert table["offer_id"].to_pylist() == ["O-1", "O-2"]
    assert table["values"].to_pylist() == [[], []]
    assert table_metadata(table)["degraded"] is True


@pytest.mark.parametrize("trouble", list(TROUBLE))
def test_service_trouble_raises_a_typed_error_for_a_table_in_strict_mode(
    stub: Any, trouble: str
) -> None:
    server = stub(TROUBLE[trouble])
    with (
        stub_client(server.base_url, strict=True) as client,
        pytest.raises(STRICT_ERROR[trouble]),
    ):
        client.features_table("US", ["O-1", "O-2"])


def test_features_table_fails_open_with_constructor_defaults_before_any_answer(
    stub: Any,
) -> None:
    server = stub(TROUBLE["503"])
    defaults = {"orders_log": 0.0, "on_time": 0.5}
    with stub_client(server.base_url, feature_defaults=defaults) as client:
        table = client.features_table("US", ["O-1"])
    assert (table["values"].to_pylist(), table["missing"].to_pylist()) == (
        [[0.0, 0.5]],
        [[True, True]],
    )
    assert table_metadata(table)["feature_names"] == ["orders_log", "on_time"]


# -- batching, versions, headers, pooling -------------------------------------------------


def test_seven_ids_with_a_limit_of_five_make_two_calls_merged_in_order(stub: Any) -> None:
    server = stub(ok)
    ids = [f"O-{n}" for n in range(7)]
    with stub_client(server.base_url, max_badge_ids=5) as client:
        result = client.badges("US", "search", ids)
    assert [s.body["offer_ids"] for s in server.seen] == [ids[:5], ids[5:]]
    assert list(result.badges) == ids
    assert [b[0].id for b in result.badges.values()] == ids


def test_a_failed_batch_keeps_the_answered_ones_and_marks_the_result_degraded(stub: Any) -> None:
    server = stub(lambda s: ok(s) if len(s.body["offer_ids"]) == 2 else Reply(503))
    ids = ["O-1", "O-2", "O-3"]
    with stub_client(server.base_url, max_badge_ids=2, retries=0) as client:
        result = client.badges("US", "search", ids)
    assert {i: len(b) for i, b in result.badges.items()} == {"O-1": 1, "O-2": 1, "O-3": 0}
    assert (result.snapshot_id, result.degraded) == ("US-A", True)


def test_batches_answered_from_two_snapshots_are_fetched_again_once(stub: Any) -> None:
    def reply(seen: Seen) -> Reply:
        return Reply(body=badges_body(seen, "US-A" if len(server.seen) == 1 else "US-B"))

    server = stub(reply)
    ids = [f"O-{n}" for n in range(7)]
    with stub_client(server.base_url, max_badge_ids=5) as client:
        result = client.badges("US", "search", ids)
    assert [len(s.body["offer_ids"]) for s in server.seen] == [5, 2, 5]
    assert (result.snapshot_id, list(result.badges), result.degraded) == ("US-B", ids, False)


def test_requests_name_the_client_and_carry_the_api_key(stub: Any) -> None:
    server = stub(ok)
    with stub_client(server.base_url, api_key="k-123") as client:
        client.badges("US", "search", ["O-1"])
    headers = server.seen[0].headers
    assert headers["User-Agent"] == f"trust-signals-client/{trust_signals.__version__}"
    assert headers["Authorization"] == "Bearer k-123"


def test_calls_reuse_one_kept_alive_connection(stub: Any) -> None:
    server = stub(ok)
    with stub_client(server.base_url) as client:
        for _ in range(3):
            client.badges("US", "search", ["O-1"])
    assert len({s.client_port for s in server.seen}) == 1


# -- circuit breaker -----------------------------------------------------------------------


def test_breaker_opens_after_consecutive_failures_and_stops_calling(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    with stub_client(server.base_url, retries=0, breaker_failures=3, clock=FakeClock()) as client:
        results = [client.badges("US", "search", ["O-1", "O-2"]) for _ in range(6)]
    assert len(server.seen) == 3
    assert client.breaker.state == "open"
    assert all(r == NO_BADGES for r in results)


def test_open_breaker_raises_service_unavailable_in_strict_mode(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    with stub_client(
        server.base_url, strict=True, retries=0, breaker_failures=1, clock=FakeClock()
    ) as client:
        with pytest.raises(ServiceUnavailable):
            client.status()
        with pytest.raises(ServiceUnavailable, match="circuit breaker open"):
            client.status()
    assert len(server.seen) == 1


def test_breaker_lets_one_probe_through_after_the_reset_and_closes_on_success(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    clock = FakeClock()
    with stub_client(
        server.base_url, retries=0, breaker_failures=2, breaker_reset_seconds=5, clock=clock
    ) as client:
        for _ in range(3):
            client.badges("US", "search", ["O-1"])
        clock.now += 4.9
        client.badges("US", "search", ["O-1"])
        assert len(server.seen) == 2
        clock.now += 0.1
        server.reply = ok
        probe = client.badges("US", "search", ["O-1"])
        after = client.badges("US", "search", ["O-1"])
    assert (probe.degraded, after.degraded, len(server.seen)) == (False, False, 4)
    assert client.breaker.state == "closed"


def test_a_failed_probe_opens_the_breaker_again(stub: Any) -> None:
    server = stub(TROUBLE["503"])
    clock = FakeClock()
    with stub_client(
        server.base_url, retries=0, breaker_failures=2, breaker_reset_seconds=5, clock=clock
    ) as client:
        for _ in range(2):
            client.badges("US", "search", ["O-1"])
        clock.now += 5
        for _ in range(3):
            client.badges("US", "search", ["O-1"])
    assert len(server.seen) == 3
    assert client.breaker.state == "open"
