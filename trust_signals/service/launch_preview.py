"""The launch preview: what a new config would serve against what the active (or a stored)
config serves, on the active snapshot of every marketplace, for legal review before an
activation.

Per marketplace and badge: the offers and sellers that gain and lose it, by cohort; per
profile stat: the sellers that newly show or withhold it; the ranking schema's changes;
every changed approval, date, switch and condition. Nothing is stored: the new config's
signals are computed, not materialized, and the store is only read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from trust_signals.config.legal import MarketplaceConfig, TrustConfig
from trust_signals.domain.config_diff import (
    FieldChange,
    ItemChange,
    SchemaChange,
    badge_changes,
    field_changes,
    schema_change,
    stat_changes,
)
from trust_signals.domain.launch_impact import (
    OFFERS,
    SELLERS,
    Movement,
    StatImpact,
    badge_movement,
    cohort_order,
    stat_impacts,
)
from trust_signals.errors import TrustSignalsError
from trust_signals.service.config_versions import parse_stored
from trust_signals.service.held_badges import held_source
from trust_signals.service.materializer import OpenStore, Progress, snapshot_priors
from trust_signals.service.preview_counts import Counts, MarketTask, SetsSource, count_markets
from trust_signals.store.base import ConfigCatalog, ReadStore, SnapshotInfo

ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class BadgeImpact:
    """One badge in one marketplace: its movement among offers (None when it shows on no
    offer under either config) and among sellers' profile pages (None likewise)."""

    badge_id: str
    offers: Movement | None
    sellers: Movement | None


@dataclass(frozen=True, slots=True)
class MarketplacePreview:
    """One marketplace: its active snapshot's figures and its effective rules' changes.

    `before_from` says where the replaced config's figures come from: 'stored signals',
    'computed', or 'no snapshot' (no active snapshot: changes only, no figures). `settings`:
    the marketplace's own values that changed (its store stage).
    """

    marketplace: str
    snapshot_id: str | None
    seller_count: int
    offer_count: int
    signals_before: str
    signals_after: str
    before_from: str
    settings: tuple[FieldChange, ...]
    badge_changes: tuple[ItemChange, ...]
    badges: tuple[BadgeImpact, ...]
    stats: tuple[StatImpact, ...]


@dataclass(frozen=True, slots=True)
class LaunchPreview:
    """Everything a reviewer needs to approve `config_version` in place of `against_version`
    on day `on` (whose effective dates apply)."""

    config_version: str
    config_name: str
    against_version: str
    against_approval: str | None  # the approval the replaced version was stored under
    on: date
    settings: tuple[FieldChange, ...]  # config-wide values: approval, parameters, caps
    stat_changes: tuple[ItemChange, ...]
    schema: SchemaChange
    marketplaces: tuple[MarketplacePreview, ...]

    def as_json(self) -> dict[str, Any]:
        """The whole preview as plain JSON-ready data (dates as ISO strings)."""
        data = dataclasses.asdict(self)
        data["on"] = self.on.isoformat()
        data["schema"]["changed"] = self.schema.changed
        return data


def against_config(catalog: ConfigCatalog, against: str) -> tuple[TrustConfig, str]:
    """The config to compare with, 'active' or a stored version, and its stored approval."""
    version = catalog.active_config_version() if against == ACTIVE else against
    if version is None:
        raise TrustSignalsError(
            "no config is active yet: nothing to compare with (name a stored version, "
            "`config history` lists them)"
        )
    stored = catalog.get_config(version)
    return parse_stored(stored), stored.approval_reference


def preview_launch(
    store: ReadStore,
    after: TrustConfig,
    before: TrustConfig,
    *,
    on: date,
    against_approval: str | None = None,
    open_store: OpenStore | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> LaunchPreview:
    """The preview of `after` replacing `before` over the store's active snapshots.

    With `open_store` (a picklable way to open this store in another process) the counting
    runs on every core, as the materializer does.
    """
    active = sorted(store.active_snapshots().values(), key=lambda info: info.marketplace)
    tasks = [_task(store, info, before, after, on) for info in active]
    entities = sum(info.seller_count + info.offer_count for info in active)
    counts = count_markets(
        store, tasks, entities, open_store=open_store, workers=workers, progress=progress
    )
    markets = [
        _counted_market(info, task, found, before, after)
        for info, task, found in zip(active, tasks, counts, strict=True)
    ]
    served = {info.marketplace for info in active}
    for marketplace in sorted((before.known_marketplaces | after.known_marketplaces) - served):
        markets.append(_market(marketplace, None, before, after, "no snapshot", (), ()))
    return LaunchPreview(
        after.version,
        after.config_name,
        before.version,
        against_approval,
        on,
        field_changes(setting_fields(before), setting_fields(after)),
        tuple(stat_changes(before.base.stats, after.base.stats)),
        schema_change(before.base.feature_schema, after.base.feature_schema),
        tuple(markets),
    )


def _task(
    store: ReadStore, info: SnapshotInfo, before: TrustConfig, after: TrustConfig, on: date
) -> MarketTask:
    same = (
        before.for_marketplace(info.marketplace).signals_version
        == after.for_marketplace(info.marketplace).signals_version
    )
    return MarketTask(
        info.snapshot_id,
        info.marketplace,
        info.as_of,
        on,
        before.text,
        after.text,
        _sets_source(store, info, before),
        None if same else _sets_source(store, info, after),
    )


def _sets_source(store: ReadStore, info: SnapshotInfo, config: TrustConfig) -> SetsSource:
    """Where `config`'s met sets of the snapshot come from: its stored signals (an activation
    would serve them as they are), else computed as a materialization would: with the same
    cohort priors and, for keep margins, the same predecessor's held badges."""
    version = config.for_marketplace(info.marketplace).signals_version
    if version in store.signal_versions(info.snapshot_id):
        return SetsSource(version)
    _, held = held_source(store, info, version)
    return SetsSource(None, snapshot_priors(store, info, config), held)


def _counted_market(
    info: SnapshotInfo, task: MarketTask, counts: Counts, before: TrustConfig, after: TrustConfig
) -> MarketplacePreview:
    new = after.for_marketplace(info.marketplace)
    order = cohort_order(new.cohort_spec)
    old = before.for_marketplace(info.marketplace)
    badges = []
    for badge_id in _ids(new, old):
        on_offers = _shows(badge_id, old, new, offers=True)
        on_sellers = _shows(badge_id, old, new, offers=False)
        badges.append(
            BadgeImpact(
                badge_id,
                badge_movement(counts.badges, OFFERS, badge_id, order) if on_offers else None,
                badge_movement(counts.badges, SELLERS, badge_id, order) if on_sellers else None,
            )
        )
    stat_ids = [s.id for s in new.stats]
    stat_ids += [s.id for s in old.stats if s.id not in stat_ids]
    source = "computed" if task.before.stored is None else "stored signals"
    return _market(
        info.marketplace,
        info,
        before,
        after,
        source,
        tuple(badges),
        tuple(stat_impacts(counts.stats, stat_ids)),
    )


def _market(
    marketplace: str,
    info: SnapshotInfo | None,
    before: TrustConfig,
    after: TrustConfig,
    before_from: str,
    badges: tuple[BadgeImpact, ...],
    stats: tuple[StatImpact, ...],
) -> MarketplacePreview:
    old, new = before.for_marketplace(marketplace), after.for_marketplace(marketplace)
    return MarketplacePreview(
        marketplace,
        None if info is None else info.snapshot_id,
        0 if info is None else info.seller_count,
        0 if info is None else info.offer_count,
        old.signals_version,
        new.signals_version,
        before_from,
        field_changes(market_fields(old), market_fields(new)),
        tuple(badge_changes([c.rule for c in old.rules], [c.rule for c in new.rules], marketplace)),
        badges,
        stats,
    )


def _ids(*configs: MarketplaceConfig) -> list[str]:
    """Badge ids in the first config's display order, then those only in the others."""
    return list(dict.fromkeys(c.rule.id for config in configs for c in config.rules))


def _shows(badge_id: str, *configs: MarketplaceConfig, offers: bool) -> bool:
    """Whether the badge can show on offers (or on sellers' pages) under any of the configs."""
    return any(
        c.for_offers if offers else c.for_sellers
        for config in configs
        for c in config.rules
        if c.rule.id == badge_id
    )


def market_fields(config: MarketplaceConfig) -> dict[str, str]:
    """A marketplace's own values beside its badges, as named texts: its store stage (which
    stores' cohorts its program reports and benchmarks pool it with)."""
    return {"store_stage": config.store_stage}


def setting_fields(config: TrustConfig) -> dict[str, str]:
    """The config-wide values a reviewer approves, as named texts: the approval itself
    (which covers the profile stats and ranking features, which carry none of their own),
    the signal and cohort parameters, the surfaces' caps, the retention, and the resources
    seller coaching points to (per defect type or criterion: copy key and link)."""
    params, spec, caps = config.params, config.cohort_spec, config.base.surface_caps
    fields = {
        "config_name": config.config_name,
        "approval_reference": config.approval_reference,
        "wilson_z": f"{params.z:g}",
        "shrinkage_pseudo_orders": f"{params.pseudo_orders:g}",
        "shrinkage_cohort": ", ".join(spec.shrinkage_dimensions) or "none",
        "min_cohort_size": str(spec.min_cohort_size),
        "tenure_band_edges_days": ", ".join(str(e) for e in spec.tenure_band_edges_days),
        "retained_snapshots": str(config.retained_snapshots),
    }
    for family, weights in sorted(params.weights.items()):
        for kind, weight in sorted(weights.items()):
            fields[f"dsi_weights.{family}.{kind}"] = f"{weight:g}"
    for surface, cap in sorted(caps.items()):
        fields[f"surfaces.{surface}.max_badges"] = str(cap)
    resources: dict[str, list[str]] = {}
    for resource in config.base.coaching_resources:
        target = (
            f"defect.{resource.defect}" if resource.defect else f"criterion.{resource.criterion}"
        )
        resources.setdefault(target, []).append(f"{resource.copy_key} {resource.link}")
    for target, texts in sorted(resources.items()):
        fields[f"coaching.resources.{target}"] = "; ".join(texts)
    return fields
