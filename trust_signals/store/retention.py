"""Catalog order and retention rules shared by every store backend."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from trust_signals.store.base import SnapshotInfo, StoredConfig


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
