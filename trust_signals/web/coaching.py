"""The page's "What it takes" section, offers and opportunities: the coaching call's answer
(`service.coaching.CoachingAnswer`) in plain words.

Every count written here is the engine's, as the coaching call found it (`more_good`,
`max_defects`); the words only name what it counts and say how a rule's groups combine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from trust_signals.domain.badges import signal_kind
from trust_signals.domain.coaching import BadgeCoaching, CriterionCoaching, GroupCoaching
from trust_signals.domain.coaching_offers import OfferBadgeSummary, Resource
from trust_signals.service.coaching import CoachingAnswer
from trust_signals.web.wording import (
    COMPARATOR_WORDS,
    FAMILY_LABELS,
    UNIT_WORDS,
    defect_label,
    defect_noun,
    figure,
    humanized,
    lowered,
    signal_label,
    threshold_figure,
    unit_words,
    window_words,
)

ANY_WORDS: Final = "One of these is enough"
ALL_WORDS: Final = "All of these together"
# A signal reference or a good unit inside a reason the engine gave.
_REFERENCE: Final = re.compile(r"\b(?:seller|offer)\.[a-z_]+\b")
_UNIT: Final = re.compile(r"\b(?:" + "|".join(sorted(UNIT_WORDS, key=len, reverse=True)) + r")\b")
_ACRONYMS: Final = frozenset({"cs", "fq", "csq"})


def criterion_label(criterion: CriterionCoaching) -> str:
    """What a criterion measures, and over which window: 'Late shipment rate, last 90 days'."""
    label = signal_label(criterion.signal)
    window = criterion.window
    return label if window is None else f"{label}, {window_words(window).removeprefix('the ')}"


def standing_words(criterion: CriterionCoaching) -> str:
    """Where the seller stands on a criterion today: '93.1 % counting its confidence margin,
    needs at least 95 %'; '120, needs at least 1,000'; 'no data yet over the last 90 days'."""
    reference, value = criterion.signal, criterion.value
    if value is None:
        return f"no data yet over {window_words(criterion.window)}"
    if criterion.sample < criterion.min_sample:
        return (
            f"too few to judge yet: {criterion.sample:,} of the {criterion.min_sample:,} "
            f"needed over {window_words(criterion.window)}"
        )
    needs = COMPARATOR_WORDS.get(criterion.comparator, criterion.comparator)
    needs += " " + threshold_figure(reference, criterion.threshold)
    margin = " counting its confidence margin" if criterion.bound != "point" else ""
    return f"{figure(reference, value)}{margin}, needs {needs}"


def criterion_words(criterion: CriterionCoaching) -> str:
    """What a criterion takes, in the seller's own counts: '880 more orders with no new
    defects and you qualify'; 'at most 3 late shipments at today's volume'; or why no
    change of counts does it. A met one says how many defects it still allows."""
    reference, most = criterion.signal, criterion.max_defects
    if criterion.passes:
        if most is None:
            return "nothing more"
        return f"stays met with at most {most:,} {defect_noun(reference, most)} at today's volume"
    ways = []
    if most is not None:
        ways.append(f"at most {most:,} {defect_noun(reference, most)} at today's volume")
    more = criterion.more_good
    if more is not None:
        ways.append(
            f"{more.count:,} more {unit_words(more.unit, more.count)}"
            f"{_without(reference)} and you qualify"
        )
    if ways:
        return ", or ".join(ways)
    if criterion.reason:
        return reason_words(criterion.reason)
    return "no change of your counts meets it"


def _without(reference: str) -> str:
    """What must not come with the good events: ' with no new late shipments'."""
    kind = signal_kind(reference)
    if kind == "rate":
        return f" with no new {defect_noun(reference, 2)}"
    return "" if kind == "rating" else " with no new defects"


def reason_words(reason: str) -> str:
    """The engine's reason with signals and units named as the page names them:
    'seller.tenure_days is not a count: it is met in 600 days' -> 'tenure is not a count:
    it is met in 600 days'."""
    named = _REFERENCE.sub(lambda found: lowered(signal_label(found[0])), reason)
    return _UNIT.sub(lambda found: unit_words(found[0], 2), named)


def resource_label(copy_key: str) -> str:
    """The link text of a resource, from the last part of its copy key:
    'coaching.resource.cs_provider' -> 'CS provider'."""
    words = copy_key.rsplit(".", 1)[-1].split("_")
    return humanized(" ".join(w.upper() if w in _ACRONYMS else w for w in words))


def resource_links(resources: Sequence[Resource]) -> list[dict[str, str]]:
    """Each resource as the page links it."""
    return [{"label": resource_label(r.copy_key), "link": r.link} for r in resources]


def badge_section(badge: BadgeCoaching, answer: CoachingAnswer) -> dict[str, Any]:
    """One missed badge: its criteria in runs that share a group, each run headed with how
    its group combines when that is not the rule's plain `all`."""
    groups = {group.path: group for group in badge.groups}
    runs: list[dict[str, Any]] = []
    for criterion in badge.criteria:
        parent = groups[criterion.path.rsplit(".", 1)[0]]
        if not runs or runs[-1]["path"] != parent.path:
            runs.append({"path": parent.path, "heading": _heading(parent), "rows": []})
        helps = () if criterion.passes else answer.criterion_resources.get(criterion.signal, ())
        runs[-1]["rows"].append(
            {
                "path": criterion.path,
                "label": criterion_label(criterion),
                "passes": criterion.passes,
                "standing": standing_words(criterion),
                "takes": criterion_words(criterion),
                "resources": resource_links(helps),
            }
        )
    return {
        "id": badge.badge_id,
        "name": humanized(badge.badge_id),
        "runs": runs,
    }


def _heading(group: GroupCoaching) -> str | None:
    state = "met" if group.passes else "not met yet"
    if group.mode == "any":
        return f"{ANY_WORDS} ({state})"
    return None if group.path == "when" else f"{ALL_WORDS} ({state})"


def offer_words(summary: OfferBadgeSummary) -> str:
    """'12 of your 40 offers hold Fast delivery; 28 miss it on on-time delivery rate.'"""
    name = humanized(summary.badge_id)
    total, missing = summary.holding + summary.not_holding, summary.not_holding
    if total == 0:
        return f"You have no offers here yet to hold {name}."
    if missing == 0:
        return (
            f"All {total:,} of your offers hold {name}."
            if total > 1
            else (f"Your offer holds {name}.")
        )
    held = f"{summary.holding:,} of your {total:,} {'offer' if total == 1 else 'offers'}"
    holds = "holds" if summary.holding == 1 else "hold"
    reasons = [(lowered(signal_label(f.signal)), f.offers) for f in summary.failing]
    if len(reasons) == 1 and reasons[0][1] == missing:
        why = f" on {reasons[0][0]}"
    else:
        why = ": " + ", ".join(f"{count:,} on {label}" for label, count in reasons)
    misses = "misses" if missing == 1 else "miss"
    return f"{held} {holds} {name}; {missing:,} {misses} it{why}."


def points_text(points: float) -> str:
    """Index points to two decimals; a gain too small for them says so, never "0.00"."""
    return "<0.01" if 0 < points < 0.005 else f"{points:.2f}"


def coaching_context(answer: CoachingAnswer) -> dict[str, Any]:
    """The template's coaching: each missed badge, each offer badge, each opportunity with
    its resources (largest gain first)."""
    return {
        "badges": [badge_section(badge, answer) for badge in answer.badges],
        "offers": [
            {"id": summary.badge_id, "words": offer_words(summary)} for summary in answer.offers
        ],
        "opportunities": [
            {
                "id": f"{o.family}:{o.defect}",
                "defect": defect_label(o.defect),
                "family": FAMILY_LABELS.get(o.family, o.family),
                "points": points_text(o.index_points),
                "resources": resource_links(o.resources),
            }
            for o in answer.opportunities
        ],
    }
