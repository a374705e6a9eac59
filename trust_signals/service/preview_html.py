"""The launch preview as one self-contained HTML page for reviewers who run no command:
inline CSS, inline SVG bars, no script and no external asset, so it reads the same when
mailed, attached to an approval or opened offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Final

from trust_signals.domain.config_diff import FieldChange, ItemChange, SchemaChange
from trust_signals.domain.launch_impact import Movement, StatImpact
from trust_signals.plurals import counted
from trust_signals.service.launch_preview import (
    BadgeImpact,
    LaunchPreview,
    MarketplacePreview,
)

GAIN: Final = "#2e7d32"
LOSS: Final = "#c62828"
_BAR_WIDTH: Final = 120
_DIMENSION_NAMES: Final = {
    "tenure": "Tenure band",
    "category": "Category",
    "channel": "Fulfillment channel",
    "first_party": "First party",
}
_STYLE: Final = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1c1c1c; margin: 2em auto; max-width: 72em;
       padding: 0 1em; }
h1 { font-size: 1.6em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-top: 1.6em; } table { border-collapse: collapse; margin: .6em 0 1.2em; }
th, td { padding: .25em .7em; border-bottom: 1px solid #e4e4e4; text-align: left;
         vertical-align: top; }
th { background: #f5f5f5; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.gain { color: #2e7d32; font-weight: 600; } .loss { color: #c62828; font-weight: 600; }
.note { color: #555; } th[rowspan] { background: #fafafa; font-weight: 600; }
.tag { display: inline-block; padding: 0 .5em; border-radius: .6em; background: #eee; }
code { background: #f3f3f3; padding: 0 .25em; }
"""


def preview_html(preview: LaunchPreview) -> str:
    """The whole report as one HTML document."""
    title = f"Launch preview: config {preview.config_version} ({preview.config_name})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _introduction(preview),
        _overview(preview.marketplaces),
        _approvals(preview),
        _settings(preview.settings),
        _schema(preview.schema),
        _stats(preview),
        *(_marketplace(market) for market in preview.marketplaces),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _introduction(preview: LaunchPreview) -> str:
    approval = f" (approval {preview.against_approval})" if preview.against_approval else ""
    return (
        f"<p>What config <code>{escape(preview.config_version)}</code> would serve, against "
        f"what config <code>{escape(preview.against_version)}</code>{escape(approval)} serves, "
        "on each marketplace's active snapshot, with the effective dates as on "
        f"<strong>{preview.on.isoformat()}</strong>.</p>"
        '<p class="note">A badge counts as held where it is shown: on an offer in search or on '
        "the product page, on a seller's profile page; its kill switch, approved marketplaces, "
        "effective dates, surfaces and caps applied. <span class=gain>Gained</span> and "
        "<span class=loss>lost</span> count the offers and sellers that change; cohorts are the "
        "seller's (an offer's: its seller's). A profile stat is shown when its sample meets its "
        "minimum, else withheld. Profile stats and ranking features carry no approval of their "
        "own: the config's approval reference covers them.</p>"
    )


def _overview(markets: Sequence[MarketplacePreview]) -> str:
    rows = []
    for market in markets:
        for badge in market.badges:
            offers, sellers = badge.offers, badge.sellers
            rows.append(
                f"<tr><td>{escape(market.marketplace)}</td><td>{escape(badge.badge_id)}</td>"
                f"{_moved(offers)}{_moved(sellers)}</tr>"
            )
    if not rows:
        return "<h2>Overview</h2><p>No active snapshot: no offer or seller to count.</p>"
    return (
        "<h2>Overview</h2><table><tr><th>Marketplace</th><th>Badge</th>"
        "<th>Offers gained</th><th>Offers lost</th><th>Sellers gained</th>"
        "<th>Sellers lost</th></tr>" + "".join(rows) + "</table>"
    )


def _moved(movement: Movement | None) -> str:
    if movement is None:
        return '<td class="n">–</td><td class="n">–</td>'
    return _count(movement.gained, "+", "gain") + _count(movement.lost, "-", "loss")


def _approvals(preview: LaunchPreview) -> str:
    rows = [
        _change_row("all marketplaces", "config", change)
        for change in preview.settings
        if change.field == "approval_reference"
    ]
    for market in preview.marketplaces:
        for item in market.badge_changes:
            if item.change in ("added", "removed", "enabled", "disabled"):
                rows.append(_status_row(market.marketplace, item))
            rows += [_change_row(market.marketplace, item.item_id, f) for f in item.approvals]
    body = (
        _table(("Marketplace", "Item", "Field", "Before", "After"), rows)
        if rows
        else "<p>No approval, effective date or switch changes.</p>"
    )
    return "<h2>Approvals, effective dates and switches</h2>" + body


def _status_row(marketplace: str, item: ItemChange) -> str:
    return (
        f"<tr><td>{escape(marketplace)}</td><td>{escape(item.item_id)}</td>"
        f'<td colspan="3"><span class="tag">badge {escape(item.change)}</span></td></tr>'
    )


def _change_row(scope: str, item: str, change: FieldChange) -> str:
    return f"<tr><td>{escape(scope)}</td><td>{escape(item)}</td>{_field_cells(change)}</tr>"


def _value(text: str | None) -> str:
    return '<span class="note">(none)</span>' if text is None else escape(text)


def _settings(settings: Sequence[FieldChange]) -> str:
    rows = [_field_row(c) for c in settings if c.field != "approval_reference"]
    if not rows:
        return ""
    return "<h2>Config-wide changes</h2>" + _table(("Setting", "Before", "After"), rows)


def _schema(schema: SchemaChange) -> str:
    if not schema.changed:
        return (
            f"<h2>Ranking schema</h2><p>Unchanged: <code>{escape(schema.version_before)}</code>"
            f" ({counted(len(schema.names_before), 'feature')}).</p>"
        )
    listed = [
        f"<li>{label}: {escape(', '.join(names))}</li>"
        for label, names in (
            ("Added", schema.added),
            ("Removed", schema.removed),
            ("Moved", schema.moved),
        )
        if names
    ]
    rows = [
        f"<tr><td>{escape(item.item_id)}</td>{_field_cells(f)}</tr>"
        for item in schema.redefined
        for f in item.fields
    ]
    order = _table(
        ("#", "Before", "After"),
        [
            f'<tr><td class="n">{i + 1}</td><td>{escape(_at(schema.names_before, i))}</td>'
            f"<td>{escape(_at(schema.names_after, i))}</td></tr>"
            for i in range(max(len(schema.names_before), len(schema.names_after)))
        ],
    )
    return (
        f"<h2>Ranking schema</h2><p>A new schema version: <code>{escape(schema.version_before)}"
        f"</code> → <code>{escape(schema.version_after)}</code>. Rankers receive it with every "
        "vector; models trained on the old one need the new order.</p>"
        f"<ul>{''.join(listed)}</ul>"
        + (_table(("Feature", "Field", "Before", "After"), rows) if rows else "")
        + "<h3>Feature order</h3>"
        + order
    )


def _at(names: Sequence[str], index: int) -> str:
    return names[index] if index < len(names) else ""


def _stats(preview: LaunchPreview) -> str:
    parts = ["<h2>Profile stats</h2>"]
    for item in preview.stat_changes:
        parts.append(f"<h3>{escape(item.item_id)}: {escape(item.change)}</h3>")
        parts.append(_table(("Field", "Before", "After"), [_field_row(f) for f in item.fields]))
    for market in preview.marketplaces:
        if market.stats:
            parts.append(f"<h3>{escape(market.marketplace)}</h3>" + _stat_table(market.stats))
    return "".join(parts)


def _field_row(change: FieldChange) -> str:
    return f"<tr>{_field_cells(change)}</tr>"


def _field_cells(change: FieldChange) -> str:
    """A field's name, value before and value after, as table cells."""
    return (
        f"<td>{escape(change.field)}</td><td>{_value(change.before)}</td>"
        f"<td>{_value(change.after)}</td>"
    )


def _stat_table(stats: Sequence[StatImpact]) -> str:
    scale = max((max(s.newly_shown, s.newly_withheld) for s in stats), default=0)
    rows = [
        f"<tr><td>{escape(s.stat_id)}</td>"
        f"{_count(s.newly_shown, '+', 'gain')}<td>{_bar(s.newly_shown, scale, GAIN)}</td>"
        f"{_count(s.newly_withheld, '-', 'loss')}<td>{_bar(s.newly_withheld, scale, LOSS)}</td>"
        f'<td class="n">{s.shown_before:,} → {s.shown_after:,}</td></tr>'
        for s in stats
    ]
    headers = ("Stat", "Newly shown", "", "Newly withheld", "", "Sellers showing it")
    return _table(headers, rows)


def _marketplace(market: MarketplacePreview) -> str:
    parts = [f"<h2>{escape(market.marketplace)}</h2>"]
    if market.snapshot_id is None:
        parts.append("<p>No active snapshot here: the config's changes only.</p>")
    else:
        parts.append(
            f"<p>Snapshot <code>{escape(market.snapshot_id)}</code>: "
            f"{counted(market.seller_count, 'seller')}, {counted(market.offer_count, 'offer')}. "
            f"Signals version <code>{escape(market.signals_before)}</code> "
            f"({escape(market.before_from)}) → <code>{escape(market.signals_after)}</code>.</p>"
        )
    if market.settings:
        parts.append("<h3>Marketplace changes</h3>")
        parts.append(
            _table(("Setting", "Before", "After"), [_field_row(f) for f in market.settings])
        )
    for item in market.badge_changes:
        parts.append(f"<h3>{escape(item.item_id)}: badge {escape(item.change)}</h3>")
        parts.append(_table(("Field", "Before", "After"), [_field_row(f) for f in item.fields]))
    parts += [_badge(badge) for badge in market.badges]
    return "".join(parts)


def _badge(badge: BadgeImpact) -> str:
    kinds = [(name, m) for name, m in (("Offers", badge.offers), ("Sellers", badge.sellers)) if m]
    rows = [
        f'<tr><td>{name}</td><td class="n">{m.held_before:,}</td><td class="n">{m.held_after:,}'
        f"</td>{_count(m.gained, '+', 'gain')}{_count(m.lost, '-', 'loss')}</tr>"
        for name, m in kinds
    ]
    parts = [
        f"<h3>Badge {escape(badge.badge_id)}</h3>",
        _table(("", "Held before", "Held after", "Gained", "Lost"), rows),
    ]
    for name, movement in kinds:
        if movement.gained or movement.lost:
            parts.append(f"<p><strong>{name} that gain or lose it, by cohort</strong></p>")
            parts.append(_cohorts(movement))
    return "".join(parts)


def _cohorts(movement: Movement) -> str:
    """One table: per dimension (a cell spanning its values), each value's gains and losses
    with bars on one scale per dimension."""
    rows = []
    for dimension, title in _DIMENSION_NAMES.items():
        gained, lost = movement.gained_by[dimension], movement.lost_by[dimension]
        values = list(dict.fromkeys([*gained, *lost]))
        scale = max([*gained.values(), *lost.values()], default=0)
        for index, value in enumerate(values):
            heading = f'<th rowspan="{len(values)}">{title}</th>' if index == 0 else ""
            up, down = gained.get(value, 0), lost.get(value, 0)
            rows.append(
                f"<tr>{heading}<td>{escape(value)}</td>"
                f"{_count(up, '+', 'gain')}<td>{_bar(up, scale, GAIN)}</td>"
                f"{_count(down, '-', 'loss')}<td>{_bar(down, scale, LOSS)}</td></tr>"
            )
    return _table(("Cohort", "", "Gained", "", "Lost", ""), rows)


def _count(value: int, sign: str, kind: str) -> str:
    """A gain or loss as a table cell: signed and coloured, a plain 0 when there is none."""
    if value == 0:
        return '<td class="n">0</td>'
    return f'<td class="n {kind}">{sign}{value:,}</td>'


def _bar(value: int, scale: int, color: str) -> str:
    """A horizontal bar as inline SVG, as long against `_BAR_WIDTH` as `value` against `scale`."""
    # At least a pixel for any count, so a small cohort is not drawn as none.
    width = max(1, round(_BAR_WIDTH * value / scale)) if value > 0 and scale > 0 else 0
    return (
        f'<svg width="{_BAR_WIDTH}" height="10" role="img" aria-label="{value:,}">'
        f'<rect width="{width}" height="10" fill="{color}"/></svg>'
    )


def _table(headers: Iterable[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"
