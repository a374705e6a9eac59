"""The seller page's what-if form: the target its fields give, and what it refuses."""

from __future__ import annotations

import pytest

from trust_signals.domain.what_if import Target
from trust_signals.web.what_if import TargetRefused, opportunity_words, target_of, what_if_form


def test_no_fields_ask_for_no_what_if() -> None:
    assert target_of({"window": "90d"}) is None


def test_the_three_fields_make_a_count_target() -> None:
    query = {"target_defect": "late_shipment", "target_window": "30d", "target_count": "007"}

    assert target_of(query) == Target("late_shipment", "30d", count=7)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ({"target_count": "3"}, "Unknown defect type"),
        ({"target_defect": "late_shipment", "target_window": "1d"}, "Unknown window"),
        ({"target_defect": "damaged", "target_window": "90d"}, "Not a count"),
        ({"target_defect": "damaged", "target_window": "90d", "target_count": "٣"}, "Not a count"),
        (
            {"target_defect": "damaged", "target_window": "90d", "target_count": "1" * 10},
            "Count too large",
        ),
    ],
    ids=["defect-missing", "window", "count-missing", "non-ascii-digit", "too-long"],
)
def test_a_query_the_form_could_not_send_is_refused(query: dict[str, str], title: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        target_of(query)
    assert refused.value.title == title


def test_the_form_starts_on_the_top_opportunity_over_90_days() -> None:
    form = what_if_form(None, "late_delivery")

    assert [d for d, _, chosen in form["defects"] if chosen] == ["late_delivery"]
    assert [w for w, _, chosen in form["windows"] if chosen] == ["90d"]
    assert form["count"] == ""


@pytest.mark.parametrize(
    ("defect", "words"),
    [("late_shipment", "shipments"), ("fq_negative_feedback", "ratings"), ("damaged", "orders")],
)
def test_a_defect_types_opportunities_in_words(defect: str, words: str) -> None:
    assert opportunity_words(defect) == words
