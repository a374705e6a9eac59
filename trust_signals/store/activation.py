"""The shrink guard: an activation that would wipe most of what a marketplace shows is refused."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from trust_signals.errors import ActivationRefused, SnapshotNotFound
from trust_signals.plurals import counted
from trust_signals.store.base import ServingStore, SnapshotInfo

# A day-on-day drop beyond this share of sellers or offers is far more often a broken export
# than a real change of the marketplace.
DEFAULT_MAX_SHRINK: Final = 0.2


def shrink_problem(
    candidate: SnapshotInfo, active: SnapshotInfo | None, max_shrink: float | None
) -> str | None:
    """Why activating `candidate` in place of `active` is refused, or None.

    An empty snapshot is always refused: taking a marketplace off is `deactivate`. A drop of
    more than `max_shrink` (a share) of the active snapshot's sellers or offers is refused
    unless `max_shrink` is None (the operator allowed the shrink).
    """
    name, market = candidate.snapshot_id, candidate.marketplace
    if candidate.seller_count == 0 or candidate.offer_count == 0:
        return (
            f"snapshot {name} has {counted(candidate.seller_count, 'seller')} and "
            f"{counted(candidate.offer_count, 'offer')}: activating it would wipe every badge "
            f"and stat of {market}; to stop serving {market} on purpose, use "
            f"`trust-signals snapshots deactivate {market}`"
        )
    if active is None or max_shrink is None or active.snapshot_id == name:
        return None
    for kind, now, before in (
        ("seller", candidate.seller_count, active.seller_count),
        ("offer", candidate.offer_count, active.offer_count),
    ):
        drop = 1 - now / before if before else 0.0
        if drop > max_shrink:
            return (
                f"snapshot {name} has {counted(now, kind)}, {drop:.1%} fewer than the active "
                f"{active.snapshot_id} ({before:,}); more than {max_shrink:.0%} fewer is "
                f"refused: activate it with --allow-shrink if the drop is real"
            )
    return None


def activate_checked(
    store: ServingStore, snapshot_id: str, *, max_shrink: float | None = DEFAULT_MAX_SHRINK
) -> SnapshotInfo:
    """Activate a loaded snapshot unless the shrink guard refuses (ActivationRefused); the
    snapshot as now active. `max_shrink=None` allows any drop but still refuses an empty one."""
    listing = store.list_snapshots()
    candidate = next((i for i in listing if i.snapshot_id == snapshot_id), None)
    if candidate is None:
        raise SnapshotNotFound("snapshot", snapshot_id)
    active = next((i for i in listing if i.active and i.marketplace == candidate.marketplace), None)
    if problem := shrink_problem(candidate, active, max_shrink):
        raise ActivationRefused(problem)
    store.activate(snapshot_id)
    return replace(candidate, active=True)


def activate_loaded(
    store: ServingStore, info: SnapshotInfo, *, max_shrink: float | None
) -> SnapshotInfo:
    """`activate_checked` right after a load: a refusal says the snapshot is loaded all the
    same (it stays, inactive, for an activation with the shrink allowed)."""
    try:
        return activate_checked(store, info.snapshot_id, max_shrink=max_shrink)
    except ActivationRefused as refused:
        raise ActivationRefused(f"loaded {info.snapshot_id} but not activated: {refused}") from None
