"""Operations as production runs them: gunicorn with gunicorn.conf.py and nothing preset,
its metrics summed over workers and its logs as JSON lines carrying request ids."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.store_faults import REQUESTS, service_over_redis
from tests.integration.redis_cluster import redis_binaries_present

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not redis_binaries_present(), reason="redis-server not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
# Every metric the README documents (its "Metrics" table), with the type it must have.
DOCUMENTED_METRICS = {
    "trust_signals_requests": "counter",
    "trust_signals_request_duration_seconds": "histogram",
    "trust_signals_degraded_responses": "counter",
    "trust_signals_cache_lookups": "counter",
    "trust_signals_active_snapshot_age_seconds": "gauge",
    "trust_signals_marketplace_data_lost": "gauge",
}
SEARCH = REQUESTS["search"][1]


def scrape(base: str) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """Metric family -> {(sample name, labels): value}."""
    found = {}
    for family in text_string_to_metric_families(requests.get(f"{base}/metrics").text):
        found[family.name] = {
            (s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples
        }
        found[family.name]["type"] = family.type  # type: ignore[assignment]
    return found


def test_every_documented_metric_is_exported_summed_over_workers_and_logs_are_json(
    tmp_path: Path,
) -> None:
    with service_over_redis(tmp_path) as (server, redis_server, _):
        base = server.base_url
        for n in range(20):
            with requests.Session() as fresh:  # a new connection: either worker may answer
                fresh.get(base + SEARCH, headers={"X-Request-Id": f"search-{n}"}, timeout=5)
        redis_server.stop()
        redis_server.start()  # empty: a data loss, seen by each worker within 0.5 s
        time.sleep(1.5)
        degraded = requests.get(base + SEARCH, timeout=5)
        metrics = scrape(base)

    assert degraded.headers["X-Trust-Signals-Degraded"] == "true"
    readme = (ROOT / "README.md").read_text()
    for name, kind in DOCUMENTED_METRICS.items():
        assert name in metrics, f"{name} not exported"
        assert metrics[name]["type"] == kind, name
        assert name in readme, f"{name} not in the README"
    requests_total = metrics["trust_signals_requests"]
    searches = requests_total[
        ("trust_signals_requests_total", (("endpoint", "/v1/badges"), ("status", "200")))
    ]
    assert searches == 21  # both workers' counts, summed
    degraded_total = metrics["trust_signals_degraded_responses"]
    assert (
        degraded_total[("trust_signals_degraded_responses_total", (("endpoint", "/v1/badges"),))]
        >= 1
    )
    lost = metrics["trust_signals_marketplace_data_lost"]
    assert lost[("trust_signals_marketplace_data_lost", (("marketplace", "US"),))] == 1

    lines = [line for line in (tmp_path / "gunicorn.log").read_text().splitlines() if line]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access_ids = {r.get("request_id") for r in records if r.get("path") == "/v1/badges"}
    assert {f"search-{n}" for n in range(20)} <= access_ids
    data_lost = [r for r in records if r.get("logger") == "trust_signals.service.view_keeper"]
    assert data_lost and data_lost[0]["level"] == "error"
    assert "lost its data" in data_lost[0]["message"]
