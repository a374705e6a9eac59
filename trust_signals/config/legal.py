"""The legal-approved TOML config (`load_config`, `parse_config`): what legal approved
(thresholds, badges, stats, features), validated by the schemas of `config.schema` and turned
into frozen objects once per load. `config_version` is a short
hash of the parsed content, so comments and layout do not change it, any value does.

Marketplaces: `[marketplaces.XX]` tables name the store's stage and may switch badges off
or change thresholds there. A marketplace without such a table (known or not) gets the base
configuration: an emerging store, where a badge shows only if its own `marketplaces` list
approves it, so an unknown marketplace gets stats and features but no badge.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marshmallow import ValidationError

from trust_signals.config.problems import ending_problems, error_paths
from trust_signals.config.schema import ConfigSchema
from trust_signals.domain.badges import (
    BadgeRule,
    CompiledRule,
    compile_rules,
    iter_conditions,
    override_thresholds,
)
from trust_signals.domain.coaching_offers import Resource
from trust_signals.domain.cohorts import CohortSpec, canonical_dimensions
from trust_signals.domain.profile_stats import StatDefinition
from trust_signals.domain.ranking_features import FeatureSchema, feature_schema
from trust_signals.domain.signals import SignalParams
from trust_signals.domain.store_stages import DEFAULT_STORE_STAGE
from trust_signals.errors import ConfigError


@dataclass(frozen=True, slots=True)
class MarketplaceConfig:
    """The configuration in effect in one marketplace (None: the base, without overrides)."""

    marketplace: str | None
    config_version: str
    params: SignalParams
    cohort_spec: CohortSpec
    rules: tuple[CompiledRule, ...]  # display order: priority descending, then id
    stats: tuple[StatDefinition, ...]
    feature_schema: FeatureSchema
    surface_caps: Mapping[str, int]  # surface -> at most this many badges
    max_ids: Mapping[str, int]  # 'badges' / 'features' -> ids per call
    badges_disabled: frozenset[str]
    threshold_overrides: Mapping[str, float]  # 'badge_id.condition_id' -> threshold
    store_stage: str = DEFAULT_STORE_STAGE  # pooled at read time: not in signals_version
    coaching_resources: tuple[Resource, ...] = ()  # what seller coaching points to
    # A hash of what an entity's precomputed signals depend on (see `signals_version`).
    signals_version: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        version = signals_version(
            self.params, self.cohort_spec, self.rules, self.stats, self.feature_schema
        )
        object.__setattr__(self, "signals_version", version)

    def describe(self) -> dict[str, Any]:
        """This effective configuration as plain JSON-ready data."""
        return {
            "marketplace": self.marketplace,
            "store_stage": self.store_stage,
            "surface_caps": dict(self.surface_caps),
            "max_ids": dict(self.max_ids),
            "badges_disabled": sorted(self.badges_disabled),
            "threshold_overrides": dict(self.threshold_overrides),
            "badges": [_describe_rule(c.rule) for c in self.rules],
            "profile_stats": [
                {"id": s.id, "signal": s.signal, "windows": list(s.windows)} for s in self.stats
            ],
            "feature_schema_version": self.feature_schema.version,
            "features": self.feature_schema.names,
            "coaching_resources": [dataclasses.asdict(r) for r in self.coaching_resources],
        }


def _describe_rule(rule: BadgeRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "enabled": rule.enabled,
        "level": rule.level,
        "marketplaces": sorted(rule.marketplaces),
        "surfaces": sorted(rule.surfaces),
        "priority": rule.priority,
        "effective_from": rule.effective_from.isoformat(),
        "effective_until": rule.effective_until and rule.effective_until.isoformat(),
        "approval_reference": rule.approval_reference,
        "keep_margin": dict(rule.keep_margin),
        "conditions": [
            {"path": path, **dataclasses.asdict(condition)}
            for path, condition in iter_conditions(rule.when)
        ],
    }


@dataclass(frozen=True, slots=True)
class TrustConfig:
    """One validated configuration file, compiled per marketplace."""

    version: str
    source: str
    config_name: str
    approval_reference: str
    params: SignalParams
    cohort_spec: CohortSpec
    retained_snapshots: int
    base: MarketplaceConfig
    marketplaces: Mapping[str, MarketplaceConfig]  # those with a [marketplaces.XX] table
    known_marketplaces: frozenset[str]
    text: str  # the TOML it was read from: what worker processes parse again

    def for_marketplace(self, marketplace: str) -> MarketplaceConfig:
        """The marketplace's effective configuration; the base one when it has no table."""
        return self.marketplaces.get(marketplace, self.base)

    def describe(self) -> dict[str, Any]:
        """The whole configuration, base and per marketplace, as plain JSON-ready data."""
        return {
            "config_name": self.config_name,
            "config_version": self.version,
            "source": self.source,
            "approval_reference": self.approval_reference,
            "known_marketplaces": sorted(self.known_marketplaces),
            "base": self.base.describe(),
            "marketplaces": {m: c.describe() for m, c in sorted(self.marketplaces.items())},
        }


def signals_version(
    params: SignalParams,
    cohort_spec: CohortSpec,
    rules: Sequence[CompiledRule],
    stats: Sequence[StatDefinition],
    schema: FeatureSchema,
) -> str:
    """A short hash of everything precomputed signals depend on, and of nothing else.

    In: the signal parameters, the cohorts (priors), each rule's conditions with this
    marketplace's thresholds (level, windows, window by volume, inheritance, keep margins:
    they decide who keeps a badge, so they are computed with it), the profile
    stats and the ranking schema. Out, applied at read time: the kill switch, approvals,
    effective dates, surfaces, priorities, caps, copy keys and batch limits. A config change
    that keeps this hash serves at once; one that changes it is precomputed first.
    """
    evaluated = [
        {
            "id": c.rule.id,
            "level": c.rule.level,
            "inherit_to_offers": c.rule.inherit_to_offers,
            "window": c.rule.window,
            "window_by_volume": c.rule.window_by_volume,
            "when": c.rule.when,
            "keep_margin": c.rule.keep_margin,
        }
        for c in sorted(rules, key=lambda c: c.rule.id)
    ]
    canonical = json.dumps(
        {
            "params": [params.z, params.weights, params.pseudo_orders],
            "cohorts": dataclasses.asdict(cohort_spec),
            "rules": evaluated,
            "stats": [
                [s.id, s.signal, s.windows, s.min_sample, s.format, s.higher_is_better]
                for s in stats
            ],
            "features": schema.version,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=_plain,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _plain(value: Any) -> Any:
    """JSON for the frozen values of a config: dataclasses, mappings, sets."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"no canonical form for {type(value).__name__}")


def config_version(parsed: Mapping[str, Any]) -> str:
    """A short hash of the parsed content: same values, same version, whatever the layout.

    `[end]` is left out: it only repeats config_name to mark the file complete.
    """
    values = {key: value for key, value in parsed.items() if key != "end"}
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _effective_rules(
    rules: Sequence[BadgeRule], disabled: frozenset[str], thresholds: Mapping[str, float]
) -> tuple[CompiledRule, ...]:
    effective = []
    for rule in rules:
        own = {
            key.partition(".")[2]: value
            for key, value in thresholds.items()
            if key.partition(".")[0] == rule.id
        }
        changed = override_thresholds(rule, own) if own else rule
        if rule.id in disabled:
            changed = dataclasses.replace(changed, enabled=False)
        effective.append(changed)
    return compile_rules(effective)


def _build(data: Mapping[str, Any], version: str, source: str, text: str) -> TrustConfig:
    params = SignalParams(
        z=data["wilson_z"],
        weights=MappingProxyType(
            {f: MappingProxyType(dict(w)) for f, w in data["dsi_weights"].items()}
        ),
        pseudo_orders=data["shrinkage_pseudo_orders"],
    )
    cohort_spec = CohortSpec(
        tuple(data["tenure_band_edges_days"]),
        canonical_dimensions(data["shrinkage_cohort"]),
        data["min_cohort_size"],
    )
    schema = feature_schema(data["ranking_features"])
    caps = MappingProxyType({s: v["max_badges"] for s, v in data["surfaces"].items()})
    max_ids = MappingProxyType(dict(data["max_ids"]))

    def effective(marketplace: str | None, override: Mapping[str, Any]) -> MarketplaceConfig:
        disabled = frozenset(override.get("badges_disabled", ()))
        thresholds = MappingProxyType(dict(override.get("thresholds", {})))
        return MarketplaceConfig(
            marketplace,
            version,
            params,
            cohort_spec,
            _effective_rules(data["badges"], disabled, thresholds),
            tuple(data["profile_stats"]),
            schema,
            caps,
            max_ids,
            disabled,
            thresholds,
            override.get("store_stage", DEFAULT_STORE_STAGE),
            tuple(data["coaching"].get("resources", ())),
        )

    overrides = data["marketplaces"]
    approved = {m for rule in data["badges"] for m in rule.marketplaces}
    return TrustConfig(
        version=version,
        source=source,
        config_name=data["config_name"],
        approval_reference=data["approval_reference"],
        params=params,
        cohort_spec=cohort_spec,
        retained_snapshots=data["retained_snapshots"],
        base=effective(None, {}),
        marketplaces=MappingProxyType({m: effective(m, o) for m, o in overrides.items()}),
        known_marketplaces=frozenset(overrides) | approved,
        text=text,
    )


def parse_config(text: str, source: str) -> TrustConfig:
    """The configuration in `text` (from `source`); ConfigError listing every problem."""
    # The ending first: for a copy cut short it is the one problem that says why.
    ending = ending_problems(text)
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([*ending, f"{source}: TOML syntax error: {error}"]) from error
    try:
        data = ConfigSchema().load(parsed)
    except ValidationError as error:
        # dict.fromkeys: a missing [end] is reported by the text check and the schema alike.
        raise ConfigError(list(dict.fromkeys(ending + error_paths(error.messages)))) from error
    if ending:
        raise ConfigError(ending)
    try:
        return _build(data, config_version(parsed), source, text)
    except ValueError as error:  # a domain invariant the schemas did not foresee
        raise ConfigError([f"{source}: {error}"]) from error


def read_config_text(path: Path | str) -> str:
    """The text of the configuration file at `path`; ConfigError when unreadable."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ConfigError([f"{path}: cannot read: {reason}"]) from error


def load_config(path: Path | str) -> TrustConfig:
    """The configuration file at `path`; ConfigError when unreadable or invalid."""
    return parse_config(read_config_text(path), str(path))
