"""Ranking feature vectors in a configured, ordered, versioned schema."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from math import log1p

from trust_signals.domain.signals import SignalFn, SignalParams, Subject

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

    @property
    def names(self) -> list[str]:
        """Feature names in schema order."""
        return [f.name for f in self.features]


def feature_schema(features: Sequence[FeatureDefinition]) -> FeatureSchema:
    """A schema whose version changes whenever any feature's definition changes."""
    canonical = [
        [f.name, f.signal, f.window, f.bound, f.transform, f.clip_min, f.clip_max, f.default]
        for f in features
    ]
    digest = hashlib.sha256(json.dumps(canonical).encode()).hexdigest()[:16]
    return FeatureSchema(tuple(features), f"fs-{digest}")


def _transform(feature: FeatureDefinition, value: float) -> float:
    if feature.transform == "log1p":
        return log1p(max(0.0, value))
    if feature.transform == "clip":
        low = feature.clip_min if feature.clip_min is not None else value
        high = feature.clip_max if feature.clip_max is not None else value
        return min(high, max(low, value))
    return value


def feature_vector(
    schema: FeatureSchema, subject: Subject, params: SignalParams
) -> tuple[list[float], list[bool]]:
    """The vector in schema order and its missing mask (True where the default was used)."""
    values: list[float] = []
    missing: list[bool] = []
    for feature in schema.features:
        raw = feature.compiled(subject, params).bound(feature.bound)
        if raw is None:
            values.append(feature.default)
            missing.append(True)
        else:
            values.append(_transform(feature, float(raw)))
            missing.append(False)
    return values, missing
