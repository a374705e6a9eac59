"""Every store backend under one opener, a ticking clock and a loader: the contract suites' base."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

import pytest

from trust_signals.store.base import ServingStore, SnapshotInfo
from trust_signals.store.codec import offer_body, seller_body
from trust_signals.store.memory import InMemorySnapshotStore
from trust_signals.store.sqlite import SqliteSnapshotStore

BACKENDS: Final = ["memory", "sqlite", "redis", "redis_cluster"]
START: Final = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


class Store(ServingStore, Protocol):
    """Every port: what every backend under test implements."""


class TickingClock:
    """A clock that moves one second per reading, so load order is unambiguous."""

    def __init__(self) -> None:
        self._now = START
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=1)
            return self._now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass at once."""
        with self._lock:
            self._now += timedelta(seconds=seconds)


def tick(n: int) -> datetime:
    """The TickingClock's n-th reading."""
    return START + timedelta(seconds=n)


@dataclass(frozen=True)
class Backend:
    """One backing state: `open` makes a new store object on it (one process, new objects),
    `footprint` lists what it holds (SQLite: snapshot directory files; Redis: keys)."""

    open: Callable[[], Store]
    footprint: Callable[[], list[str]]


def opened_backend(
    request: pytest.FixtureRequest, tmp_path: Path, clock: TickingClock
) -> Iterator[Backend]:
    """Yields the backend `request.param` names; closes what it opened afterwards."""
    if request.param == "memory":
        store = InMemorySnapshotStore(clock=clock)
        yield Backend(lambda: store, list)
        return
    if request.param.startswith("redis"):
        # conftest.py: a fresh key prefix per test, emptied afterwards.
        redis = request.getfixturevalue(f"open_{request.param}_store")
        yield Backend(lambda: redis(clock=clock), lambda: sorted(map(bytes.decode, redis.keys())))
        return
    root = tmp_path / "store"
    opened: list[SqliteSnapshotStore] = []

    def open_sqlite() -> Store:
        opened.append(SqliteSnapshotStore(root, clock=clock))
        return opened[-1]

    yield Backend(open_sqlite, lambda: sorted(p.name for p in root.glob("snapshots/*")))
    for store in opened:
        store.close()


def load(
    store: Store,
    snapshot_id: str,
    *,
    marketplace: str = "US",
    as_of: date = date(2026, 11, 27),
    sellers: Sequence[dict[str, Any]] = (),
    offers: Sequence[dict[str, Any]] = (),
    force: bool = False,
) -> SnapshotInfo:
    """Load (commit, not activate) a snapshot of these records."""
    writer = store.begin(snapshot_id, marketplace, as_of, force=force)
    writer.add_sellers([(s["seller_id"], seller_body(s)) for s in sellers])
    writer.add_offers([(o["offer_id"], o["seller_id"], offer_body(o)) for o in offers])
    return writer.commit()
