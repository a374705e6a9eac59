"""Inline SVG charts drawn on the server: a cohort box chart and a line chart.

Pure functions of their figures (standard library only), returning SVG text with every
label escaped. Each chart is an image with a title and a description for screen readers
(`role="img"`, `aria-labelledby`); the page shows the same numbers in a table beside it.
Series differ by marker shape and dash as well as colour, so no figure depends on colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

BOX_WIDTH: Final = 480  # a card's width on a laptop: the labels keep their size
LINE_WIDTH: Final = 880  # the page's width
INK: Final = "#1b1b1b"
MUTED: Final = "#595959"  # 7:1 on white
GRID: Final = "#d0d0d0"
BOX_FILL: Final = "#dce7f3"
BOX_EDGE: Final = "#1f5fa8"
SELLER: Final = "#1f5fa8"
FIRST_PARTY: Final = "#8a4b00"
SERIES_STYLES: Final = (  # colour, dash, marker
    ("#1f5fa8", "", "circle"),
    ("#8a4b00", "6 4", "square"),
)
_FONT: Final = 'font-family="system-ui, sans-serif" font-size="13"'


@dataclass(frozen=True, slots=True)
class Quartiles:
    """A cohort's distribution of one metric."""

    p25: float
    median: float
    p75: float


@dataclass(frozen=True, slots=True)
class Mark:
    """One value on a box chart: the seller's, or first-party retail's."""

    label: str
    value: float
    is_seller: bool


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a line chart: a value (or None, a gap) per x label."""

    name: str
    values: tuple[float | None, ...]


def scale_domain(
    values: Sequence[float], *, floor: float = 0.0, ceiling: float = 100.0
) -> tuple[float, float]:
    """An axis range around `values` in steps of 5, within [floor, ceiling], at least 10 wide."""
    low = max(floor, math.floor((min(values) - 1) / 5) * 5)
    high = min(ceiling, math.ceil((max(values) + 1) / 5) * 5)
    if high - low < 10:
        high = min(ceiling, low + 10)
        low = max(floor, high - 10)
    return float(low), float(high)


def ticks(low: float, high: float) -> list[float]:
    """Round tick values from `low` to `high`: at most seven."""
    span = high - low
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50) if span / s <= 6)
    first = math.ceil(low / step) * step
    return [float(v) for v in range(int(first), int(high) + 1, step)]


def _number(value: float) -> str:
    return f"{value:.1f}"


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{cid}-title {cid}-desc" {_FONT}>',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]


def box_chart(
    chart_id: str,
    title: str,
    description: str,
    marks: Sequence[Mark],
    cohort: Quartiles | None,
) -> str:
    """A horizontal axis with the cohort's quartile box (if shown) and a marker per value:
    the seller's above the axis line, first-party retail's below it."""
    values = [m.value for m in marks]
    if cohort is not None:
        values += [cohort.p25, cohort.median, cohort.p75]
    low, high = scale_domain(values or [0.0, 100.0])
    left, right = 24, BOX_WIDTH - 24

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    parts = _open(chart_id, title, description, BOX_WIDTH, 150)
    axis_y = 112
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="{MUTED}"/>')
    for tick in ticks(low, high):
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{axis_y}" x2="{tx:.1f}" y2="{axis_y + 5}" stroke="{MUTED}"/>'
            f'<text x="{tx:.1f}" y="{axis_y + 19}" text-anchor="middle" fill="{MUTED}">'
            f"{tick:g}</text>"
        )
    if cohort is not None:
        x25, x50, x75 = x(cohort.p25), x(cohort.median), x(cohort.p75)
        seller = next((x(m.value) for m in marks if m.is_seller), None)
        label = f"cohort median {_number(cohort.median)}"
        label_x, anchor = _median_label(x50, seller, label)
        parts.append(
            f'<rect x="{x25:.1f}" y="48" width="{max(x75 - x25, 1):.1f}" height="34" '
            f'fill="{BOX_FILL}" stroke="{BOX_EDGE}"/>'
            f'<line x1="{x50:.1f}" y1="48" x2="{x50:.1f}" y2="82" stroke="{BOX_EDGE}" '
            'stroke-width="3"/>'
            f'<text x="{label_x:.1f}" y="42" text-anchor="{anchor}" fill="{MUTED}">{label}</text>'
        )
    for mark in marks:
        parts.append(_marker(x(mark.value), mark))
    parts.append("</svg>")
    return "".join(parts)


def _anchor(x: float) -> str:
    """Where a label hangs from its point: inward near an edge, so it is never cut off."""
    return "start" if x < BOX_WIDTH * 0.2 else "end" if x > BOX_WIDTH * 0.8 else "middle"


def _median_label(x50: float, seller: float | None, label: str) -> tuple[float, str]:
    """Where the median's label goes (x, text-anchor): away from the seller's line, so the
    line never crosses it; past the line when the far side has no room."""
    width = 7.5 * len(label)  # 13 px text, generously
    if seller is None or abs(seller - x50) > width / 2:
        return x50, _anchor(x50)
    if seller >= x50:
        if x50 - width >= 0:
            return min(x50, seller - 6), "end"
        if seller + 6 + width <= BOX_WIDTH:
            return seller + 6, "start"
    else:
        if x50 + width <= BOX_WIDTH:
            return max(x50, seller + 6), "start"
        if seller - 6 - width >= 0:
            return seller - 6, "end"
    return x50, _anchor(x50)


def _marker(mx: float, mark: Mark) -> str:
    anchor = _anchor(mx)
    text = escape(f"{mark.label} {_number(mark.value)}")
    if mark.is_seller:
        return (
            f'<line x1="{mx:.1f}" y1="26" x2="{mx:.1f}" y2="{112}" stroke="{SELLER}" '
            'stroke-width="2"/>'
            f'<circle cx="{mx:.1f}" cy="65" r="7" fill="{SELLER}" stroke="#fff" stroke-width="2"/>'
            f'<text x="{mx:.1f}" y="18" text-anchor="{anchor}" font-weight="700" '
            f'fill="{SELLER}">{text}</text>'
        )
    return (
        f'<path d="M{mx:.1f} 90 l7 9 l-7 9 l-7 -9 z" fill="{FIRST_PARTY}" stroke="#fff"/>'
        f'<text x="{mx:.1f}" y="146" text-anchor="{anchor}" fill="{FIRST_PARTY}">{text}</text>'
    )


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
) -> str:
    """Lines over evenly spaced x labels (snapshot days), a gap where a value is None, with
    a legend; each series has its own colour, dash and marker shape."""
    present = [v for s in series for v in s.values if v is not None]
    low, high = scale_domain(present or [0.0, 100.0])
    left, right, top, bottom = 56, LINE_WIDTH - 56, 44, 220
    count = len(x_labels)

    def x(index: int) -> float:
        if count == 1:
            return (left + right) / 2
        return left + index * (right - left) / (count - 1)

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    parts = _open(chart_id, title, description, LINE_WIDTH, 256)
    for tick in ticks(low, high):
        ty = y(tick)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{right}" y2="{ty:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{tick:g}</text>"
        )
    every = max(1, math.ceil(count / 6))  # at most about six day labels fit
    for index, label in enumerate(x_labels):
        if index % every == 0 or index == count - 1:
            parts.append(
                f'<text x="{x(index):.1f}" y="{bottom + 20}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    for number, line in enumerate(series):
        colour, dash, marker = SERIES_STYLES[number % len(SERIES_STYLES)]
        parts.append(_legend(number, line.name, colour, dash, marker))
        points = [(x(i), y(v)) for i, v in enumerate(line.values) if v is not None]
        for run in _runs(line.values):
            coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-dasharray="{dash or "none"}"/>'
                )
        parts.extend(_point(px, py, colour, marker) for px, py in points)
    parts.append("</svg>")
    return "".join(parts)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive present values, split at every gap."""
    runs: list[list[tuple[int, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((index, value))
    return [run for run in runs if run]


def _point(px: float, py: float, colour: str, marker: str) -> str:
    if marker == "square":
        return (
            f'<rect x="{px - 5:.1f}" y="{py - 5:.1f}" width="10" height="10" fill="{colour}" '
            'stroke="#fff"/>'
        )
    return f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5.5" fill="{colour}" stroke="#fff"/>'


def _legend(number: int, name: str, colour: str, dash: str, marker: str) -> str:
    lx = 56 + number * 200
    sample = (
        f'<line x1="{lx}" y1="16" x2="{lx + 34}" y2="16" stroke="{colour}" stroke-width="2.5" '
        f'stroke-dasharray="{dash or "none"}"/>'
    )
    return (
        sample
        + _point(lx + 17, 16, colour, marker)
        + f'<text x="{lx + 42}" y="20" fill="{INK}">{escape(name)}</text>'
    )
