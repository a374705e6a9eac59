"""Benchmark: cold searches in-process under CPython's default GC and under the serving policy.

Run from the repository root: `PYTHONPATH=. .venv/bin/python bench/gc_policy.py`.
Uses the benchmark store (var/bench-store, made on first use). Each run is its own process
(GC settings are process-wide), the two policies alternate `--repeats` times, and the medians
are printed with the ratio settled / default. Through the Flask test client, each run makes
N cold searches (48 offers never asked before: the signal cache fills and starts evicting, as
in production), then N warm ones (the same 48 offers), and records every collection's pause.
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
    """One process's run: cold searches (the cache fills), then as many warm ones (one page)."""
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
    pauses: list[tuple[int, float]] = []
    started_at = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started_at[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started_at[0]))

    gc.callbacks.append(on_gc)
    figures: dict[str, Any] = {}
    for phase in ("cold", "warm"):
        pauses.clear()
        latencies = []
        started = time.perf_counter()
        for k in range(searches):
            page = ",".join(ids[k * 48 : (k + 1) * 48] if phase == "cold" else ids[:48])
            begun = time.perf_counter()
            response = client.get(f"/v1/badges?marketplace=US&surface=search&offer_ids={page}")
            latencies.append(time.perf_counter() - begun)
            assert response.status_code == 200, response.data
        elapsed = time.perf_counter() - started
        latencies.sort()
        figures |= {
            f"{phase} req/s": searches / elapsed,
            f"{phase} p99 ms": latencies[int(len(latencies) * 0.99)] * 1e3,
            f"{phase} max ms": latencies[-1] * 1e3,
            f"{phase} full GCs": sum(1 for generation, _ in pauses if generation == 2),
            f"{phase} longest GC ms": max((d for _, d in pauses), default=0.0) * 1e3,
        }
    return figures


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
            print(f"  {repeat + 1}/{args.repeats} {policy}: done")
    columns = list(runs["default"][0])
    print(
        f"\n{args.searches} cold, then {args.searches} warm 48-offer searches per run,"
        f" medians of {args.repeats} runs"
    )
    medians = {
        policy: {c: statistics.median(r[c] for r in found) for c in columns}
        for policy, found in runs.items()
    }
    print(f"{'':<22}{'default':>10}{'settled':>10}")
    for column in columns:
        row = "".join(f"{medians[policy][column]:>10.2f}" for policy in POLICIES)
        print(f"{column:<22}{row}")
    for phase in ("cold", "warm"):
        ratio = medians["settled"][f"{phase} req/s"] / medians["default"][f"{phase} req/s"]
        print(f"{phase} throughput settled / default: {ratio:.2f}x")


if __name__ == "__main__":
    main()
