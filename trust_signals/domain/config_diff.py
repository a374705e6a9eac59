"""What a new config changes in what legal approved: badge rules, profile stats and the
ranking schema, field by field, for a launch preview.

Every value is compared as the text a reviewer reads ('2026-03-01', 'seller.fq_index point
>= 95'), so the preview shows exactly what differs and nothing that only looks different.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from trust_signals.domain.badge_rules import (
    BadgeRule,
    Condition,
    iter_conditions,
    relaxed_threshold,
)
from trust_signals.domain.profile_stats import StatDefinition
from trust_signals.domain.ranking_features import FeatureDefinition, FeatureSchema

# The fields of a badge rule that are its approval: who approved it, where, from when, and
# whether it is switched on at all.
APPROVAL_FIELDS: Final = (
    "approval_reference",
    "approved_here",
    "marketplaces",
    "effective_from",
    "effective_until",
    "enabled",
)
OPEN_ENDED: Final = "open-ended"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value before and after; None where the item has no such field."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A badge, stat or feature that changed: 'added', 'removed', 'enabled', 'disabled'
    (badges, whose kill switch flipped) or 'changed', with every field that differs."""

    item_id: str
    change: str
    fields: tuple[FieldChange, ...]

    @property
    def approvals(self) -> tuple[FieldChange, ...]:
        """The changed fields that are part of the approval (reference, places, dates)."""
        return tuple(f for f in self.fields if f.field in APPROVAL_FIELDS)


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """The ranking schema before and after: a new version whenever any feature is added,
    removed, moved or redefined, since the version hashes the ordered definitions."""

    version_before: str
    version_after: str
    names_before: tuple[str, ...]
    names_after: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    moved: tuple[str, ...]  # kept features whose order among the kept ones changed
    redefined: tuple[ItemChange, ...]

    @property
    def changed(self) -> bool:
        """Whether rankers get a new schema version."""
        return self.version_before != self.version_after


def field_changes(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[FieldChange, ...]:
    """Every field whose text differs, in the order of `before` then the new fields."""
    names = list(before) + [name for name in after if name not in before]
    return tuple(
        FieldChange(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    )


def condition_text(condition: Condition) -> str:
    """A condition as a reviewer reads it: 'seller.orders[365d] point >= 100 (min sample 30)'."""
    window = f"[{condition.window}]" if condition.window is not None else ""
    sample = f" (min sample {condition.min_sample})" if condition.min_sample else ""
    return (
        f"{condition.signal}{window} {condition.bound} {condition.comparator} "
        f"{condition.threshold:g}{sample}"
    )


def rule_fields(rule: BadgeRule, marketplace: str) -> dict[str, str]:
    """A badge rule as named texts: its approval (in `marketplace` too), where and how it
    shows, each condition, and each keep margin with the bar a holder must still meet
    ('keep_margin.on_time': '0.01 (a holder keeps it at >= 0.94)')."""
    volume = rule.window_by_volume
    fields = {
        "approval_reference": rule.approval_reference,
        "approved_here": "yes" if marketplace in rule.marketplaces else "no",
        "marketplaces": ", ".join(sorted(rule.marketplaces)),
        "effective_from": rule.effective_from.isoformat(),
        "effective_until": (
            rule.effective_until.isoformat() if rule.effective_until is not None else OPEN_ENDED
        ),
        "enabled": "yes" if rule.enabled else "no",
        "level": rule.level + (" (shown on its offers too)" if rule.inherit_to_offers else ""),
        "surfaces": ", ".join(sorted(rule.surfaces)),
        "priority": str(rule.priority),
        "copy_key": rule.copy_key,
        "window": rule.window if rule.window is not None else "none",
        "window_by_volume": (
            "none"
            if volume is None
            else f"{volume.then} if {volume.signal}[{volume.window}] >= {volume.at_least:g}, "
            f"else {volume.otherwise}"
        ),
    }
    conditions = {}
    for path, condition in iter_conditions(rule.when):
        name = f"{path} ({condition.id})" if condition.id is not None else path
        fields[name] = condition_text(condition)
        if condition.id is not None:
            conditions[condition.id] = condition
    for condition_id, margin in rule.keep_margin:
        kept = conditions[condition_id]  # a valid rule's margins name its conditions
        fields[f"keep_margin.{condition_id}"] = (
            f"{margin:g} (a holder keeps it at {kept.comparator} "
            f"{relaxed_threshold(kept, margin):g})"
        )
    return fields


def badge_changes(
    before: Sequence[BadgeRule], after: Sequence[BadgeRule], marketplace: str
) -> list[ItemChange]:
    """The badge rules added, removed, switched on or off, or otherwise changed in a
    marketplace (pass its effective rules: its thresholds and switched-off badges applied)."""
    changes = _item_changes(
        {r.id: rule_fields(r, marketplace) for r in before},
        {r.id: rule_fields(r, marketplace) for r in after},
    )
    return [_enabled_or_disabled(change) for change in changes]


def _enabled_or_disabled(change: ItemChange) -> ItemChange:
    switched = [f for f in change.fields if f.field == "enabled"]
    if change.change != "changed" or not switched:
        return change
    flipped = "enabled" if switched[0].after == "yes" else "disabled"
    return ItemChange(change.item_id, flipped, change.fields)


def stat_fields(stat: StatDefinition) -> dict[str, str]:
    """A profile stat as named texts."""
    return {
        "signal": stat.signal,
        "windows": ", ".join(stat.windows),
        "min_sample": str(stat.min_sample),
        "format": stat.format,
    }


def stat_changes(
    before: Sequence[StatDefinition], after: Sequence[StatDefinition]
) -> list[ItemChange]:
    """The profile stats added, removed or redefined."""
    return _item_changes(
        {s.id: stat_fields(s) for s in before}, {s.id: stat_fields(s) for s in after}
    )


def feature_fields(feature: FeatureDefinition) -> dict[str, str]:
    """A ranking feature's definition as named texts."""
    clip = (
        "none"
        if feature.transform != "clip"
        else f"[{_bound(feature.clip_min)}, {_bound(feature.clip_max)}]"
    )
    return {
        "signal": feature.signal + (f"[{feature.window}]" if feature.window is not None else ""),
        "bound": feature.bound,
        "transform": feature.transform,
        "clip": clip,
        "default": f"{feature.default:g}",
    }


def _bound(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def schema_change(before: FeatureSchema, after: FeatureSchema) -> SchemaChange:
    """What rankers would see change: features added, removed, moved and redefined."""
    names_before, names_after = tuple(before.names), tuple(after.names)
    kept_after = [name for name in names_after if name in names_before]
    position = {name: i for i, name in enumerate(n for n in names_before if n in kept_after)}
    in_order = set(_longest_increasing([position[name] for name in kept_after]))
    redefined = [
        change
        for change in _item_changes(
            {f.name: feature_fields(f) for f in before.features},
            {f.name: feature_fields(f) for f in after.features},
        )
        if change.change == "changed"
    ]
    return SchemaChange(
        before.version,
        after.version,
        names_before,
        names_after,
        tuple(name for name in names_after if name not in names_before),
        tuple(name for name in names_before if name not in names_after),
        tuple(name for name in kept_after if position[name] not in in_order),
        tuple(redefined),
    )


def _longest_increasing(values: Sequence[int]) -> list[int]:
    """The values of a longest increasing subsequence: the features that kept their order
    (the fewest moves that explain the new order are the others)."""
    best: list[list[int]] = []  # best[i]: the longest increasing run ending at values[i]
    for i, value in enumerate(values):
        longest = max((best[j] for j in range(i) if values[j] < value), key=len, default=[])
        best.append([*longest, value])
    return max(best, key=len, default=[])


def _item_changes(
    before: Mapping[str, Mapping[str, str]], after: Mapping[str, Mapping[str, str]]
) -> list[ItemChange]:
    """Items by id: added ones (every field new), removed ones, and those with a field changed."""
    changes = []
    for item_id in _ids(before, after):
        old, new = before.get(item_id), after.get(item_id)
        if old is None:
            changes.append(ItemChange(item_id, "added", field_changes({}, after[item_id])))
        elif new is None:
            changes.append(ItemChange(item_id, "removed", field_changes(old, {})))
        elif fields := field_changes(old, new):
            changes.append(ItemChange(item_id, "changed", fields))
    return changes


def _ids(*mappings: Iterable[str]) -> list[str]:
    """Ids in first-seen order across the mappings."""
    return list(dict.fromkeys(item for mapping in mappings for item in mapping))
