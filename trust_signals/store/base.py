"""The store's ports: snapshots to read and administer, the signals materialized beside them,
and the config versions every node serves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Protocol

from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot

# The kinds of materialized signal rows: offers, sellers, metadata of the materialization.
SIGNAL_KINDS: Final = frozenset({"o", "s", "m"})


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A loaded snapshot as the catalog knows it."""

    snapshot_id: str
    marketplace: str
    as_of: date
    loaded_at: datetime
    seller_count: int
    offer_count: int
    active: bool


@dataclass(frozen=True, slots=True)
class StoredConfig:
    """One config version as the store keeps it: the whole approved TOML text, the approval
    it was stored under, and who stored and last activated it, when (aware UTC)."""

    version: str
    text: str
    approval_reference: str
    stored_by: str
    stored_at: datetime
    activated_by: str | None = None
    activated_at: datetime | None = None


class SnapshotStore(Protocol):
    """Read side: batch lookups aligned with the ids asked (None where absent)."""

    def active_snapshots(self) -> dict[str, SnapshotInfo]:
        """The active snapshot per marketplace."""
        ...

    def list_snapshots(self) -> list[SnapshotInfo]:
        """Every retained snapshot, newest first."""
        ...

    def get_sellers(self, snapshot_id: str, ids: Sequence[str]) -> list[SellerSnapshot | None]:
        """Sellers of one snapshot, aligned with `ids`."""
        ...

    def get_offers(self, snapshot_id: str, ids: Sequence[str]) -> list[OfferSnapshot | None]:
        """Offers of one snapshot, aligned with `ids`."""
        ...

    def iter_sellers(self, snapshot_id: str) -> Iterable[SellerSnapshot]:
        """Every seller of one snapshot (for cohort computations), in id order."""
        ...

    def get_artifact(self, snapshot_id: str, name: str) -> bytes | None:
        """A precomputed blob stored with the snapshot at load time (e.g. cohort tables)."""
        ...

    def deactivated_marketplaces(self) -> frozenset[str]:
        """Marketplaces whose active snapshot was taken away on purpose (`deactivate`): any
        other marketplace that vanishes from the catalog was lost with the store's data."""
        ...

    def ping(self) -> None:
        """Return if the store answers, else raise StoreUnavailable."""
        ...


class SnapshotWriter(Protocol):
    """Write side of one snapshot being loaded; nothing is visible until `commit`."""

    def add_sellers(self, sellers: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (seller_id, canonical JSON record)."""
        ...

    def add_offers(self, offers: Sequence[tuple[str, str, bytes]]) -> None:
        """Store a batch of (offer_id, seller_id, canonical JSON record)."""
        ...

    def put_artifact(self, name: str, blob: bytes) -> None:
        """Store a precomputed blob with the snapshot."""
        ...

    def commit(self) -> SnapshotInfo:
        """Make the snapshot complete and listed (not yet active)."""
        ...

    def abort(self) -> None:
        """Discard everything written."""
        ...


class SnapshotCatalog(Protocol):
    """Administration of loaded snapshots: loading, activation, retention."""

    def begin(
        self, snapshot_id: str, marketplace: str, as_of: date, *, force: bool = False
    ) -> SnapshotWriter:
        """Start loading a snapshot; refuses a known snapshot_id unless forced."""
        ...

    def activate(self, snapshot_id: str) -> None:
        """Atomically make a loaded snapshot the active one of its marketplace; the one it
        replaces starts its retirement (see `delete`)."""
        ...

    def deactivate(self, marketplace: str) -> str:
        """Stop serving a marketplace on purpose; the snapshot that was active (it retires).

        SnapshotNotFound('marketplace', ...) when none is active there.
        """
        ...

    def delete(self, snapshot_id: str) -> None:
        """Remove a snapshot that is not active and not retiring: one that was active within
        the store's grace period may still be served by a worker that has not refreshed yet,
        so it raises SnapshotRetiring (with the seconds left) instead."""
        ...

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` inactive snapshots per marketplace, skipping the
        retiring ones (a later prune takes them); ids deleted."""
        ...


class ConfigCatalog(Protocol):
    """The legal config as versions in the store: every node serves the one active version,
    so a change reaches all of them at once and a file edited in place reaches none."""

    def add_config(self, version: str, text: str, approval_reference: str, by: str) -> StoredConfig:
        """Store a version, not active yet; a version already stored keeps its first record."""
        ...

    def activate_config(self, version: str, by: str) -> None:
        """Atomically make a stored version the active one; ConfigVersionNotFound if absent."""
        ...

    def seed_config(self, version: str, text: str, approval_reference: str, by: str) -> bool:
        """Store and activate a version only if no config is active, in one atomic step.

        True if this call activated it: of workers starting at once on an empty store, one
        seeds and the others find its config active.
        """
        ...

    def active_config_version(self) -> str | None:
        """The active config version; None until one is seeded or activated."""
        ...

    def get_config(self, version: str) -> StoredConfig:
        """One stored version; ConfigVersionNotFound if absent."""
        ...

    def list_configs(self) -> list[StoredConfig]:
        """Every stored version, newest stored first."""
        ...


class SignalStore(Protocol):
    """Materialized signals, read side.

    A snapshot's signals depend only on its records and on the signals version (a hash of the
    config's part that shapes them), so they are computed once per (snapshot, version) and
    stored beside the snapshot as one opaque row per entity; a request is then one batch
    lookup of those rows, no arithmetic.
    """

    def signal_versions(self, snapshot_id: str) -> frozenset[str]:
        """Signals versions completely materialized for the snapshot as it is loaded now (a
        forced reload drops them: they described the old records); empty if it is unknown."""
        ...

    def get_signal_rows(
        self, snapshot_id: str, version: str, kind: str, ids: Sequence[str]
    ) -> list[bytes | None]:
        """Rows of one kind ('o' offers, 's' sellers, 'm' metadata), aligned with `ids`, None
        where absent.

        SnapshotNotFound('snapshot', id) if the snapshot is unknown, SnapshotNotFound('signals',
        'id@version') if that version is not materialized for it.
        """
        ...

    def seller_ids(self, snapshot_id: str) -> Iterable[str]:
        """Every seller id of the snapshot in id order, streamed in pages (for the
        materializer: a page at a time, never the whole snapshot in memory)."""
        ...

    def offers_of_sellers(self, snapshot_id: str, seller_ids: Sequence[str]) -> list[OfferSnapshot]:
        """Every offer of these sellers, in no particular order (for the materializer, which
        computes a page of sellers and their offers at a time)."""
        ...


class SignalWriter(Protocol):
    """Write side of one materialization; nothing is visible until `commit`."""

    def add_rows(self, kind: str, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (entity id, row) of one kind ('o', 's' or 'm')."""
        ...

    def commit(self) -> None:
        """Make the version visible in signal_versions, atomically.

        SnapshotNotFound('snapshot', id), and nothing kept, if the snapshot was deleted or
        loaded again since `begin_signals`: the rows describe records no longer served.
        """
        ...

    def abort(self) -> None:
        """Discard everything written (safe to call more than once)."""
        ...


class SignalCatalog(Protocol):
    """Administration of materialized signals: written by the materializer when a snapshot or
    a config version is activated, deleted with their snapshot."""

    def begin_signals(self, snapshot_id: str, version: str) -> SignalWriter:
        """Start materializing a version of a loaded snapshot (SnapshotNotFound if unknown); a
        second materialization of the same version replaces the first at commit."""
        ...

    def delete_signals(self, snapshot_id: str, version: str) -> None:
        """Delete one materialized version of a snapshot: SnapshotNotFound if the snapshot is
        unknown, nothing to do if the version is not materialized."""
        ...


class ServingStore(
    SnapshotStore, SnapshotCatalog, ConfigCatalog, SignalStore, SignalCatalog, Protocol
):
    """A store that serves reads and administers its snapshots, their signals and the config
    versions (every backend here does)."""


class ReadStore(SnapshotStore, SignalStore, Protocol):
    """What the read path asks of a store: snapshots and their precomputed signals."""
