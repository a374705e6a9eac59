"""The served View: rebuilt off the request path when a snapshot or the config changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

import orjson

from trust_signals.config import MarketplaceConfig, TrustConfig
from trust_signals.errors import ConfigError, SignalsNotReady, TrustSignalsError
from trust_signals.service.cohort_artifacts import CohortModel, build_artifacts
from trust_signals.service.signal_rows import LAYOUT_ID, META, RowLayout
from trust_signals.service.view import Market, View
from trust_signals.store.base import ReadStore, SnapshotInfo
from trust_signals.store.codec import BODY_FORMAT, BODY_FORMAT_ARTIFACT

log = logging.getLogger(__name__)


class ViewKeeper:
    """Holds the current View and builds the next one.

    `refresh()` runs on a background thread (and once at start); a request reads `current()`
    once, so one response never mixes two snapshots or two configs. An active config that
    fails validation never replaces the serving config: it is kept out and its error reported.
    """

    def __init__(self, store: ReadStore, read_config: Callable[[], TrustConfig]) -> None:
        self._store = store
        self._read_config = read_config
        self._refresh_lock = threading.Lock()
        self._view: View | None = None
        self.last_config_error: str | None = None
        self.refresh()

    def current(self) -> View:
        """The current consistent state."""
        view = self._view
        if view is None:
            raise TrustSignalsError("no configuration loaded")
        return view

    def refresh(self) -> bool:
        """Rebuild the View if the active snapshots or the configuration changed."""
        with self._refresh_lock:
            config = self._current_config()
            if config is None:
                return False
            active = self._store.active_snapshots()
            old = self._view
            lost = self._lost_markets(old, active)
            served = {**active, **lost}
            if (
                old is not None
                and old.config.version == config.version
                and old.lost == lost.keys()
                and {m: k.snapshot.snapshot_id for m, k in old.markets.items()}
                == {m: info.snapshot_id for m, info in served.items()}
            ):
                return False
            try:
                self._view = self._build_view(config, served, old, frozenset(lost))
            except SignalsNotReady as pending:
                if old is not None:
                    # A new config or snapshot is served only once its signals are stored in
                    # full (`trust-signals config activate` and `load` store them first).
                    log.warning("keeping config %s: %s", old.config.version, pending)
                    return False
                # Starting: serve what is ready rather than nothing.
                log.error("not serving every marketplace: %s", pending)
                self._view = self._build_view(config, served, old, frozenset(lost), strict=False)
            return True

    def _lost_markets(
        self, old: View | None, active: Mapping[str, SnapshotInfo]
    ) -> dict[str, SnapshotInfo]:
        """Served marketplaces that vanished from the catalog without a deactivation.

        A store that restarts empty (Redis without persistence) or is wiped must not take
        search and PDP down: the worker keeps serving what it has, degraded where the store
        cannot answer, until a snapshot is active again or the marketplace is deactivated.
        """
        if old is None:
            return {}
        vanished = [m for m in old.markets if m not in active]
        if not vanished:
            return {}
        deactivated = self._store.deactivated_marketplaces()
        lost = {m: old.markets[m].snapshot for m in vanished if m not in deactivated}
        for marketplace in lost.keys() - old.lost:
            log.error(
                "the store no longer lists %s's active snapshot %s and it was not deactivated: "
                "the store lost its data; serving the last good view, degraded, until a "
                "snapshot is loaded again (or `trust-signals snapshots deactivate %s`)",
                marketplace,
                lost[marketplace].snapshot_id,
                marketplace,
            )
        return lost

    def _current_config(self) -> TrustConfig | None:
        try:
            config = self._read_config()
        except ConfigError as error:
            # A bad config never replaces the serving one; it is reported, not applied. A store
            # that cannot answer is not a config problem: refresh() fails as it would anyway.
            self.last_config_error = str(error)
            if self._view is None:
                raise
            log.error("configuration refused, keeping %s: %s", self._view.config.version, error)
            return self._view.config
        self.last_config_error = None
        return config

    def _build_view(
        self,
        config: TrustConfig,
        active: Mapping[str, SnapshotInfo],
        old: View | None,
        lost: frozenset[str],
        *,
        strict: bool = True,
    ) -> View:
        """The view of `active` under `config`; a marketplace whose signals are not stored
        raises SignalsNotReady, or is left out when not `strict`."""
        model = CohortModel(config.cohort_spec, config.params)
        markets = {}
        for marketplace, info in active.items():
            try:
                markets[marketplace] = self._market(config, model, info, old, lost)
            except SignalsNotReady as pending:
                if strict:
                    raise
                log.error("not serving %s: %s", marketplace, pending)
        return View(config, model, markets, lost)

    def _market(
        self,
        config: TrustConfig,
        model: CohortModel,
        info: SnapshotInfo,
        old: View | None,
        lost: frozenset[str],
    ) -> Market:
        marketplace = info.marketplace
        reused = old.markets.get(marketplace) if old is not None else None
        if (
            reused is not None
            and reused.snapshot.snapshot_id == info.snapshot_id
            and old is not None
            and (old.cohort_model.version == model.version or marketplace in lost)
        ):
            # A lost market keeps its priors even under new cohort parameters: the
            # sellers to recompute them from are gone with the store's data.
            market_config = config.for_marketplace(marketplace)
            layout = (
                reused.layout
                if market_config.signals_version == reused.config.signals_version
                or marketplace in lost
                else self._layout(info, market_config)
            )
            return Market(info, market_config, reused.priors, reused.artifacts, layout)
        return self._load_market(info, config, model)

    def _layout(self, info: SnapshotInfo, config: MarketplaceConfig) -> RowLayout:
        """The row layout of the snapshot's signals under `config`; SignalsNotReady if they
        are not stored (yet)."""
        version = config.signals_version
        if version not in self._store.signal_versions(info.snapshot_id):
            raise SignalsNotReady(
                f"the signals of {info.snapshot_id} under signals version {version} are not "
                "stored: `trust-signals materialize` stores them"
            )
        [blob] = self._store.get_signal_rows(info.snapshot_id, version, META, [LAYOUT_ID])
        if blob is None:
            raise SignalsNotReady(f"{info.snapshot_id}@{version} has no row layout")
        return RowLayout.from_bytes(blob)

    def _load_market(self, info: SnapshotInfo, config: TrustConfig, model: CohortModel) -> Market:
        stored_format = self._store.get_artifact(info.snapshot_id, BODY_FORMAT_ARTIFACT)
        if stored_format != BODY_FORMAT:
            raise TrustSignalsError(
                f"snapshot {info.snapshot_id} is stored in another record form "
                f"({(stored_format or b'unknown').decode()}, this version reads "
                f"{BODY_FORMAT.decode()}): load it again with `trust-signals load --force`"
            )
        blob = self._store.get_artifact(info.snapshot_id, f"priors:{model.version}")
        artifacts: Mapping[str, bytes] = {}
        if blob is None:
            # Loaded under other cohort parameters: compute here, off the request path.
            log.warning("computing cohort artifacts for %s in-process", info.snapshot_id)
            artifacts = build_artifacts(
                self._store.iter_sellers(info.snapshot_id), model, info.as_of
            )
            blob = artifacts[f"priors:{model.version}"]
        market_config = config.for_marketplace(info.marketplace)
        layout = self._layout(info, market_config)
        return Market(info, market_config, orjson.loads(blob), artifacts, layout)
