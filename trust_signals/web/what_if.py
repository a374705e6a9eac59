"""The page's what-if: its form (a defect type, a window, a count to try) and the what-if
call's projection in words; every figure is the projection's, only formatted here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trust_signals.domain.cohorts import DEFECT_TYPES
from trust_signals.domain.count_changes import DEFECT_FIELDS
from trust_signals.domain.snapshots import WINDOWS
from trust_signals.domain.what_if import Target
from trust_signals.service.seller_page import PageWhatIf
from trust_signals.web.wording import (
    defect_label,
    humanized,
    index_figure,
    lowered,
    percentile_figure,
    window_words,
)

# The query parameters of the what-if form.
TARGET_FIELDS: Final = ("target_defect", "target_window", "target_count")
MAX_COUNT_DIGITS: Final = 9
# What a defect type's opportunities count, as the page names them.
OPPORTUNITY_WORDS: Final = {
    "shipments": "shipments",
    "orders": "orders",
    "contacts": "contacts",
    "feedback_count": "ratings",
    "returns": "returns",
}
_SHORT: Final = {"fq": "FQ", "csq": "CSQ", "fq_index": "FQ", "csq_index": "CSQ"}


class TargetRefused(ValueError):
    """A what-if query the page cannot try: the title and detail to show."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail


def target_of(query: Mapping[str, str]) -> Target | None:
    """The target of the what-if form's fields in `query`; None when none is given;
    TargetRefused naming what is wrong."""
    defect, window, count = (query.get(name) for name in TARGET_FIELDS)
    if defect is None and window is None and count is None:
        return None
    if defect not in DEFECT_TYPES:
        raise TargetRefused("Unknown defect type", f"Pick one of {', '.join(DEFECT_TYPES)}.")
    if window not in WINDOWS:
        raise TargetRefused("Unknown window", f"Pick one of {', '.join(WINDOWS)}.")
    if count is None or not (count.isascii() and count.isdigit()):
        raise TargetRefused("Not a count", "The count to try is a whole number, 0 or more.")
    if len(count) > MAX_COUNT_DIGITS:
        raise TargetRefused("Count too large", "The count to try is too large.")
    return Target(defect, window, count=int(count))


def opportunity_words(defect: str) -> str:
    """What a defect type's opportunities are: 'shipments' for late shipments."""
    field = DEFECT_FIELDS[defect][1]
    return OPPORTUNITY_WORDS.get(field, field.replace("_", " "))


def what_if_form(found: PageWhatIf | None, default_defect: str | None) -> dict[str, Any]:
    """The form's choices, with the tried target's (or the top opportunity's defect) chosen."""
    target = None if found is None else found.target
    chosen = target.defect if target is not None else (default_defect or DEFECT_TYPES[0])
    return {
        "defects": [(d, defect_label(d), d == chosen) for d in DEFECT_TYPES],
        "windows": [
            (w, window_words(w).removeprefix("the "), w == (target.window if target else "90d"))
            for w in WINDOWS
        ],
        "count": "" if target is None or target.count is None else str(target.count),
    }


def what_if_result(found: PageWhatIf | None) -> dict[str, Any] | None:
    """The projection of the tried target in words and figures, or why it was refused."""
    if found is None:
        return None
    target, answer = found.target, found.answer
    defects = lowered(defect_label(target.defect))
    window = window_words(target.window)
    chances = f"{found.opportunities:,} {opportunity_words(target.defect)}"
    if answer is None:
        return {
            "refused": f"You have {chances} over {window}, so at most {found.opportunities:,} "
            f"{defects} can be tried there."
        }
    projection = answer.projection
    rows = [
        {
            "id": f"what-if-{i.family}",
            "label": f"{_SHORT[i.family]} index, {window.removeprefix('the ')}",
            "now": index_figure(i.current),
            "then": index_figure(i.projected),
        }
        for i in projection.indices
        if i.window == target.window
    ]
    rows += [
        {
            "id": f"what-if-{p.metric}-percentile",
            "label": f"{_SHORT[p.metric]}: better than this share of your cohort "
            f"({window_words(p.window).removeprefix('the ')}), %",
            "now": percentile_figure(p.current),
            "then": percentile_figure(p.projected),
        }
        for p in projection.percentiles
    ]
    return {
        "refused": None,
        "target": f"With {target.count:,} {defects} over {window} "
        f"(now {found.current_count:,}, of {chances}):",
        "rows": rows,
        "earned": [humanized(b.id) for b in projection.earned],
        "lost": [humanized(b.id) for b in projection.lost],
        "withheld": answer.cohort_size is None,
    }
