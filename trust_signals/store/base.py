"""The store's ports: snapshots to read and administer, and the config versions every node
serves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot


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


class ServingStore(SnapshotStore, SnapshotCatalog, ConfigCatalog, Protocol):
    """A store that serves reads and administers its snapshots and config versions (every
    backend here does)."""
