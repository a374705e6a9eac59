"""What the client learns of each marketplace's feature schema, to fail open with defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from trust_signals.client.results import FeaturesResult


class SchemaAnswer(Protocol):
    """A good ranking answer, in whatever form: the schema it names."""

    @property
    def schema_version(self) -> str | None: ...
    @property
    def feature_names(self) -> tuple[str, ...]: ...


A = TypeVar("A", bound=SchemaAnswer)
DefaultsSeen = Callable[[A], Sequence[float | None]]


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """What the client knows of one marketplace's feature schema; None: default not seen yet."""

    version: str | None
    names: tuple[str, ...]
    defaults: tuple[float | None, ...]

    def learn(self, answer: A, defaults_seen: DefaultsSeen[A]) -> FeatureSchema:
        """This knowledge updated from a good answer (a new schema version starts over);
        `defaults_seen` is only asked while a default is still unknown."""
        known = self
        if (answer.schema_version, answer.feature_names) != (self.version, self.names):
            names = answer.feature_names
            known = FeatureSchema(answer.schema_version, names, (None,) * len(names))
        if None not in known.defaults:
            return known
        seen = defaults_seen(answer)
        defaults = tuple(s if d is None else d for d, s in zip(known.defaults, seen, strict=True))
        return FeatureSchema(known.version, known.names, defaults)

    def default_values(self, fallback: Mapping[str, float]) -> tuple[float | None, ...]:
        """Each feature's default in schema order, from answers or else `fallback`; None
        where neither knows it."""
        pairs = zip(self.names, self.defaults, strict=True)
        return tuple(fallback.get(name) if d is None else d for name, d in pairs)

    def default_vector(self, fallback: Mapping[str, float]) -> tuple[float, ...] | None:
        """The default vector in schema order, or None while a default is still unknown."""
        filled = self.default_values(fallback)
        return None if None in filled else tuple(f for f in filled if f is not None)


def defaults_seen(result: FeaturesResult) -> list[float | None]:
    """Each feature's default as the answer's masked positions show it (the service fills
    them with the configured default); None where no position is masked."""
    seen: list[float | None] = [None] * len(result.feature_names)
    for offer_id, mask in result.missing_mask.items():
        vector = result.vectors[offer_id]
        for position, masked in enumerate(mask):
            if masked and seen[position] is None:
                seen[position] = vector[position]
    return seen
