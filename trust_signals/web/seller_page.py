"""What the seller page's template shows: the page answer turned into words, numbers as
written, and charts; no figure is computed here, only formatted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for
from markupsafe import Markup

from trust_signals.domain.cohorts import DIMENSIONS
from trust_signals.domain.snapshots import WINDOWS
from trust_signals.service.seller_page import PAGE_METRICS, SellerPageAnswer
from trust_signals.web.charts import Mark, Quartiles, Series, box_chart, line_chart
from trust_signals.web.coaching import coaching_from_standings, criterion_label, criterion_words
from trust_signals.web.wording import (
    DIMENSION_LABELS,
    FAMILY_LABELS,
    defect_label,
    dimension_value_words,
    humanized,
    index_figure,
    percentile_figure,
    signal_label,
    window_words,
)

SHORT_NAMES = {"fq_index": "FQ", "csq_index": "CSQ"}


def page_context(answer: SellerPageAnswer, token: str) -> dict[str, Any]:
    """The template's variables for one answer; `token` keeps the link working in the
    page's own forms and links."""
    envelope = answer.envelope
    report = answer.report
    shown = report.cohort is not None
    return {
        "seller_id": report.seller_id,
        "marketplace": envelope.marketplace,
        "snapshot_id": envelope.snapshot_id,
        "config_version": envelope.config_version,
        "as_of": answer.as_of.isoformat(),
        "token": token,
        "window": answer.window,
        "window_words": window_words(answer.window),
        "windows": [(w, window_words(w).removeprefix("the last ")) for w in WINDOWS],
        "benchmark_window_words": window_words(answer.benchmark_window),
        "over_benchmark_window": answer.window == answer.benchmark_window,
        "benchmark_window_url": _page_url(answer, token, answer.benchmark_window),
        "dimensions": [
            {
                "name": name,
                "label": DIMENSION_LABELS[name],
                "value": dimension_value_words(name, answer.cohort_values[name]),
                "checked": name in answer.dimensions,
            }
            for name in DIMENSIONS
        ],
        "cohort": {
            "description": cohort_words(answer),
            "withheld": not shown,
            "size": report.cohort.size if report.cohort is not None else None,
            "min_size": answer.min_cohort_size,
        },
        "metrics": [metric_figures(answer, metric) for metric in PAGE_METRICS],
        "opportunities": [
            {
                "id": f"{family}:{defect}",
                "defect": defect_label(defect),
                "family": FAMILY_LABELS.get(family, family),
                "points": f"{points:.2f}",
            }
            for family, defect, points in report.opportunities
        ],
        "badges": [
            {
                "id": b.badge_id,
                "name": humanized(b.badge_id),
                "copy_key": b.copy_key,
                "held": b.held,
            }
            for b in answer.badges
        ],
        "coaching": coaching_from_standings(answer.badges, report.opportunities),
        "criterion_words": criterion_words,
        "criterion_label": criterion_label,
        "badge_name": humanized,
        "trend": trend_figures(answer),
        "stats": stat_rows(answer),
    }


def _page_url(answer: SellerPageAnswer, token: str, window: str) -> str:
    query: dict[str, Any] = {"marketplace": answer.envelope.marketplace, "t": token}
    query["window"] = window
    if answer.dimensions:
        query["dimensions"] = ",".join(answer.dimensions)
    return url_for("pages.seller_page", seller_id=answer.report.seller_id, **query)


def cohort_words(answer: SellerPageAnswer) -> str:
    """'Category: media · Fulfillment channel: fba', or every seller of the marketplace."""
    if not answer.dimensions:
        return f"every seller in {answer.envelope.marketplace}"
    return " · ".join(
        f"{DIMENSION_LABELS[name]}: {dimension_value_words(name, answer.cohort_values[name])}"
        for name in answer.dimensions
    )


def metric_figures(answer: SellerPageAnswer, metric: str) -> dict[str, Any]:
    """One index: the seller's and first-party retail's values over the page's window, and
    over the benchmark window the cohort's quartiles and the seller's percentile."""
    report, short = answer.report, SHORT_NAMES[metric]
    value = answer.indices[metric]
    bench = report.cohort.metrics.get(metric) if report.cohort is not None else None
    cohort = None
    if bench is not None and answer.window == answer.benchmark_window:
        value = report.metrics.get(metric)  # the benchmark's own figure: one source
        cohort = {
            "p25": index_figure(bench.p25),
            "median": index_figure(bench.p50),
            "p75": index_figure(bench.p75),
            "count": f"{bench.count:,}",
            "percentile": percentile_figure(report.percentiles.get(metric)),
        }
    first_party = [(seller_id, values.get(metric)) for seller_id, values in answer.first_party]
    marks = [Mark("You", value, True)] if value is not None else []
    marks += [Mark("First-party retail", v, False) for _, v in first_party if v is not None]
    quartiles = Quartiles(bench.p25, bench.p50, bench.p75) if cohort and bench else None
    description = _metric_description(answer, short, value, cohort, first_party)
    title = f"{signal_label(metric)} over {answer_window(answer)}"
    return {
        "id": metric,
        "label": signal_label(metric),
        "short": short,
        "value": index_figure(value),
        "cohort": cohort,
        "first_party": [(seller_id, index_figure(v)) for seller_id, v in first_party],
        "description": description,
        "chart": Markup(box_chart(f"chart-{metric}", title, description, marks, quartiles)),
    }


def answer_window(answer: SellerPageAnswer) -> str:
    """The page's window in words."""
    return window_words(answer.window)


def _metric_description(
    answer: SellerPageAnswer,
    short: str,
    value: float | None,
    cohort: dict[str, str] | None,
    first_party: Sequence[tuple[str, float | None]],
) -> str:
    if value is None:
        sentences = [f"You have no orders over {answer_window(answer)}, so no {short} index."]
    else:
        sentences = [f"Your {short} index over {answer_window(answer)} is {index_figure(value)}."]
    if cohort is not None:
        sentences.append(
            f"It is better than {cohort['percentile']} % of your cohort ({cohort_words(answer)})"
            f": 25th percentile {cohort['p25']}, median {cohort['median']}, "
            f"75th percentile {cohort['p75']}."
        )
    sentences += [
        f"First-party retail ({seller_id}): {index_figure(v)}." for seller_id, v in first_party
    ]
    return " ".join(sentences)


def trend_figures(answer: SellerPageAnswer) -> dict[str, Any]:
    """The trend's chart and its table: one row per retained snapshot, oldest first."""
    days = [point.as_of.isoformat() for point in answer.trend]
    series = [
        Series(f"{SHORT_NAMES[m]} index", tuple(p.indices.get(m) for p in answer.trend))
        for m in PAGE_METRICS
    ]
    rows: list[dict[str, Any]] = [
        {
            "day": point.as_of.isoformat(),
            "snapshot_id": point.snapshot_id,
            "figures": [index_figure(point.indices.get(m)) for m in PAGE_METRICS],
            "note": point.note,
        }
        for point in answer.trend
    ]
    shown = [r for r in rows if r["note"] is None]
    description = (
        f"FQ and CSQ over {answer_window(answer)}, in each of the {len(days)} retained "
        "snapshots: "
        + "; ".join(f"{r['day']}: FQ {r['figures'][0]}, CSQ {r['figures'][1]}" for r in shown)
        + "."
    )
    title = f"Your FQ and CSQ indices per snapshot, over {answer_window(answer)}"
    chart = line_chart("chart-trend", title, description, days, series)
    return {"chart": Markup(chart), "rows": rows, "description": description}


def stat_rows(answer: SellerPageAnswer) -> list[dict[str, Any]]:
    """The profile page's stats as buyers see them, or why each is not shown yet."""
    rows = []
    for stat in answer.profile.stats:
        floor = answer.stat_floors.get(stat.id)
        withheld = None
        if stat.withheld_reason is not None:
            withheld = (
                f"not shown yet: {stat.sample_size:,} so far over {window_words(stat.window)}, "
                f"shown from {floor:,}"
                if floor is not None
                else f"not shown: {stat.withheld_reason}"
            )
        rows.append(
            {
                "label": humanized(stat.id),
                "display": stat.display,
                "basis": f"based on {stat.sample_size:,} over {window_words(stat.window)}",
                "withheld": withheld,
            }
        )
    return rows
