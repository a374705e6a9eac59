"""Problems of a rule as configured: every one with its path within the rule.

`rule_problems` checks a badge rule (its keep margins included), `group_problems` any
condition tree (incentive programs allow cohort-relative conditions in theirs), so a
configuration loader can say exactly where each problem is.
"""

from __future__ import annotations

from trust_signals.domain.badge_rules import (
    BOUNDS,
    COHORT_SIGNALS,
    COMPARATORS,
    GROUP_MODES,
    SURFACES,
    BadgeRule,
    CohortCondition,
    Condition,
    Group,
    VolumeWindow,
    approval_problems,
    iter_conditions,
    signal_kind,
)
from trust_signals.domain.cohorts import DIMENSIONS
from trust_signals.domain.signals import LEVELS, compile_signal, is_windowed
from trust_signals.domain.snapshots import WINDOWS


def threshold_range(reference: str) -> tuple[float, float | None]:
    """The values a threshold on `reference` may take: (low, high), high None if unbounded."""
    kind = signal_kind(reference)
    flags = ("seller.first_party", "offer.free_returns")
    if kind == "rate" or reference in flags:
        return 0.0, 1.0
    if kind == "rating":
        return 1.0, 5.0
    return (0.0, 100.0) if kind in ("index", "percentile") else (0.0, None)


def threshold_problem(reference: str, threshold: float) -> str | None:
    """Why `threshold` cannot be a threshold on `reference`, or None when it can."""
    low, high = threshold_range(reference)
    if high is None:
        return None if threshold >= low else f"must be at least {low:g}"
    return None if low <= threshold <= high else f"must be between {low:g} and {high:g}"


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


def _cohort_problems(condition: CohortCondition, path: str) -> list[tuple[str, str]]:
    """What is wrong with a cohort-relative condition beyond its comparator."""
    problems = []
    if condition.signal not in COHORT_SIGNALS:
        problems.append((f"{path}.signal", f"only {', '.join(COHORT_SIGNALS)} take a cohort"))
    if not set(condition.cohort) <= set(DIMENSIONS):
        problems.append((f"{path}.cohort", f"must be among {', '.join(DIMENSIONS)}"))
    elif len(set(condition.cohort)) != len(condition.cohort):
        problems.append((f"{path}.cohort", "must not repeat a dimension"))
    if condition.bound != "point":
        problems.append((f"{path}.bound", "a percentile has no bounds: must be point"))
    if condition.window is not None:
        problems.append((f"{path}.window", f"signal {condition.signal!r} has no window"))
    if condition.min_sample:
        problems.append(
            (f"{path}.min_sample", "a percentile has no sample: its cohort has min_cohort_size")
        )
    threshold = threshold_problem(condition.signal, condition.threshold)
    if threshold is not None:
        problems.append((f"{path}.threshold", threshold))
    return problems


def _condition_problems(
    condition: Condition, path: str, level: str, has_default_window: bool, cohorts: bool
) -> list[tuple[str, str]]:
    problems = []
    if condition.comparator not in COMPARATORS:
        problems.append((f"{path}.comparator", f"must be one of {', '.join(COMPARATORS)}"))
    if isinstance(condition, CohortCondition):
        if not cohorts:
            return [(f"{path}.signal", "a cohort-relative signal is for incentive programs only")]
        return problems + _cohort_problems(condition, path)
    if condition.signal in COHORT_SIGNALS:
        return [(f"{path}.cohort", "required: the dimensions of the cohort to rank in")]
    if condition.bound not in BOUNDS:
        problems.append((f"{path}.bound", f"must be one of {', '.join(BOUNDS)}"))
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


def group_problems(
    group: Group,
    path: str,
    level: str,
    has_default_window: bool,
    ids: set[str],
    *,
    cohorts: bool = False,
) -> list[tuple[str, str]]:
    """Every problem of a condition tree as (path, message); `ids` collects condition ids.

    `cohorts`: whether cohort-relative conditions are allowed (incentive programs).
    """
    if group.mode not in GROUP_MODES:
        return [(path, f"a group must be one of {', '.join(GROUP_MODES)}")]
    if not group.children:
        return [(f"{path}.{group.mode}", "must hold at least one condition")]
    problems = []
    for index, child in enumerate(group.children):
        child_path = f"{path}.{group.mode}[{index}]"
        if isinstance(child, Group):
            problems += group_problems(
                child, child_path, level, has_default_window, ids, cohorts=cohorts
            )
            continue
        problems += _condition_problems(child, child_path, level, has_default_window, cohorts)
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
    problems.extend(approval_problems(rule, rule.effective_until))
    if rule.window is not None and rule.window_by_volume is not None:
        problems.append(("window", "give window or window_by_volume, not both"))
    elif rule.window is not None and rule.window not in WINDOWS:
        problems.append(("window", f"must be one of {', '.join(WINDOWS)}"))
    if rule.window_by_volume is not None:
        problems += _volume_problems(rule.window_by_volume, rule.level)
    has_default = rule.window is not None or rule.window_by_volume is not None
    problems += group_problems(rule.when, "when", rule.level, has_default, set())
    return problems + _margin_problems(rule)
