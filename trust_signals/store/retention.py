"""Catalog order and retention rules shared by every store backend."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final

from trust_signals.errors import SnapshotRetiring
from trust_signals.store.base import SnapshotInfo, StoredConfig

# How long a snapshot that stopped being active is kept from deletion: every worker checks
# the catalog every reload interval (0.5 s by default), and a request that started before
# may read the old snapshot until gunicorn's 30 s timeout ends it (settings can change it).
RETIRE_GRACE_SECONDS: Final = 30.0


def configs_newest_first(configs: Iterable[StoredConfig]) -> list[StoredConfig]:
    """Config versions ordered by when they were stored, latest first."""
    return sorted(configs, key=lambda c: (c.stored_at, c.version), reverse=True)


def newest_first(infos: Iterable[SnapshotInfo]) -> list[SnapshotInfo]:
    """Snapshots ordered by as_of, then load time, latest first (the catalog's listing order)."""
    return sorted(infos, key=lambda i: (i.as_of, i.loaded_at, i.snapshot_id), reverse=True)


def prunable(infos: Sequence[SnapshotInfo], keep: int) -> list[str]:
    """Ids of the inactive snapshots beyond the newest `keep` of each marketplace."""
    if keep < 0:
        raise ValueError(f"keep must be non-negative, not {keep}")
    kept: dict[str, int] = {}
    doomed = []
    for info in newest_first(infos):
        if info.active:
            continue
        kept[info.marketplace] = kept.get(info.marketplace, 0) + 1
        if kept[info.marketplace] > keep:
            doomed.append(info.snapshot_id)
    return doomed


def seconds_left(retired_at: float | None, now: float, grace_seconds: float) -> float:
    """Seconds until a snapshot that retired at `retired_at` (unix seconds) may be deleted."""
    return 0.0 if retired_at is None else max(0.0, retired_at + grace_seconds - now)


def prune_settled(
    infos: Sequence[SnapshotInfo], keep: int, delete: Callable[[str], None]
) -> list[str]:
    """Delete what `prunable` names, skipping snapshots still retiring; ids deleted."""
    deleted = []
    for snapshot_id in prunable(infos, keep):
        try:
            delete(snapshot_id)
        except SnapshotRetiring:
            continue
        deleted.append(snapshot_id)
    return deleted
