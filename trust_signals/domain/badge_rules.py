"""Badge rules as configured: the rule language's value objects and their validation.

A rule is a tree of `all`/`any` groups over conditions; a condition compares one bound of
one signal (over a window) with a threshold. `rule_problems` reports every problem with its
path within the rule, so a configuration loader can say exactly where it is.

Effective dates: a rule is live on day `on` when `effective_from <= on` and, if set,
`on < effective_until` (from inclusive, until exclusive, so consecutive approvals chain
without overlap or gap).

Keep margins (hysteresis): a rule may give some of its conditions, by id, a margin in the
condition's own units. A subject that held the badge in the previous snapshot keeps it while
each such condition passes its threshold relaxed by the margin (`relaxed_rule`); anyone else
must clear the threshold itself, so a value hovering at the threshold does not flicker.

Over 300 lines on purpose: the rule language and every check of it, margins included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from operator import ge, gt, le, lt
from typing import Final, NamedTuple

from trust_signals.domain.signals import (
    LEVELS,
    OFFER_RATES,
    SELLER_RATES,
    compile_signal,
    is_windowed,
)
from trust_signals.domain.snapshots import WINDOWS

SURFACES: Final = ("search", "pdp", "spp")
BOUNDS: Final = ("point", "lower", "upper")
GROUP_MODES: Final = ("all", "any")
COMPARATORS: Final[Mapping[str, Callable[[float, float], bool]]] = {
    ">=": ge,
    "<=": le,
    ">": gt,
    "<": lt,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """`signal` over `window`, its `bound`, compared with `threshold`.

    `window` None means the rule's window (or the one chosen by volume) for a windowed
    signal, and no window for an attribute such as tenure. A sample below `min_sample`
    fails the condition (0: no minimum). `id` names it for overrides and explanations.
    """

    signal: str
    bound: str
    comparator: str
    threshold: float
    window: str | None = None
    min_sample: int = 0
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """`all` (every child holds) or `any` (at least one holds) over conditions and groups."""

    mode: str
    children: tuple[Condition | Group, ...]


@dataclass(frozen=True, slots=True)
class VolumeWindow:
    """Window chosen by volume: `then` when `signal` over `window` is >= `at_least`.

    Otherwise (fewer, or no data) `otherwise`. eBay: 3 months if >= 400 transactions in
    them, else 12 months.
    """

    signal: str
    window: str
    at_least: float
    then: str
    otherwise: str


@dataclass(frozen=True, slots=True)
class BadgeRule:
    """One approved badge rule as configured; `compile_rules` turns it into a CompiledRule."""

    id: str
    level: str  # 'seller' | 'offer'
    surfaces: frozenset[str]
    priority: int  # higher shows first
    marketplaces: frozenset[str]  # where legal approved it
    effective_from: date  # inclusive
    effective_until: date | None  # exclusive; None: open-ended
    enabled: bool  # the kill switch
    copy_key: str
    approval_reference: str
    when: Group
    inherit_to_offers: bool = False
    window: str | None = None
    window_by_volume: VolumeWindow | None = None
    # (condition id, margin) pairs, sorted by id: a holder keeps the badge within them.
    keep_margin: tuple[tuple[str, float], ...] = ()


class Badge(NamedTuple):
    """A badge as shown: what the front end needs to render its approved copy.

    A NamedTuple: evaluation builds none (each compiled rule holds its badge), but
    explanations and clients compare badges by value.
    """

    id: str
    copy_key: str
    level: str
    priority: int
    approval_reference: str


def signal_kind(reference: str) -> str:
    """'rate', 'rating', 'index', 'count' or 'attribute' for a valid signal reference."""
    level, _, name = reference.partition(".")
    if not is_windowed(reference):
        return "attribute"
    if name in (SELLER_RATES if level == "seller" else OFFER_RATES):
        return "rate"
    if name == "average_rating":
        return "rating"
    return "index" if name.endswith("_index") else "count"


def threshold_range(reference: str) -> tuple[float, float | None]:
    """The values a threshold on `reference` may take: (low, high), high None if unbounded."""
    kind = signal_kind(reference)
    flags = ("seller.first_party", "offer.free_returns")
    if kind == "rate" or reference in flags:
        return 0.0, 1.0
    if kind == "rating":
        return 1.0, 5.0
    return (0.0, 100.0) if kind == "index" else (0.0, None)


def iter_conditions(group: Group, path: str = "when") -> Iterator[tuple[str, Condition]]:
    """Every condition under `group` with its path, e.g. ('when.all[1].any[0]', ...)."""
    for index, child in enumerate(group.children):
        child_path = f"{path}.{group.mode}[{index}]"
        if isinstance(child, Group):
            yield from iter_conditions(child, child_path)
        else:
            yield child_path, child


def override_thresholds(rule: BadgeRule, thresholds: Mapping[str, float]) -> BadgeRule:
    """The rule with the thresholds of the conditions named by id replaced."""

    def rebuild(group: Group) -> Group:
        children: list[Condition | Group] = []
        for child in group.children:
            if isinstance(child, Group):
                children.append(rebuild(child))
            elif child.id is not None and child.id in thresholds:
                children.append(dataclasses.replace(child, threshold=thresholds[child.id]))
            else:
                children.append(child)
        return Group(group.mode, tuple(children))

    known = {c.id for _, c in iter_conditions(rule.when)}
    unknown = sorted(set(thresholds) - known)
    if unknown:
        raise ValueError(f"rule {rule.id!r} has no condition {', '.join(unknown)}")
    return dataclasses.replace(rule, when=rebuild(rule.when))


def relaxed_threshold(condition: Condition, margin: float) -> float:
    """The threshold a holder must still meet: `margin` looser in the comparator's direction
    (threshold - margin for >= and >, threshold + margin for <= and <)."""
    if condition.comparator in (">=", ">"):
        return condition.threshold - margin
    return condition.threshold + margin


def relaxed_rule(rule: BadgeRule) -> BadgeRule:
    """The rule a holder of its badge must still meet: each condition named in `keep_margin`
    with its threshold relaxed by its margin (the margins themselves dropped)."""
    conditions = {c.id: c for _, c in iter_conditions(rule.when) if c.id is not None}
    relaxed = {cid: relaxed_threshold(conditions[cid], m) for cid, m in rule.keep_margin}
    return dataclasses.replace(override_thresholds(rule, relaxed), keep_margin=())


def margin_problem(reference: str, margin: float) -> str | None:
    """Why `margin` cannot be a keep margin on `reference`, or None when it can: at least 0
    and, for a bounded signal, no wider than its range (a rate's margin is at most 1)."""
    low, high = threshold_range(reference)
    if margin < 0:
        return "must be at least 0"
    if high is not None and margin > high - low:
        return f"must be at most {high - low:g}, the range of {reference}"
    return None


def _margin_problems(rule: BadgeRule) -> list[tuple[str, str]]:
    conditions = {c.id: c for _, c in iter_conditions(rule.when) if c.id is not None}
    problems = []
    for condition_id, margin in rule.keep_margin:
        path = f"keep_margin.{condition_id}"
        found = conditions.get(condition_id)
        if found is None:
            problems.append((path, f"the rule has no condition with id {condition_id!r}"))
            continue
        problem = margin_problem(found.signal, margin)
        if problem is not None:
            problems.append((path, problem))
    return problems


def threshold_problem(reference: str, threshold: float) -> str | None:
    """Why `threshold` cannot be a threshold on `reference`, or None when it can."""
    low, high = threshold_range(reference)
    if high is None:
        return None if threshold >= low else f"must be at least {low:g}"
    return None if low <= threshold <= high else f"must be between {low:g} and {high:g}"


def _condition_problems(
    condition: Condition, path: str, level: str, has_default_window: bool
) -> list[tuple[str, str]]:
    problems = []
    if condition.bound not in BOUNDS:
        problems.append((f"{path}.bound", f"must be one of {', '.join(BOUNDS)}"))
    if condition.comparator not in COMPARATORS:
        problems.append((f"{path}.comparator", f"must be one of {', '.join(COMPARATORS)}"))
    if condition.min_sample < 0:
        problems.append((f"{path}.min_sample", "must be at least 0"))
    if condition.window is not None and condition.window not in WINDOWS:
        problems.append((f"{path}.window", f"must be one of {', '.join(WINDOWS)}"))
    try:
        windowed = is_windowed(condition.signal)
        compile_signal(condition.signal, WINDOWS[0] if windowed else None)
    except ValueError as error:
        return [*problems, (f"{path}.signal", str(error))]
    if level == "seller" and not condition.signal.startswith("seller."):
        problems.append((f"{path}.signal", "a seller-level rule can only use seller signals"))
    if windowed and condition.window is None and not has_default_window:
        problems.append((f"{path}.window", "required: the rule has no window or window_by_volume"))
    if not windowed and condition.window is not None:
        problems.append((f"{path}.window", f"signal {condition.signal!r} has no window"))
    threshold = threshold_problem(condition.signal, condition.threshold)
    if threshold is not None:
        problems.append((f"{path}.threshold", threshold))
    return problems


def _group_problems(
    group: Group, path: str, level: str, has_default_window: bool, ids: set[str]
) -> list[tuple[str, str]]:
    if group.mode not in GROUP_MODES:
        return [(path, f"a group must be one of {', '.join(GROUP_MODES)}")]
    if not group.children:
        return [(f"{path}.{group.mode}", "must hold at least one condition")]
    problems = []
    for index, child in enumerate(group.children):
        child_path = f"{path}.{group.mode}[{index}]"
        if isinstance(child, Group):
            problems += _group_problems(child, child_path, level, has_default_window, ids)
            continue
        problems += _condition_problems(child, child_path, level, has_default_window)
        if child.id is not None and child.id in ids:
            problems.append((f"{child_path}.id", f"duplicate condition id {child.id!r}"))
        elif child.id is not None:
            ids.add(child.id)
    return problems


def _volume_problems(volume: VolumeWindow, level: str) -> list[tuple[str, str]]:
    problems = []
    try:
        compile_signal(volume.signal, volume.window)
    except ValueError as error:
        problems.append(("window_by_volume", str(error)))
    if level == "seller" and not volume.signal.startswith("seller."):
        problems.append(
            ("window_by_volume.signal", "a seller-level rule can only use seller signals")
        )
    for name in ("then", "otherwise"):
        if getattr(volume, name) not in WINDOWS:
            problems.append((f"window_by_volume.{name}", f"must be one of {', '.join(WINDOWS)}"))
    if volume.at_least < 0:
        problems.append(("window_by_volume.at_least", "must be at least 0"))
    return problems


def rule_problems(rule: BadgeRule) -> list[tuple[str, str]]:
    """Every problem of a rule as (path within the rule, message); empty when it is valid."""
    problems = []
    if rule.level not in LEVELS:
        problems.append(("level", f"must be one of {', '.join(LEVELS)}"))
    if rule.inherit_to_offers and rule.level != "seller":
        problems.append(("inherit_to_offers", "only seller-level rules are inherited by offers"))
    if not rule.surfaces or not rule.surfaces <= set(SURFACES):
        problems.append(("surfaces", f"must be a non-empty subset of {', '.join(SURFACES)}"))
    if not rule.marketplaces:
        problems.append(("marketplaces", "must name at least one approved marketplace"))
    if rule.effective_until is not None and rule.effective_until <= rule.effective_from:
        problems.append(("effective_until", "must be after effective_from"))
    if rule.window is not None and rule.window_by_volume is not None:
        problems.append(("window", "give window or window_by_volume, not both"))
    elif rule.window is not None and rule.window not in WINDOWS:
        problems.append(("window", f"must be one of {', '.join(WINDOWS)}"))
    if rule.window_by_volume is not None:
        problems += _volume_problems(rule.window_by_volume, rule.level)
    has_default = rule.window is not None or rule.window_by_volume is not None
    problems += _group_problems(rule.when, "when", rule.level, has_default, set())
    return problems + _margin_problems(rule)
