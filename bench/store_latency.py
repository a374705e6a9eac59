"""Benchmark: get_offers latency of the SQLite and Redis stores side by side, and load times.

Run from the repository root: `PYTHONPATH=. .venv/bin/python bench/store_latency.py`.
Without --redis-url it starts a private redis-server (nothing on disk) on a free port, so a
big load never crowds a shared server; with one, it uses a fresh key prefix and deletes it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import Protocol

import redis

from tests.builders import offer_record
from trust_signals.store.base import SnapshotCatalog, SnapshotStore
from trust_signals.store.codec import decode_offer, offer_body
from trust_signals.store.redis import RedisSnapshotStore, redis_store_from_url
from trust_signals.store.sqlite import SqliteSnapshotStore

SNAPSHOT_ID = "US-bench"
BATCH = 5000


class Store(SnapshotStore, SnapshotCatalog, Protocol):
    """Both halves, as every backend implements them, and close()."""

    def close(self) -> None:
        """Close this process's connections."""
        ...


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--sizes", default="48,500", help="ids per get_offers call")
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per size")
    parser.add_argument("--redis-url", help="default: a private redis-server")
    parser.add_argument("--cluster-url", help="also measure a redis+cluster:// store")
    parser.add_argument("--timeout", type=float, default=1.0, help="store read timeout, s")
    parser.add_argument("--load-only", action="store_true", help="only the Redis load time")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def offer_batches(count: int) -> Iterator[list[tuple[str, str, bytes]]]:
    """`count` valid offers as (offer_id, seller_id, body), in batches of BATCH."""
    template = offer_record()
    for start in range(0, count, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, count)):
            record = {**template, "offer_id": f"O-{n:08d}", "handling_days": n % 30}
            batch.append((record["offer_id"], "S-1", offer_body(record)))
        yield batch


def load_seconds(store: Store, count: int) -> float:
    """Seconds to load and commit `count` offers (body encoding excluded)."""
    writer = store.begin(SNAPSHOT_ID, "US", date(2026, 11, 27), force=True)
    took = 0.0
    for batch in offer_batches(count):
        started = time.perf_counter()
        writer.add_offers(batch)
        took += time.perf_counter() - started
    started = time.perf_counter()
    writer.commit()
    return took + time.perf_counter() - started


def latencies_ms(store: Store, count: int, size: int, calls: int, seed: int) -> list[float]:
    """Milliseconds of each of `calls` get_offers of `size` random ids (after a warm-up)."""
    rng = random.Random(seed)
    batches = [[f"O-{n:08d}" for n in rng.sample(range(count), size)] for _ in range(calls + 50)]
    times = []
    for n, ids in enumerate(batches):
        started = time.perf_counter()
        found = store.get_offers(SNAPSHOT_ID, ids)
        if n >= 50:
            times.append((time.perf_counter() - started) * 1000)
        if found[0] is None:
            raise RuntimeError(f"offer {ids[0]} missing from the loaded snapshot")
    return times


def decode_latencies_ms(size: int, calls: int) -> list[float]:
    """Milliseconds to decode `size` offer bodies: the floor every store's get_offers pays."""
    bodies = [body for _, _, body in next(offer_batches(size))]
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        for body in bodies:
            decode_offer(body)
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    """(median, p99) of the times."""
    return statistics.median(times), statistics.quantiles(times, n=100)[98]


@contextmanager
def private_redis() -> Iterator[str]:
    """The URL of a redis-server started for this run (no persistence), killed after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(command + ["--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait()


def redis_stores(args: argparse.Namespace, url: str) -> dict[str, RedisSnapshotStore]:
    """The Redis stores measured: the single server, and the cluster if named."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    urls = {"redis": url} | ({"cluster": args.cluster_url} if args.cluster_url else {})
    return {
        name: redis_store_from_url(u, key_prefix=prefix, timeout_seconds=args.timeout)
        for name, u in urls.items()
    }


def report(args: argparse.Namespace, stores: dict[str, Store]) -> None:
    """Load every store, then print load times and latency columns with ratios to SQLite."""
    for name, store in stores.items():
        print(f"load {args.offers:,} offers into {name}: {load_seconds(store, args.offers):.2f} s")
    if args.load_only:
        return
    header = "".join(f"{name + ' med/p99 ms':>24}" for name in ["decode only", *stores])
    print(f"{'ids':>5}{header}{'ratio med (vs sqlite)':>28}")
    for size in (int(s) for s in args.sizes.split(",")):
        row = {"decode": summary(decode_latencies_ms(size, args.calls))}
        row |= {n: summary(latencies_ms(s, args.offers, size, args.calls, args.seed))
                for n, s in stores.items()}  # fmt: skip
        cells = "".join(f"{med:>13.3f} / {p99:>7.3f}" for med, p99 in row.values())
        base = row.get("sqlite", (float("nan"),))[0]
        ratios = " ".join(
            f"{n}={row[n][0] / base:.2f}" for n in row if n not in ("sqlite", "decode")
        )
        print(f"{size:>5}{cells}   {ratios}")


def cleanup(stores: dict[str, Store]) -> None:
    """Delete the benchmark snapshot from every store, printing how long each took."""
    for name, store in stores.items():
        started = time.perf_counter()
        store.delete(SNAPSHOT_ID)
        print(f"delete the snapshot from {name}: {time.perf_counter() - started:.2f} s")
        store.close()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="store-latency-"))
    try:
        given = nullcontext(args.redis_url) if args.redis_url else None
        with given or private_redis() as url:
            stores: dict[str, Store] = {}
            if not args.load_only:
                stores["sqlite"] = SqliteSnapshotStore(scratch / "sqlite")
            stores |= redis_stores(args, url)
            try:
                report(args, stores)
            finally:
                cleanup(stores)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
