"""Benchmark: in-process latency per endpoint through the WSGI app (Flask test client).

Usage: .venv/bin/python bench/api_latency.py [--sellers N] [--offers M] [--calls K]

Generates and loads a US snapshot into a temporary SQLite store, then times K calls per case:
48-offer search badges (warm: the same ids again; cold: ids never asked before), one PDP
offer, one seller profile, 500 ranking vectors (warm and cold). The baseline, measured in
the same run through the same client, is GET /healthz: the framework's own cost per call.
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import orjson

from trust_signals.api import create_app
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import default_config_path, load_config, load_settings
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.store.sqlite import SqliteSnapshotStore

AS_OF = date(2026, 11, 27)


def timings_ms(call: Callable[[int], object], calls: int) -> tuple[float, float]:
    """Median and p99 in ms over `calls` calls; call(i) makes the i-th call."""
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def ids_of(path: Path, key: str) -> list[str]:
    with gzip.open(path, "rb") as stream:
        return [orjson.loads(line)[key] for line in stream]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sellers", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (directory,) = generate_snapshots(
            root / "snap",
            sellers=args.sellers,
            offers=args.offers,
            marketplaces=["US"],
            seed=3,
            as_of=AS_OF,
        )
        settings = load_settings({"TRUST_SIGNALS_STORE": str(root / "store")})
        store = SqliteSnapshotStore(root / "store")
        load_snapshot_dir(store, directory, load_config(default_config_path()))
        offers = ids_of(directory / "offers.jsonl.gz", "offer_id")
        sellers = ids_of(directory / "sellers.jsonl.gz", "seller_id")
        app = create_app(settings, store=store, background_refresh=False)
        client = app.test_client()
        run(client, offers, sellers, args.calls)


def run(client: object, offers: list[str], sellers: list[str], calls: int) -> None:
    get, post = client.get, client.post  # type: ignore[attr-defined]
    rng = random.Random(5)
    fresh = iter(rng.sample(offers, len(offers)))
    hot48 = ",".join(offers[:48])
    hot500 = offers[:500]

    def search(ids: str) -> object:
        return get(f"/v1/badges?marketplace=US&surface=search&offer_ids={ids}")

    def cold48(_: int) -> object:
        return search(",".join(next(fresh) for _ in range(48)))

    def cold500(_: int) -> object:
        ids = [next(fresh) for _ in range(500)]
        return post("/v1/features", json={"marketplace": "US", "offer_ids": ids})

    search(hot48)
    post("/v1/features", json={"marketplace": "US", "offer_ids": hot500})
    cases = [
        ("baseline: GET /healthz", lambda i: get("/healthz"), None),
        ("search badges, 48 offers, warm", lambda i: search(hot48), 1.0),
        ("search badges, 48 offers, cold", cold48, 3.0),
        ("PDP offer, warm", lambda i: get(f"/v1/offers/{offers[i % 100]}?marketplace=US"), None),
        (
            "SPP profile, warm",
            lambda i: get(f"/v1/sellers/{sellers[i % 100]}/profile?marketplace=US"),
            None,
        ),
        (
            "ranking features, 500 offers, warm",
            lambda i: post("/v1/features", json={"marketplace": "US", "offer_ids": hot500}),
            5.0,
        ),
        ("ranking features, 500 offers, cold", cold500, None),
    ]
    for i in range(100):  # warm the PDP and SPP entries
        get(f"/v1/offers/{offers[i]}?marketplace=US")
        get(f"/v1/sellers/{sellers[i]}/profile?marketplace=US")
    baseline = None
    print(f"{'case':<40}{'median ms':>10}{'p99 ms':>9}{'× healthz':>11}{'target':>8}")
    for name, call, target in cases:
        count = min(calls, 150) if "cold" in name and "500" in name else calls
        median, p99 = timings_ms(call, count)
        baseline = baseline or median
        shown = f"{target:.0f}" if target else "-"
        print(f"{name:<40}{median:>10.3f}{p99:>9.3f}{median / baseline:>11.1f}{shown:>8}")


if __name__ == "__main__":
    main()
