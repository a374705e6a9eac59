"""The page's SVG charts: well-formed images with a text alternative, drawn to their figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from trust_signals.web.charts import (
    Mark,
    Quartiles,
    Series,
    box_chart,
    line_chart,
    scale_domain,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ET.Element:
    """The chart as XML: it must be well-formed to be inlined in the page."""
    return ET.fromstring(svg)


def test_a_box_chart_is_an_image_named_by_its_title_and_description() -> None:
    root = parsed(
        box_chart("chart-fq", "FQ index", "Your FQ index is 84.8.", [Mark("You", 84.8, True)], None)
    )

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-fq-title chart-fq-desc"
    assert root.find(f"{SVG}title").attrib["id"] == "chart-fq-title"
    assert root.find(f"{SVG}title").text == "FQ index"
    assert root.find(f"{SVG}desc").text == "Your FQ index is 84.8."


def test_every_label_is_escaped() -> None:
    svg = box_chart(
        'c"1', "<b>FQ</b> & co", "x < y", [Mark("<script>alert(1)</script>", 90.0, False)], None
    )

    root = parsed(svg)
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == "<b>FQ</b> & co"
    assert "<script>alert(1)</script> 90.0" in {t.text for t in root.iter(f"{SVG}text")}


def test_the_box_spans_the_quartiles_and_the_seller_sits_at_its_value() -> None:
    root = parsed(
        box_chart(
            "c",
            "t",
            "d",
            [Mark("You", 85.0, True), Mark("First-party retail", 95.0, False)],
            Quartiles(80.0, 85.0, 90.0),
        )
    )

    [box] = root.iter(f"{SVG}rect")
    left, width = float(box.get("x")), float(box.get("width"))
    seller = next(root.iter(f"{SVG}circle"))
    # The domain is 75-100 on 24..456: p25 at 80 and p75 at 90 are 2/5 apart.
    assert (left, width) == pytest.approx((24 + 432 / 5, 432 * 2 / 5), abs=0.1)
    assert float(seller.get("cx")) == pytest.approx(left + width / 2, abs=0.1)
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"cohort median 85.0", "You 85.0", "First-party retail 95.0"} <= set(labels)


def test_a_line_chart_breaks_its_line_where_a_value_is_missing() -> None:
    root = parsed(
        line_chart(
            "trend",
            "Trend",
            "FQ per day",
            ["d1", "d2", "d3", "d4", "d5"],
            [Series("FQ index", (80.0, 82.0, None, 85.0, 86.0)), Series("CSQ index", (97.0,) * 5)],
        )
    )

    lines = [p.get("points") for p in root.iter(f"{SVG}polyline")]
    assert [len(points.split()) for points in lines] == [2, 2, 5]
    assert len(list(root.iter(f"{SVG}circle"))) == 1 + 4  # the legend's and each FQ point
    assert {"FQ index", "CSQ index", "d1", "d5"} <= {t.text for t in root.iter(f"{SVG}text")}


def test_a_line_chart_of_one_day_draws_its_points_without_lines() -> None:
    root = parsed(line_chart("t", "T", "D", ["d1"], [Series("FQ index", (90.0,))]))

    assert list(root.iter(f"{SVG}polyline")) == []
    assert len(list(root.iter(f"{SVG}circle"))) == 2  # legend and the point


@pytest.mark.parametrize(
    ("values", "domain"),
    [
        ([84.8, 79.8, 86.7], (75.0, 90.0)),
        ([99.3, 99.6], (90.0, 100.0)),
        ([0.0, 3.0], (0.0, 10.0)),
        ([42.0], (40.0, 50.0)),
        ([12.0, 97.0], (10.0, 100.0)),
    ],
)
def test_the_axis_range_holds_the_values_in_steps_of_five_and_is_ten_wide_at_least(
    values: list[float], domain: tuple[float, float]
) -> None:
    assert scale_domain(values) == domain


def test_ticks_are_round_and_few() -> None:
    assert ticks(75.0, 90.0) == [75.0, 80.0, 85.0, 90.0]
    assert ticks(90.0, 100.0) == [90.0, 92.0, 94.0, 96.0, 98.0, 100.0]
    assert ticks(10.0, 100.0) == [20.0, 40.0, 60.0, 80.0, 100.0]


@pytest.mark.parametrize(
    ("seller", "quartiles"),
    [(84.8, Quartiles(79.8, 83.4, 86.7)), (98.0, Quartiles(97.8, 98.2, 98.8))],
    ids=["room-on-the-far-side", "past-the-line-near-the-edge"],
)
def test_the_median_label_hangs_clear_of_the_sellers_line(
    seller: float, quartiles: Quartiles
) -> None:
    root = parsed(
        box_chart(
            "c",
            "t",
            "d",
            [Mark("You", seller, True), Mark("First-party retail", 99.5, False)],
            quartiles,
        )
    )

    line_x = float(next(root.iter(f"{SVG}circle")).get("cx"))
    [label] = [t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("cohort median")]
    # Hanging left of its point (anchored at its end), the label ends before the line.
    assert label.get("text-anchor") == "end"
    assert float(label.get("x")) < line_x
