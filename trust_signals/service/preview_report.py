"""The launch preview as a terminal summary: one table per marketplace of each badge's
gains and losses among offers and sellers, the stats that appear or disappear, and every
change of the config itself. The cohort breakdowns are in the JSON and HTML reports.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from trust_signals.domain.config_diff import FieldChange, ItemChange, SchemaChange
from trust_signals.domain.launch_impact import Movement
from trust_signals.plurals import counted
from trust_signals.service.launch_preview import LaunchPreview, MarketplacePreview

_HELD = "held before → after"
_BADGE_HEADER = (
    f"  {'badge':<24}{'offers gained':>14}{'lost':>8}{_HELD:>24}"
    f"{'sellers gained':>16}{'lost':>8}{_HELD:>24}"
)
_STAT_HEADER = (
    f"  {'stat':<24}{'newly shown':>14}{'newly withheld':>16}{'shown before → after':>24}"
)


def preview_json(preview: LaunchPreview) -> bytes:
    """The full figures as indented JSON."""
    return orjson.dumps(preview.as_json(), option=orjson.OPT_INDENT_2) + b"\n"


def summary_lines(preview: LaunchPreview) -> list[str]:
    """The preview as lines for a terminal."""
    lines = [
        f"launch preview: config {preview.config_version} ({preview.config_name}) against "
        f"{preview.against_version}"
        + (f" (approval {preview.against_approval})" if preview.against_approval else "")
        + f", effective dates as on {preview.on.isoformat()}",
    ]
    if preview.settings:
        lines.append("config-wide changes:")
        lines += [f"  {_field(change)}" for change in preview.settings]
    lines += _schema_lines(preview.schema)
    if preview.stat_changes:
        lines.append("profile stat definitions:")
        lines += _item_lines(preview.stat_changes)
    for market in preview.marketplaces:
        lines += ["", *_market_lines(market)]
    return [line.rstrip() for line in lines]


def _market_lines(market: MarketplacePreview) -> list[str]:
    if market.snapshot_id is None:
        head = [f"{market.marketplace}: no active snapshot (config changes only)"]
    else:
        head = [
            f"{market.marketplace}: {market.snapshot_id}, {counted(market.seller_count, 'seller')}"
            f", {counted(market.offer_count, 'offer')} (signals {market.signals_before}, "
            f"{market.before_from} -> {market.signals_after})",
            _BADGE_HEADER,
            *(
                f"  {badge.badge_id:<24}{_movement(badge.offers, 14)}{_movement(badge.sellers, 16)}"
                for badge in market.badges
            ),
        ]
        if market.stats:
            head.append(_STAT_HEADER)
            head += [
                f"  {s.stat_id:<24}{_signed(s.newly_shown, '+'):>14}"
                f"{_signed(s.newly_withheld, '-'):>16}"
                f"{f'{s.shown_before:,} → {s.shown_after:,}':>24}"
                for s in market.stats
            ]
    if market.settings:
        head.append("  marketplace changes:")
        head += [f"    {_field(change)}" for change in market.settings]
    if market.badge_changes:
        head.append("  badge changes:")
        head += [f"  {line}" for line in _item_lines(market.badge_changes)]
    return head


def _movement(movement: Movement | None, width: int) -> str:
    if movement is None:
        return f"{'–':>{width}}{'':>32}"
    held = f"{movement.held_before:,} → {movement.held_after:,}"
    gained, lost = _signed(movement.gained, "+"), _signed(movement.lost, "-")
    return f"{gained:>{width}}{lost:>8}{held:>24}"


def _signed(count: int, sign: str) -> str:
    """A gain or loss: '+1,234', '-5', or '0' when nobody moved."""
    return f"{sign}{count:,}" if count else "0"


def _schema_lines(schema: SchemaChange) -> list[str]:
    if not schema.changed:
        return [f"ranking schema: unchanged ({schema.version_before})"]
    lines = [f"ranking schema: {schema.version_before} -> {schema.version_after} (a new version)"]
    for label, names in (
        ("added", schema.added),
        ("removed", schema.removed),
        ("moved", schema.moved),
    ):
        if names:
            lines.append(f"  {label}: {', '.join(names)}")
    lines += [
        f"  redefined {change.item_id}: {'; '.join(_field(f) for f in change.fields)}"
        for change in schema.redefined
    ]
    return lines


def _item_lines(changes: Iterable[ItemChange]) -> list[str]:
    lines = []
    for change in changes:
        if change.change not in ("added", "removed"):
            lines.append(f"  {change.item_id}: {change.change}")
            lines += [f"    {_field(field)}" for field in change.fields]
            continue
        # Added or removed whole: its approval says what legal signs for (or off).
        values = {f.field: f.after or f.before for f in change.approvals}
        approval = ", ".join(f"{name} {value}" for name, value in values.items())
        lines.append(
            f"  {change.item_id}: {change.change}" + (f" ({approval})" if approval else "")
        )
    return lines


def _field(change: FieldChange) -> str:
    before = change.before if change.before is not None else "(none)"
    after = change.after if change.after is not None else "(none)"
    return f"{change.field}: {before} -> {after}"
