"""Benchmark: cold searches in-process under CPython's default GC and under the serving policy.

Run from the repository root: `PYTHONPATH=. .venv/bin/python bench/gc_policy.py`.
Uses the benchmark store (var/bench-store, made on first use). Each run is its own process
(GC settings are process-wide), the two policies alternate `--repeats` times, and the medians
are printed with the ratio settled / default. Every search asks for 48 offers never asked
before, through the Flask test client, so the signal cache fills as it does in production.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

POLICIES = ("default", "settled")


def run_once(policy: str, searches: int) -> dict[str, Any]:
    """One process's run: throughput, latency percentiles and full-collection pauses."""
    from load_tests.bench_store import SNAPSHOT_DIR, STORE_DIR
    from load_tests.wrk_requests import offer_ids
    from trust_signals.api import create_app
    from trust_signals.bootstrap import settle_garbage_collector
    from trust_signals.config import load_settings

    app = create_app(
        load_settings({"TRUST_SIGNALS_STORE": str(STORE_DIR)}), background_refresh=False
    )
    client = app.test_client()
    _, ids = offer_ids(SNAPSHOT_DIR / "US")
    random.Random(1).shuffle(ids)
    client.get("/v1/badges?marketplace=US&surface=search&offer_ids=" + ids[-1])  # first view
    if policy == "settled":
        settle_garbage_collector()
    pauses: list[float] = []
    started_at = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started_at[0] = time.perf_counter()
            else:
                pauses.append(time.perf_counter() - started_at[0])

    gc.callbacks.append(on_gc)
    latencies = []
    started = time.perf_counter()
    for k in range(searches):
        page = ",".join(ids[k * 48 : (k + 1) * 48])
        begun = time.perf_counter()
        response = client.get(f"/v1/badges?marketplace=US&surface=search&offer_ids={page}")
        latencies.append(time.perf_counter() - begun)
        assert response.status_code == 200, response.data
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": searches / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
        "max_ms": latencies[-1] * 1e3,
        "full_collections": len(pauses),
        "full_gc_ms": sum(pauses) * 1e3,
        "longest_full_gc_ms": max(pauses, default=0.0) * 1e3,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--searches", type=int, default=4_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", choices=POLICIES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_once(args.child, args.searches)))
        return
    from load_tests.bench_store import ensure_loaded, ensure_snapshot

    ensure_snapshot()
    ensure_loaded()
    runs: dict[str, list[dict[str, Any]]] = {policy: [] for policy in POLICIES}
    for repeat in range(args.repeats):
        for policy in POLICIES:
            command = [sys.executable, __file__, "--child", policy]
            command += ["--searches", str(args.searches)]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            runs[policy].append(json.loads(output.strip().splitlines()[-1]))
            print(f"  {repeat + 1}/{args.repeats} {policy}: {runs[policy][-1]['rps']:.0f} req/s")
    columns = list(runs["default"][0])
    print(f"\n{args.searches} cold 48-offer searches per run, medians of {args.repeats} runs")
    print(f"{'policy':<10}" + "".join(f"{c:>20}" for c in columns))
    medians = {
        policy: {c: statistics.median(r[c] for r in found) for c in columns}
        for policy, found in runs.items()
    }
    for policy, row in medians.items():
        print(f"{policy:<10}" + "".join(f"{row[c]:>20.2f}" for c in columns))
    ratio = medians["settled"]["rps"] / medians["default"]["rps"]
    print(f"\nthroughput settled / default: {ratio:.2f}x")


if __name__ == "__main__":
    main()
