"""Composition root: the one place that picks concrete stores and wires the service."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Final

from trust_signals.breaker import CircuitBreaker
from trust_signals.config import Settings, TrustConfig
from trust_signals.errors import (
    SnapshotRejected,
    StoreNotFound,
    TrustSignalsError,
)
from trust_signals.ingest.loader import load_snapshot
from trust_signals.ingest.manifest import MANIFEST_NAME, read_manifest
from trust_signals.service.administration import Administration
from trust_signals.service.cache import SignalCache
from trust_signals.service.cohort_artifacts import ArtifactBuilder, CohortModel
from trust_signals.service.config_versions import stored_config_reader
from trust_signals.service.materializer import OpenStore, materialize_snapshot
from trust_signals.service.reads import Clock, TrustSignals
from trust_signals.store.activation import DEFAULT_MAX_SHRINK, activate_loaded
from trust_signals.store.base import ServingStore, SnapshotInfo
from trust_signals.store.redis import redis_store_from_url
from trust_signals.store.sqlite import SqliteSnapshotStore

log = logging.getLogger(__name__)
# CPython's default is (700, 10, 10): young collections as usual, full ones 100x rarer.
SERVING_GC_THRESHOLDS: Final = (700, 10, 1_000)
BATCH_TIMEOUT_SECONDS: Final = 10.0


def utc_now() -> datetime:
    """The real clock, aware UTC."""
    return datetime.now(UTC)


def build_store(settings: Settings, *, create: bool = True) -> ServingStore:
    """The store TRUST_SIGNALS_STORE names: a redis:// or redis+cluster:// URL, else a
    SQLite directory. The one place that chooses a backend.

    Without `create`, a SQLite directory holding no store raises StoreNotFound instead of
    becoming an empty store: a command that only reads must leave no store behind it.
    """
    grace = settings.retire_grace_seconds
    if settings.store.startswith(("redis://", "rediss://", "redis+cluster://")):
        return redis_store_from_url(
            settings.store, timeout_seconds=settings.store_timeout_seconds, grace_seconds=grace
        )
    store = SqliteSnapshotStore(Path(settings.store), grace_seconds=grace)
    if not create and not store.exists():
        raise StoreNotFound(str(Path(settings.store).absolute()))
    return store


def build_trust_signals(
    settings: Settings, store: ServingStore, clock: Clock = utc_now
) -> TrustSignals:
    """The read service over a store, serving its active config, with a cache sized by the
    settings. An empty store gets the settings' config file as its first version."""
    cache = SignalCache(settings.cache_size)
    breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds)
    read_config = stored_config_reader(store, Path(settings.config))
    return TrustSignals(store, read_config, clock, cache, breaker)


def build_administration(
    settings: Settings, store: ServingStore, signals: TrustSignals
) -> Administration:
    """The admin use cases over the same store and service, with the settings' shrink limit."""
    return Administration(signals, store, settings.max_snapshot_shrink)


def snapshot_dirs(paths: Iterable[Path]) -> list[Path]:
    """Snapshot directories: each path itself if it holds a manifest, else every folder in it.

    A publishing job must not succeed having loaded nothing, or some marketplaces only: a path
    with no snapshot, or a folder in it without its manifest (written last, so a publication
    cut short has none), raises SnapshotRejected naming each, before anything is loaded.
    Hidden folders (.git, .cache) are not snapshots and are left alone.
    """
    found: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if (path / MANIFEST_NAME).is_file():
            found.append(path)
            continue
        folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not folders:
            problems.append(
                f"{path}: holds no snapshot ({MANIFEST_NAME} in it or in a folder in it)"
            )
        for folder in folders:
            if (folder / MANIFEST_NAME).is_file():
                found.append(folder)
            else:
                problems.append(
                    f"{folder}: no {MANIFEST_NAME}: an incomplete snapshot; publish it again, "
                    "or load the other folders by name"
                )
    if problems:
        raise SnapshotRejected(problems)
    return found


def load_snapshot_dir(
    store: ServingStore,
    directory: Path,
    config: TrustConfig,
    *,
    force: bool = False,
    activate: bool = True,
    max_shrink: float | None = DEFAULT_MAX_SHRINK,
    progress: Callable[[int], None] | None = None,
    open_store: OpenStore | None = None,
) -> SnapshotInfo:
    """Verify, validate and load one snapshot with its cohort artifacts for `config`, store
    its signals under `config` (on every core when `open_store` opens this store in another
    process), then activate it through the shrink guard (`max_shrink`, None to allow any
    drop) and prune the snapshots beyond `retained_snapshots`."""
    model = CohortModel(config.cohort_spec, config.params)
    as_of = read_manifest(directory).as_of
    info = load_snapshot(
        directory,
        store,
        force=force,
        activate=False,
        progress=progress,
        cohort_artifacts=ArtifactBuilder.of(model, as_of),
    )
    materialize_snapshot(store, info, config, open_store=open_store, progress=progress)
    if activate:
        info = activate_loaded(store, info, max_shrink=max_shrink)
    store.prune(config.retained_snapshots)
    return info


def store_opener(settings: Settings) -> OpenStore:
    """A picklable way to open this store again in another process (the materializer's),
    with a batch job's read timeout rather than the request path's."""
    return partial(build_store, replace(settings, store_timeout_seconds=BATCH_TIMEOUT_SECONDS))


def start_refresher(signals: TrustSignals, interval_seconds: float) -> threading.Thread:
    """A daemon thread that applies snapshot and config activations within the interval.

    Each worker process runs its own after the fork, so every worker of every instance
    converges on the same snapshot and config without a restart and off the request path.
    """

    def loop() -> None:
        while True:
            time.sleep(interval_seconds)
            try:
                signals.refresh()
            except TrustSignalsError as error:
                log.error("refresh failed, still serving the previous view: %s", error)
            except Exception:  # noqa: BLE001 - a refresh bug must not kill the thread
                log.exception("refresh failed, still serving the previous view")

    thread = threading.Thread(target=loop, name="trust-signals-refresh", daemon=True)
    thread.start()
    return thread


def settle_garbage_collector() -> None:
    """Freeze what a worker built at start, and make full collections rare.

    A worker's signal cache holds hundreds of thousands of long-lived objects, and every full
    collection walks them all: 0.2-0.3 s per pause here, which every request queued behind
    it waits out. Freezing takes the start-up objects (modules, config, priors) out of every
    collection; the oldest threshold makes full collections 100 times rarer. Young ones stay
    as they are: each request leaves a few reference cycles, collected while young, and a
    larger young generation only makes each young pause longer (the cache's evictions keep
    the allocation count low while survivors pile up). Called once per worker after the app
    is built (gunicorn's post_worker_init); `bench/gc_policy.py` measures it.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
