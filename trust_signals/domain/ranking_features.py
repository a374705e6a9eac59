"""Ranking feature vectors in a configured, ordered, versioned schema."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import log1p

from trust_signals.domain.signals import LEVELS, SignalFn, SignalParams, Subject

TRANSFORMS = ("identity", "log1p", "clip")


@dataclass(frozen=True, slots=True)
class FeatureDefinition:
    """One feature: name, source signal and window, which bound, transform, default."""

    name: str
    signal: str
    window: str | None
    bound: str  # 'point' | 'lower' | 'upper'
    transform: str  # one of TRANSFORMS
    clip_min: float | None
    clip_max: float | None
    default: float
    compiled: SignalFn


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """The ordered feature list and its version, a hash of its definition."""

    features: tuple[FeatureDefinition, ...]
    version: str
    # Precomputed at config load: (position, feature) per signal level, and the defaults.
    by_level: Mapping[str, tuple[tuple[int, FeatureDefinition], ...]]
    defaults: tuple[float, ...]

    @property
    def names(self) -> list[str]:
        """Feature names in schema order."""
        return [f.name for f in self.features]


def feature_schema(features: Sequence[FeatureDefinition]) -> FeatureSchema:
    """A schema whose version changes whenever any feature's definition changes."""
    canonical = [
        [
            f.name,
            f.signal,
            f.window,
            f.bound,
            f.transform,
            _number(f.clip_min),
            _number(f.clip_max),
            _number(f.default),
        ]
        for f in features
    ]
    digest = hashlib.sha256(json.dumps(canonical).encode()).hexdigest()[:16]
    by_level = {
        level: tuple((i, f) for i, f in enumerate(features) if f.signal.startswith(level + "."))
        for level in LEVELS
    }
    defaults = tuple(float(f.default) for f in features)
    return FeatureSchema(tuple(features), f"fs-{digest}", by_level, defaults)


def _number(value: float | None) -> float | None:
    # As floats, so that a config's `0` and `0.0` hash alike: they are the same definition.
    return None if value is None else float(value)


def _transform(feature: FeatureDefinition, value: float) -> float:
    if feature.transform == "log1p":
        return log1p(max(0.0, value))
    if feature.transform == "clip":
        # Either bound may be absent: clip only at the bounds that are given.
        if feature.clip_min is not None:
            value = max(feature.clip_min, value)
        if feature.clip_max is not None:
            value = min(feature.clip_max, value)
        return value
    return value


def level_values(
    schema: FeatureSchema, level: str, subject: Subject, params: SignalParams
) -> dict[int, float | None]:
    """Transformed values of the features on one level's signals, by schema position.

    Seller-level features are the same for every offer of a seller: computing them once per
    seller and assembling each offer's vector from both parts halves the work per offer.
    None marks a missing value.
    """
    values: dict[int, float | None] = {}
    for position, feature in schema.by_level[level]:
        raw = feature.compiled(subject, params).bound(feature.bound)
        values[position] = None if raw is None else _transform(feature, float(raw))
    return values


def assemble_vector(
    schema: FeatureSchema, *parts: dict[int, float | None]
) -> tuple[list[float], list[bool]]:
    """The vector in schema order and its missing mask (True where the default was used)."""
    values = list(schema.defaults)
    missing = [True] * len(values)
    for part in parts:
        for position, value in part.items():
            if value is not None:
                values[position] = value
                missing[position] = False
    return values, missing


def feature_vector(
    schema: FeatureSchema, subject: Subject, params: SignalParams
) -> tuple[list[float], list[bool]]:
    """The vector in schema order and its missing mask (True where the default was used)."""
    return assemble_vector(
        schema,
        level_values(schema, "seller", subject, params),
        level_values(schema, "offer", subject, params),
    )
