"""Ranking feature vectors in a configured, ordered, versioned schema."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import inf, log1p

from trust_signals.domain.signal_bounds import BoundFn
from trust_signals.domain.signals import LEVELS, SignalParams, Subject

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
    compiled: BoundFn  # the chosen bound of the signal over the window (`compile_bound`)


FeatureValue = Callable[[Subject, SignalParams], float | None]
Vector = tuple[list[float], list[bool]]  # values in schema order, and the missing mask


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """The ordered feature list and its version, a hash of its definition."""

    features: tuple[FeatureDefinition, ...]
    version: str
    # Precomputed at config load: (position, transformed value) per signal level, and the
    # defaults.
    by_level: Mapping[str, tuple[tuple[int, FeatureValue], ...]]
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
        level: tuple(
            (i, _transformed(f)) for i, f in enumerate(features) if f.signal.startswith(level + ".")
        )
        for level in LEVELS
    }
    defaults = tuple(float(f.default) for f in features)
    return FeatureSchema(tuple(features), f"fs-{digest}", by_level, defaults)


def _number(value: float | None) -> float | None:
    # As floats, so that a config's `0` and `0.0` hash alike: they are the same definition.
    return None if value is None else float(value)


def _transformed(feature: FeatureDefinition) -> FeatureValue:
    """The feature's value function: its bound, transformed, as a float; None if missing."""
    raw = feature.compiled
    if feature.transform == "log1p":

        def log_value(subject: Subject, params: SignalParams) -> float | None:
            value = raw(subject, params)
            return None if value is None else log1p(value if value > 0.0 else 0.0)

        return log_value
    if feature.transform == "clip":
        # Either bound may be absent: clip only at the bounds that are given.
        low = -inf if feature.clip_min is None else feature.clip_min
        high = inf if feature.clip_max is None else feature.clip_max

        def clipped(subject: Subject, params: SignalParams) -> float | None:
            value = raw(subject, params)
            return None if value is None else float(min(high, max(low, value)))

        return clipped

    def identity(subject: Subject, params: SignalParams) -> float | None:
        value = raw(subject, params)
        return None if value is None else float(value)

    return identity


def fill_level(
    schema: FeatureSchema,
    level: str,
    subject: Subject,
    params: SignalParams,
    base: Vector | None = None,
) -> Vector:
    """A copy of `base` (all defaults if None) with the features of one level filled in.

    Seller-level features are the same for every offer of a seller: the service fills them
    once per seller and fills each offer's vector from that copy, which halves the work per
    offer. The mask is True where the default stands.
    """
    values, missing = (
        (list(schema.defaults), [True] * len(schema.defaults))
        if base is None
        else (list(base[0]), list(base[1]))
    )
    for position, value_of in schema.by_level[level]:
        value = value_of(subject, params)
        if value is not None:
            values[position] = value
            missing[position] = False
    return values, missing


def feature_vector(schema: FeatureSchema, subject: Subject, params: SignalParams) -> Vector:
    """The vector in schema order and its missing mask (True where the default was used)."""
    seller_part = fill_level(schema, "seller", subject, params)
    return fill_level(schema, "offer", subject, params, seller_part)
