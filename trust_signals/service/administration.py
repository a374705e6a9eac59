"""The admin use cases: activate a loaded snapshot, re-read the active config."""

from __future__ import annotations

from dataclasses import dataclass

from trust_signals.config import TrustConfig
from trust_signals.errors import ConfigRefused, SnapshotNotFound
from trust_signals.service.materializer import OpenStore, materialize_snapshot
from trust_signals.service.reads import TrustSignals
from trust_signals.store.activation import activate_checked
from trust_signals.store.base import ServingStore, SnapshotInfo


@dataclass(frozen=True, slots=True)
class ActivationAnswer:
    """The snapshot activated, and what this worker serves now."""

    activated: str
    active: dict[str, str]  # marketplace -> snapshot id
    config_version: str


def activate_snapshot(
    store: ServingStore,
    snapshot_id: str,
    config: TrustConfig,
    *,
    max_shrink: float | None,
    open_store: OpenStore | None = None,
) -> SnapshotInfo:
    """Activate a loaded snapshot (a rollback too): its signals under `config` are stored
    first if they are not yet, then the shrink guard decides."""
    listed = {info.snapshot_id: info for info in store.list_snapshots()}
    if snapshot_id not in listed:
        raise SnapshotNotFound("snapshot", snapshot_id)
    materialize_snapshot(store, listed[snapshot_id], config, open_store=open_store)
    return activate_checked(store, snapshot_id, max_shrink=max_shrink)


class Administration:
    """Admin requests, one call each, against the serving store and this worker's service."""

    def __init__(self, signals: TrustSignals, store: ServingStore, max_shrink: float) -> None:
        self._signals = signals
        self._store = store
        self._max_shrink = max_shrink

    def activate(self, snapshot_id: str, *, allow_shrink: bool) -> ActivationAnswer:
        """Activate `snapshot_id` through the shrink guard (`allow_shrink` lifts the drop
        limit, never the refusal of an empty snapshot) and serve it in this worker now."""
        activate_snapshot(
            self._store,
            snapshot_id,
            self._signals.view().config,
            max_shrink=None if allow_shrink else self._max_shrink,
        )
        view = self._signals.refreshed_view()
        active = {m: market.snapshot.snapshot_id for m, market in view.markets.items()}
        return ActivationAnswer(snapshot_id, active, view.config.version)

    def reload_config(self) -> str:
        """Re-read the store's active config now and return the version served; one this
        version cannot read raises ConfigRefused and the old one keeps serving."""
        self._signals.refresh()
        served = self._signals.view().config.version
        if self._signals.last_config_error is not None:
            raise ConfigRefused(self._signals.last_config_error, served)
        return served
