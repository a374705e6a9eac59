"""The page's "What it takes" section: a coaching answer, and each criterion in plain words.

A coaching answer is a plain dict (the shape of the coaching call's JSON body):

    {"badges": [{"badge_id", "copy_key", "criteria": [
        {"signal", "window", "comparator", "threshold", "value", "passes",
         "more_good": {"count", "unit"} | None, "max_defects": int | None,
         "reason": str | None}]}],
     "opportunities": [{"family", "defect", "index_points",
                        "resources": [{"copy_key", "link"}]}]}

`coaching_from_standings` builds one from the badge explanations the service has (each
condition's value, threshold and verdict, no counts to go: `more_good` and `max_defects`
stay None); the template renders either kind the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from trust_signals.domain.badges import ConditionExplanation, signal_kind
from trust_signals.service.seller_page import BadgeStanding
from trust_signals.web.wording import (
    ATTRIBUTE_UNITS,
    COMPARATOR_WORDS,
    GOOD_RATE_MISSES,
    defect_noun,
    figure,
    signal_label,
    signal_name,
    threshold_figure,
    window_words,
)

Criterion = Mapping[str, Any]


def criterion_words(criterion: Criterion) -> str:
    """One criterion in plain words: what the seller has, or what it takes to qualify.

    'met: 96.4, needs at least 95'; '42 more on-time deliveries with no new late ones and
    you qualify'; 'at most 3 late shipments at today's volume'; 'tenure: 20 more days'.
    """
    reference, value = criterion["signal"], criterion["value"]
    needs = f"{COMPARATOR_WORDS.get(criterion['comparator'], criterion['comparator'])} " + (
        threshold_figure(reference, criterion["threshold"])
    )
    if criterion["passes"]:
        return f"met: {figure(reference, value)}, needs {needs}"
    ways = list(_ways_to_qualify(criterion))
    if ways:
        return ", or ".join(ways)
    if criterion.get("reason"):
        return str(criterion["reason"])
    if value is None:
        return f"no data yet over {window_words(criterion['window'])}"
    kind = signal_kind(reference)
    if kind in ("attribute", "count") and criterion["comparator"] in (">=", ">"):
        short = _shortfall(value, criterion["threshold"], criterion["comparator"])
        label = signal_label(reference).lower()
        unit = ATTRIBUTE_UNITS.get(signal_name(reference))
        if unit is not None:
            return f"{label}: {short:,} more {unit if short != 1 else unit.removesuffix('s')}"
        return f"{short:,} more {label} over {window_words(criterion['window'])}"
    if kind == "rate":
        return f"{figure(reference, value)} counting its confidence margin, needs {needs}"
    return f"measured {figure(reference, value)}, needs {needs}"


def _ways_to_qualify(criterion: Criterion) -> Iterable[str]:
    reference = criterion["signal"]
    max_defects = criterion.get("max_defects")
    if max_defects is not None:
        noun = defect_noun(reference, max_defects)
        yield f"at most {max_defects:,} {noun} at today's volume"
    more_good = criterion.get("more_good")
    if more_good is not None:
        count, unit = more_good["count"], more_good["unit"]
        if signal_kind(reference) == "rate":
            yield f"{count:,} more {unit} with no new {_misses(reference)} and you qualify"
        else:
            yield f"{count:,} more {unit} and you qualify"


def _misses(reference: str) -> str:
    """What must not come with the good events: 'late ones', 'late shipments'."""
    return GOOD_RATE_MISSES.get(signal_name(reference)) or defect_noun(reference, 2)


def _shortfall(value: float, threshold: float, comparator: str) -> int:
    """Whole units from `value` to a count that passes (a count or a day is whole)."""
    if comparator == ">":
        return math.floor(threshold - value) + 1
    return math.ceil(threshold - value)


def criterion_label(criterion: Criterion) -> str:
    """What a criterion measures, and over which window: 'Late shipment rate, last 90 days'."""
    label = signal_label(criterion["signal"])
    window = criterion.get("window")
    return label if window is None else f"{label}, {window_words(window).removeprefix('the ')}"


def coaching_from_standings(
    standings: Sequence[BadgeStanding], opportunities: Sequence[tuple[str, str, float]]
) -> dict[str, Any]:
    """A coaching answer from the badge explanations: each badge the seller does not hold,
    every condition with its value, threshold and verdict; the benchmark's opportunities."""
    return {
        "badges": [
            {
                "badge_id": standing.badge_id,
                "copy_key": standing.copy_key,
                "criteria": [_criterion(c) for c in standing.explanation.conditions],
            }
            for standing in standings
            if not standing.held
        ],
        "opportunities": [
            {"family": family, "defect": defect, "index_points": points, "resources": []}
            for family, defect, points in opportunities
        ],
    }


def _criterion(condition: ConditionExplanation) -> dict[str, Any]:
    return {
        "signal": condition.signal,
        "window": condition.window,
        "comparator": condition.comparator,
        "threshold": condition.threshold,
        "value": condition.value,
        "passes": condition.passed,
        "more_good": None,
        "max_defects": None,
        "reason": None if condition.passed else _sample_reason(condition),
    }


def _sample_reason(condition: ConditionExplanation) -> str | None:
    """Why a condition cannot be judged yet: too small a sample (the display floor)."""
    if condition.value is not None and condition.sample < condition.min_sample:
        return (
            f"too few to judge yet: {condition.sample:,} of the {condition.min_sample:,} "
            f"needed over {window_words(condition.window)}"
        )
    return None
