"""Composition root: the one place that picks concrete stores and wires the service."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from trust_signals.cache import SignalCache
from trust_signals.config import Settings, TrustConfig, parse_config
from trust_signals.errors import ConfigError, TrustSignalsError
from trust_signals.service import Clock, TrustSignals
from trust_signals.store.sqlite import SqliteSnapshotStore

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock, aware UTC."""
    return datetime.now(UTC)


def build_store(settings: Settings) -> SqliteSnapshotStore:
    """The snapshot store named by TRUST_SIGNALS_STORE (a SQLite directory)."""
    return SqliteSnapshotStore(Path(settings.store))


def config_reader(path: Path) -> Callable[[], TrustConfig]:
    """A reader that re-parses the config file only when its content changed."""
    last: list[tuple[str, TrustConfig]] = []

    def read() -> TrustConfig:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ConfigError([f"{path}: cannot read: {error.strerror}"]) from error
        digest = hashlib.sha256(raw).hexdigest()
        if last and last[0][0] == digest:
            return last[0][1]
        config = parse_config(raw.decode("utf-8", errors="replace"), str(path))
        last[:] = [(digest, config)]
        return config

    return read


def build_trust_signals(
    settings: Settings, store: SqliteSnapshotStore, clock: Clock = utc_now
) -> TrustSignals:
    """The read service over a store, with a cache sized by the settings."""
    cache = SignalCache(settings.cache_size, settings.cache_ttl_seconds, time.monotonic)
    return TrustSignals(store, config_reader(Path(settings.config)), clock, cache)


def start_refresher(signals: TrustSignals, interval_seconds: float) -> threading.Thread:
    """A daemon thread that applies activations and config changes within the interval.

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
