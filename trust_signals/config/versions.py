"""The config's two hashes: `config_version` (everything approved) and `signals_version`
(what precomputed signals depend on, per marketplace)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from trust_signals.domain.badges import CompiledRule
from trust_signals.domain.cohorts import CohortSpec
from trust_signals.domain.profile_stats import StatDefinition
from trust_signals.domain.ranking_features import FeatureSchema
from trust_signals.domain.signals import SignalParams


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
