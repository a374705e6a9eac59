"""Benchmark: time loading a full-size snapshot set into a fresh store, storing its signals,
and a config activation that recomputes them (not a test).

Run from the repository root: `PYTHONPATH=. .venv/bin/python bench/load_snapshot.py`.
`--store redis://127.0.0.1:6379/0` loads into Redis instead of a fresh SQLite directory: under
a key prefix of its own, reports the memory Redis used for it, and deletes it afterwards.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import date
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson
import redis

from trust_signals.bootstrap import BATCH_TIMEOUT_SECONDS
from trust_signals.config import default_config_path, load_config, parse_config
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.ingest.loader import load_snapshot
from trust_signals.service.cohort_artifacts import ArtifactBuilder, CohortModel
from trust_signals.service.materializer import materialize_active, materialize_snapshot
from trust_signals.store.base import ServingStore
from trust_signals.store.redis import redis_store_from_url
from trust_signals.store.sqlite import SqliteSnapshotStore

AS_OF = date(2026, 11, 27)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sellers", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=1_000_000)
    parser.add_argument("--marketplaces", default="US,DE,IN")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="default: the loader's choice")
    parser.add_argument("--cache", type=Path, default=Path("var/bench"), help="generated data")
    parser.add_argument("--regenerate", action="store_true", help="ignore cached snapshots")
    parser.add_argument("--no-cohorts", action="store_true", help="skip cohort artifacts")
    parser.add_argument("--no-baseline", action="store_true", help="skip the parse baseline")
    parser.add_argument("--store", default="sqlite", help="'sqlite' (default) or a redis:// URL")
    return parser.parse_args(argv)


def cached_snapshots(args: argparse.Namespace) -> list[Path]:
    """The snapshot directories, generated once per parameter set and reused after."""
    codes = args.marketplaces.split(",")
    name = f"snapshots-s{args.sellers}-o{args.offers}-seed{args.seed}-{'-'.join(codes)}"
    target = args.cache / name
    if args.regenerate and target.exists():
        shutil.rmtree(target)
    if not all((target / code / "manifest.json").exists() for code in codes):
        args.cache.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=args.cache, prefix=".generating-"))
        started = time.perf_counter()
        generate_snapshots(
            scratch,
            sellers=args.sellers,
            offers=args.offers,
            marketplaces=codes,
            seed=args.seed,
            as_of=AS_OF,
        )
        shutil.rmtree(target, ignore_errors=True)
        scratch.rename(target)
        print(f"generated {target} in {time.perf_counter() - started:.1f} s")
    return [target / code for code in codes]


def parse_baseline(directories: Sequence[Path]) -> float:
    """Seconds to read, gunzip and orjson.loads every line in one process: a loader's floor."""
    started = time.perf_counter()
    for directory in directories:
        manifest = orjson.loads((directory / "manifest.json").read_bytes())
        for entry in manifest["files"].values():
            path = directory / entry["path"]
            with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as stream:
                for line in stream:
                    orjson.loads(line)
    return time.perf_counter() - started


class WorkerPeak:
    """Samples the peak RSS (VmHWM) of this process's children while it runs."""

    def __init__(self) -> None:
        self.mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for children in Path("/proc/self/task").glob("*/children"):
                for pid in children.read_text().split():
                    self.mib = max(self.mib, _vm_hwm_mib(pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.mib


def _vm_hwm_mib(pid: str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # the worker has just exited
        return 0.0
    kib = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), "0")
    return int(kib) / 1024


def open_store(store: str, root: Path, prefix: str) -> ServingStore:
    """A fresh SQLite store under `root`, or the Redis at `store` under a prefix of its own."""
    if store == "sqlite":
        return SqliteSnapshotStore(root)
    return redis_store_from_url(store, key_prefix=prefix, timeout_seconds=BATCH_TIMEOUT_SECONDS)


def stored_mib(store: str, root: Path) -> float:
    """The SQLite files' size, or Redis's used memory (the caller subtracts the start)."""
    if store != "sqlite":
        return int(redis.Redis.from_url(store).info("memory")["used_memory"]) / 2**20
    return sum(p.stat().st_size for p in (root / "snapshots").iterdir()) / 2**20


def load_all(
    directories: Sequence[Path],
    root: Path,
    args: argparse.Namespace,
    out: Connection,
) -> None:
    """Load every directory into a fresh store; send timings and this process's rusage."""
    peak = WorkerPeak()
    prefix = f"bench-{os.getpid()}"
    store = open_store(args.store, root, prefix)
    before = stored_mib(args.store, root) if args.store != "sqlite" else 0.0
    config = load_config(default_config_path())
    artifacts = ArtifactBuilder.of(CohortModel(config.cohort_spec, config.params), AS_OF)
    opener = partial(open_store, args.store, root, prefix)
    timings = []
    started = time.perf_counter()
    for directory in directories:
        t0 = time.perf_counter()
        info = load_snapshot(
            directory,
            store,
            activate=False,
            workers=args.workers,
            cohort_artifacts=None if args.no_cohorts else artifacts,
        )
        t1 = time.perf_counter()
        materialize_snapshot(store, info, config, open_store=opener, workers=args.workers)
        store.activate(info.snapshot_id)
        timings.append(
            (
                info.snapshot_id,
                info.seller_count,
                info.offer_count,
                t1 - t0,
                time.perf_counter() - t1,
            )
        )
    wall = time.perf_counter() - started
    # A config activation that changes what signals depend on recomputes every active one.
    changed = parse_config(config.text.replace("wilson_z = 1.96", "wilson_z = 1.9"), "bench")
    t0 = time.perf_counter()
    materialize_active(store, changed, open_store=opener, workers=args.workers)
    activation = time.perf_counter() - t0
    size = stored_mib(args.store, root) - before
    if args.store != "sqlite":  # its own prefix: every key of this run goes
        client = redis.Redis.from_url(args.store)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=10_000))
        for start in range(0, len(keys), 10_000):
            client.unlink(*keys[start : start + 10_000])
    worker_cpu = _usage(resource.RUSAGE_CHILDREN)[0]
    peaks = (worker_cpu, peak.stop())
    out.send((timings, wall, activation, size, _usage(resource.RUSAGE_SELF), peaks))


def _usage(who: int) -> tuple[float, float]:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # CPU s, MiB (Linux: KiB)


def timed_load(directories: Sequence[Path], args: argparse.Namespace) -> Any:
    """The load run in a fresh process, so its peak RSS is the loader's alone."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    root = Path(tempfile.mkdtemp(dir=args.cache, prefix="store-"))
    try:
        child = context.Process(target=load_all, args=(directories, root, args, send))
        child.start()
        while not receive.poll(1.0):
            if not child.is_alive():
                raise SystemExit(f"the load process failed (exit code {child.exitcode})")
        result = receive.recv()
        child.join()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return result


def report(result: Any, baseline: float | None) -> None:
    timings, wall, activation, size, (cpu, rss), (worker_cpu, worker_rss) = result
    print(
        f"{'snapshot':<16}{'sellers':>10}{'offers':>12}{'load s':>9}{'signals s':>11}"
        f"{'records/s':>12}"
    )
    for snapshot_id, sellers, offers, load, signals in timings:
        rate = (sellers + offers) / (load + signals)
        print(
            f"{snapshot_id:<16}{sellers:>10,}{offers:>12,}{load:>9.1f}{signals:>11.1f}"
            f"{rate:>12,.0f}"
        )
    sellers = sum(t[1] for t in timings)
    offers = sum(t[2] for t in timings)
    rate = (sellers + offers) / wall
    print(f"{'total':<16}{sellers:>10,}{offers:>12,}{wall:>20.1f}{rate:>12,.0f}")
    print(f"config activation (every active snapshot's signals again): {activation:.1f} s")
    print(f"peak RSS: loader {rss:.0f} MiB (ru_maxrss); workers {worker_rss:.0f} MiB each at most")
    print(f"CPU: loader {cpu:.1f} s, workers {worker_cpu:.1f} s; store {size:,.0f} MiB")
    if baseline is not None:
        print(
            f"baseline (read + gunzip + orjson.loads, one process): {baseline:.1f} s;"
            f" the load takes {wall / baseline:.2f}x that"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    directories = cached_snapshots(args)
    baseline = None if args.no_baseline else parse_baseline(directories)
    report(timed_load(directories, args), baseline)


if __name__ == "__main__":
    main()
