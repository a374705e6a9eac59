"""InMemorySnapshotStore: the test fake and local demo store, held in process memory.

Over 300 lines on purpose: it implements every port the real stores do, as their test fake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot
from trust_signals.errors import (
    ConfigVersionNotFound,
    SnapshotExists,
    SnapshotInUse,
    SnapshotNotFound,
    SnapshotRetiring,
)
from trust_signals.store.base import SnapshotInfo, StoredConfig
from trust_signals.store.codec import decode_offer, decode_seller
from trust_signals.store.retention import (
    RETIRE_GRACE_SECONDS,
    configs_newest_first,
    newest_first,
    prune_settled,
    seconds_left,
)
from trust_signals.store.signals import checked_kind, checked_version


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


# Materialized signals of one version: kind -> entity id -> row.
_Rows = dict[str, dict[str, bytes]]


@dataclass(slots=True)
class _Snapshot:
    """One committed snapshot: catalog facts plus canonical JSON bodies by id.

    A forced reload replaces the whole object, so its signals go with the old records.
    """

    info: SnapshotInfo
    sellers: dict[str, bytes]
    offers: dict[str, bytes]
    artifacts: dict[str, bytes]
    seller_offers: dict[str, list[str]] = field(default_factory=dict)
    signals: dict[str, _Rows] = field(default_factory=dict)  # version -> rows


@dataclass(slots=True)
class _State:
    """Everything the store holds; mutated only under `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    snapshots: dict[str, _Snapshot] = field(default_factory=dict)
    active: dict[str, str] = field(default_factory=dict)
    retired: dict[str, float] = field(default_factory=dict)  # snapshot_id -> unix seconds
    deactivated: set[str] = field(default_factory=set)  # marketplaces
    configs: dict[str, StoredConfig] = field(default_factory=dict)
    active_config: str | None = None


class InMemorySnapshotWriter:
    """Collects one snapshot's records; publishes them all at once on commit."""

    def __init__(self, state: _State, info: SnapshotInfo, clock: Callable[[], datetime]) -> None:
        self._state = state
        self._pending: _Snapshot | None = _Snapshot(info, {}, {}, {})
        self._clock = clock

    def add_sellers(self, sellers: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (seller_id, canonical JSON record)."""
        self._open().sellers.update(sellers)

    def add_offers(self, offers: Sequence[tuple[str, str, bytes]]) -> None:
        """Store a batch of (offer_id, seller_id, canonical JSON record)."""
        pending = self._open()
        for offer_id, seller_id, body in offers:
            pending.offers[offer_id] = body
            pending.seller_offers.setdefault(seller_id, []).append(offer_id)

    def put_artifact(self, name: str, blob: bytes) -> None:
        """Store a precomputed blob with the snapshot."""
        self._open().artifacts[name] = bytes(blob)

    def commit(self) -> SnapshotInfo:
        """Publish the snapshot (listed, not active); replaces a forced id in place."""
        pending = self._open()
        pending.info = replace(
            pending.info,
            loaded_at=self._clock(),
            seller_count=len(pending.sellers),
            offer_count=len(pending.offers),
        )
        with self._state.lock:
            self._state.snapshots[pending.info.snapshot_id] = pending
            active = self._state.active.get(pending.info.marketplace) == pending.info.snapshot_id
        self._pending = None
        return replace(pending.info, active=active)

    def abort(self) -> None:
        """Discard everything written."""
        self._pending = None

    def _open(self) -> _Snapshot:
        if self._pending is None:
            raise ValueError("snapshot writer already committed or aborted")
        return self._pending


class InMemorySignalWriter:
    """Collects one materialization's rows; publishes them all at once on commit."""

    def __init__(self, state: _State, snapshot: _Snapshot, version: str) -> None:
        self._state = state
        self._snapshot = snapshot
        self._version = version
        self._pending: _Rows | None = {}

    def add_rows(self, kind: str, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (entity id, row) of one kind."""
        pending = self._open().setdefault(checked_kind(kind), {})
        pending.update((entity_id, bytes(row)) for entity_id, row in rows)

    def commit(self) -> None:
        """Publish the version, unless the snapshot was deleted or reloaded meanwhile."""
        rows = self._open()
        self._pending = None
        snapshot_id = self._snapshot.info.snapshot_id
        with self._state.lock:
            if self._state.snapshots.get(snapshot_id) is not self._snapshot:
                raise SnapshotNotFound("snapshot", snapshot_id)
            self._snapshot.signals[self._version] = rows

    def abort(self) -> None:
        """Discard everything written."""
        self._pending = None

    def _open(self) -> _Rows:
        if self._pending is None:
            raise ValueError("signal writer already committed or aborted")
        return self._pending


class InMemorySnapshotStore:
    """Every port of ServingStore over dicts; bodies go through the codec like SQLite's."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = utc_now,
        grace_seconds: float = RETIRE_GRACE_SECONDS,
    ) -> None:
        self._state = _State()
        self._clock = clock
        self._grace_seconds = grace_seconds

    def begin(
        self, snapshot_id: str, marketplace: str, as_of: date, *, force: bool = False
    ) -> InMemorySnapshotWriter:
        """Start loading a snapshot; refuses a known snapshot_id unless forced."""
        with self._state.lock:
            if snapshot_id in self._state.snapshots and not force:
                raise SnapshotExists(snapshot_id)
        info = SnapshotInfo(snapshot_id, marketplace, as_of, self._clock(), 0, 0, False)
        return InMemorySnapshotWriter(self._state, info, self._clock)

    def activate(self, snapshot_id: str) -> None:
        """Make a loaded snapshot the active one of its marketplace; the one replaced retires."""
        with self._state.lock:
            marketplace = self._get(snapshot_id).info.marketplace
            self._retire(self._state.active.get(marketplace))
            self._state.active[marketplace] = snapshot_id
            self._state.retired.pop(snapshot_id, None)
            self._state.deactivated.discard(marketplace)

    def deactivate(self, marketplace: str) -> str:
        """Stop serving a marketplace on purpose; the snapshot that was active."""
        with self._state.lock:
            snapshot_id = self._state.active.pop(marketplace, None)
            if snapshot_id is None:
                raise SnapshotNotFound("marketplace", marketplace)
            self._retire(snapshot_id)
            self._state.deactivated.add(marketplace)
        return snapshot_id

    def delete(self, snapshot_id: str) -> None:
        """Remove a snapshot that is neither active nor retiring."""
        with self._state.lock:
            snapshot = self._get(snapshot_id)
            if self._state.active.get(snapshot.info.marketplace) == snapshot_id:
                raise SnapshotInUse(snapshot_id)
            now = self._clock().timestamp()
            left = seconds_left(self._state.retired.get(snapshot_id), now, self._grace_seconds)
            if left > 0:
                raise SnapshotRetiring(snapshot_id, left)
            del self._state.snapshots[snapshot_id]
            self._state.retired.pop(snapshot_id, None)

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` settled inactive snapshots per marketplace."""
        return prune_settled(self.list_snapshots(), keep, self.delete)

    def deactivated_marketplaces(self) -> frozenset[str]:
        """Marketplaces deactivated on purpose."""
        with self._state.lock:
            return frozenset(self._state.deactivated)

    def _retire(self, snapshot_id: str | None) -> None:
        if snapshot_id is not None:
            self._state.retired[snapshot_id] = self._clock().timestamp()

    def active_snapshots(self) -> dict[str, SnapshotInfo]:
        """The active snapshot per marketplace."""
        return {info.marketplace: info for info in self.list_snapshots() if info.active}

    def list_snapshots(self) -> list[SnapshotInfo]:
        """Every retained snapshot, newest first."""
        with self._state.lock:
            infos = [
                replace(s.info, active=self._state.active.get(s.info.marketplace) == sid)
                for sid, s in self._state.snapshots.items()
            ]
        return newest_first(infos)

    def get_sellers(self, snapshot_id: str, ids: Sequence[str]) -> list[SellerSnapshot | None]:
        """Sellers of one snapshot, aligned with `ids`."""
        bodies = self._snapshot(snapshot_id).sellers
        return [None if (b := bodies.get(i)) is None else decode_seller(b) for i in ids]

    def get_offers(self, snapshot_id: str, ids: Sequence[str]) -> list[OfferSnapshot | None]:
        """Offers of one snapshot, aligned with `ids`."""
        bodies = self._snapshot(snapshot_id).offers
        return [None if (b := bodies.get(i)) is None else decode_offer(b) for i in ids]

    def iter_sellers(self, snapshot_id: str) -> Iterable[SellerSnapshot]:
        """Every seller of one snapshot, in id order."""
        bodies = self._snapshot(snapshot_id).sellers
        return _decoded_sellers(bodies)

    def get_artifact(self, snapshot_id: str, name: str) -> bytes | None:
        """A blob stored with the snapshot at load time, None if there is none by that name."""
        return self._snapshot(snapshot_id).artifacts.get(name)

    def signal_versions(self, snapshot_id: str) -> frozenset[str]:
        """Signals versions materialized for the snapshot as loaded now."""
        with self._state.lock:
            snapshot = self._state.snapshots.get(snapshot_id)
            return frozenset(() if snapshot is None else snapshot.signals)

    def get_signal_rows(
        self, snapshot_id: str, version: str, kind: str, ids: Sequence[str]
    ) -> list[bytes | None]:
        """Rows of one kind of a materialized version, aligned with `ids`."""
        checked_kind(kind)
        rows = self._snapshot(snapshot_id).signals.get(version)
        if rows is None:
            raise SnapshotNotFound("signals", f"{snapshot_id}@{version}")
        of_kind = rows.get(kind, {})
        return [of_kind.get(i) for i in ids]

    def seller_ids(self, snapshot_id: str) -> Iterable[str]:
        """Every seller id of the snapshot, in id order."""
        return sorted(self._snapshot(snapshot_id).sellers)

    def offers_of_sellers(self, snapshot_id: str, seller_ids: Sequence[str]) -> list[OfferSnapshot]:
        """Every offer of these sellers."""
        snapshot = self._snapshot(snapshot_id)
        offer_ids = (
            o for s in dict.fromkeys(seller_ids) for o in snapshot.seller_offers.get(s, ())
        )
        return [decode_offer(snapshot.offers[offer_id]) for offer_id in offer_ids]

    def begin_signals(self, snapshot_id: str, version: str) -> InMemorySignalWriter:
        """Start materializing a version of a loaded snapshot."""
        return InMemorySignalWriter(
            self._state, self._snapshot(snapshot_id), checked_version(version)
        )

    def delete_signals(self, snapshot_id: str, version: str) -> None:
        """Delete one materialized version of a snapshot (nothing if there is none)."""
        with self._state.lock:
            self._get(snapshot_id).signals.pop(version, None)

    def ping(self) -> None:
        """Always answers: memory is always there."""

    def add_config(self, version: str, text: str, approval_reference: str, by: str) -> StoredConfig:
        """Store a version, not active yet; a version already stored keeps its first record."""
        with self._state.lock:
            return self._add_config(version, text, approval_reference, by)

    def activate_config(self, version: str, by: str) -> None:
        """Make a stored version the active one; ConfigVersionNotFound if absent."""
        with self._state.lock:
            self._activate_config(version, by)

    def seed_config(self, version: str, text: str, approval_reference: str, by: str) -> bool:
        """Store and activate a version only if no config is active; True if this call did."""
        with self._state.lock:
            if self._state.active_config is not None:
                return False
            self._add_config(version, text, approval_reference, by)
            self._activate_config(version, by)
            return True

    def active_config_version(self) -> str | None:
        """The active config version; None until one is seeded or activated."""
        return self._state.active_config

    def get_config(self, version: str) -> StoredConfig:
        """One stored version; ConfigVersionNotFound if absent."""
        with self._state.lock:
            return self._stored_config(version)

    def list_configs(self) -> list[StoredConfig]:
        """Every stored version, newest stored first."""
        with self._state.lock:
            return configs_newest_first(self._state.configs.values())

    def _add_config(
        self, version: str, text: str, approval_reference: str, by: str
    ) -> StoredConfig:
        configs = self._state.configs
        if version not in configs:
            configs[version] = StoredConfig(version, text, approval_reference, by, self._clock())
        return configs[version]

    def _activate_config(self, version: str, by: str) -> None:
        stored = self._stored_config(version)
        self._state.configs[version] = replace(stored, activated_by=by, activated_at=self._clock())
        self._state.active_config = version

    def _stored_config(self, version: str) -> StoredConfig:
        try:
            return self._state.configs[version]
        except KeyError:
            raise ConfigVersionNotFound(version) from None

    def _snapshot(self, snapshot_id: str) -> _Snapshot:
        with self._state.lock:
            return self._get(snapshot_id)

    def _get(self, snapshot_id: str) -> _Snapshot:
        try:
            return self._state.snapshots[snapshot_id]
        except KeyError:
            raise SnapshotNotFound("snapshot", snapshot_id) from None


def _decoded_sellers(bodies: dict[str, bytes]) -> Iterator[SellerSnapshot]:
    for seller_id in sorted(bodies):
        yield decode_seller(bodies[seller_id])
