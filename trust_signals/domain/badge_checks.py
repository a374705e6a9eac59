"""Compiled badge rules: each rule's tree with signals resolved, and its fast check.

`compile_rules` runs once per configuration load and turns each tree into one closure,
`check(subject, params) -> bool`. Rates, counts and attributes get specialised closures
that read the counts directly (counts and attributes through `compile_bound`; rates here,
settling on the point estimate where it decides): they skip building a `Measure` (and the
Wilson interval when the point estimate is compared), which makes a condition several times
cheaper than the generic signal function. Their verdict must equal the generic path's (the
`Measure` from `compile_signal`, which explanations use); the unit tests hold the two to the
same answer on random data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Final

from trust_signals.domain.badge_rules import (
    COMPARATORS,
    Badge,
    BadgeRule,
    Condition,
    Group,
    relaxed_rule,
    rule_problems,
    signal_kind,
)
from trust_signals.domain.confidence import LOWER, UPPER, wilson_bound
from trust_signals.domain.signal_bounds import compile_bound
from trust_signals.domain.signals import (
    OFFER_RATES,
    SELLER_RATES,
    SignalFn,
    SignalParams,
    Subject,
    compile_signal,
    is_windowed,
)

Check = Callable[[Subject, SignalParams], bool]
_BOUND_ATTRIBUTE: Final = {"point": "value", "lower": "lower", "upper": "upper"}
_COST: Final = {"attribute": 0, "count": 1, "rate": 2, "rating": 3, "index": 4}


@dataclass(frozen=True, slots=True)
class Leaf:
    """A condition with its window resolved and its signal compiled."""

    path: str
    condition: Condition
    window: str | None
    fn: SignalFn


@dataclass(frozen=True, slots=True)
class Node:
    """A group of compiled conditions, in configured order."""

    mode: str
    children: tuple[Leaf | Node, ...]


def compile_tree(group: Group, default_window: str | None, path: str = "when") -> Node:
    """The group with every condition's window resolved (own, else default) and compiled."""
    children: list[Leaf | Node] = []
    for index, child in enumerate(group.children):
        child_path = f"{path}.{group.mode}[{index}]"
        if isinstance(child, Group):
            children.append(compile_tree(child, default_window, child_path))
            continue
        window = child.window
        if window is None and is_windowed(child.signal):
            window = default_window
        children.append(Leaf(child_path, child, window, compile_signal(child.signal, window)))
    return Node(group.mode, tuple(children))


def _cost(node: Leaf | Node) -> int:
    """Rough evaluation cost, so an `all`/`any` tries its cheap children first."""
    if isinstance(node, Leaf):
        return _COST[signal_kind(node.condition.signal)]
    return 1 + max(_cost(child) for child in node.children)


def _generic_check(leaf: Leaf) -> Check:
    fn, pick = leaf.fn, attrgetter(_BOUND_ATTRIBUTE[leaf.condition.bound])
    compare, threshold = COMPARATORS[leaf.condition.comparator], leaf.condition.threshold
    min_sample = leaf.condition.min_sample

    def check(subject: Subject, params: SignalParams) -> bool:
        measure = fn(subject, params)
        value = pick(measure)
        return value is not None and measure.sample >= min_sample and compare(value, threshold)

    return check


def _rate_check(leaf: Leaf, level: str, name: str) -> Check:
    events, opportunities = (SELLER_RATES if level == "seller" else OFFER_RATES)[name]
    entity, window = attrgetter(level), leaf.window
    compare, threshold = COMPARATORS[leaf.condition.comparator], leaf.condition.threshold
    min_trials = max(1, leaf.condition.min_sample)  # no opportunities: no data, never a pass
    if leaf.condition.bound == "point":

        def point_check(subject: Subject, params: SignalParams) -> bool:
            found = entity(subject)
            if found is None:
                return False
            counts = found.windows[window]
            trials = int(opportunities(counts))
            return trials >= min_trials and compare(int(events(counts)) / trials, threshold)

        return point_check
    side = LOWER if leaf.condition.bound == "lower" else UPPER
    # lower <= point <= upper, so the point estimate settles many comparisons without the
    # Wilson interval. Where the bound is stricter than the point (lower for >=, upper for
    # <=) a failing point decides; elsewhere a passing point does.
    stricter = (side == LOWER) is (leaf.condition.comparator in (">=", ">"))

    def bound_check(subject: Subject, params: SignalParams) -> bool:
        found = entity(subject)
        if found is None:
            return False
        counts = found.windows[window]
        trials = int(opportunities(counts))
        if trials < min_trials:
            return False
        successes = int(events(counts))
        passed = compare(successes / trials, threshold)
        if passed is not stricter:
            return passed
        return compare(wilson_bound(successes, trials, params.z, side), threshold)

    return bound_check


def _count_check(leaf: Leaf) -> Check:
    value_of = compile_bound(leaf.condition.signal, leaf.window, "point")
    compare, threshold = COMPARATORS[leaf.condition.comparator], leaf.condition.threshold
    min_sample = leaf.condition.min_sample  # a count is its own sample

    def check(subject: Subject, params: SignalParams) -> bool:
        value = value_of(subject, params)
        return value is not None and int(value) >= min_sample and compare(value, threshold)

    return check


def _attribute_check(leaf: Leaf) -> Check:
    value_of = compile_bound(leaf.condition.signal, None, "point")
    compare, threshold = COMPARATORS[leaf.condition.comparator], leaf.condition.threshold
    sample_met = leaf.condition.min_sample <= 1  # an attribute's sample is 1

    def check(subject: Subject, params: SignalParams) -> bool:
        value = value_of(subject, params)
        return value is not None and sample_met and compare(value, threshold)

    return check


def leaf_check(leaf: Leaf) -> Check:
    """The fastest check equivalent to comparing the leaf's Measure with its threshold."""
    kind = signal_kind(leaf.condition.signal)
    level, _, name = leaf.condition.signal.partition(".")
    if kind == "rate":
        return _rate_check(leaf, level, name)
    if kind == "count":
        return _count_check(leaf)
    if kind == "attribute":
        return _attribute_check(leaf)
    return _generic_check(leaf)


def tree_check(node: Leaf | Node) -> Check:
    """One closure for the whole tree, short-circuiting, cheap children first."""
    if isinstance(node, Leaf):
        return leaf_check(node)
    # Conditions are pure, so their order cannot change the outcome, only the cost. Plain
    # loops rather than all()/any() over a generator: no allocation per evaluation.
    checks = tuple(tree_check(c) for c in sorted(node.children, key=_cost))
    if node.mode == "all":

        def check_all(subject: Subject, params: SignalParams) -> bool:
            for check in checks:  # noqa: SIM110
                if not check(subject, params):
                    return False
            return True

        return check_all

    def check_any(subject: Subject, params: SignalParams) -> bool:
        for check in checks:  # noqa: SIM110
            if check(subject, params):
                return True
        return False

    return check_any


@dataclass(frozen=True, slots=True)
class CompiledTree:
    """A rule's conditions compiled for one default window: the tree and its fast check."""

    root: Node
    check: Check


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with its signals resolved; `earned(subject, params)` is one closure call.

    `earned` covers the conditions only (the window chosen by volume included); whether
    the rule is live (kill switch, approval, dates, surface, level) is checked by the
    caller, before paying for any signal. `kept` is the same check with the thresholds
    relaxed by the rule's keep margins, for a subject that held the badge before; None when
    the rule has no margin.
    """

    rule: BadgeRule
    badge: Badge
    for_sellers: bool
    for_offers: bool
    live_until: date  # effective_until, or date.max when open-ended (exclusive either way)
    earned: Check
    volume: SignalFn | None  # the volume signal of window_by_volume, for explanations
    then: CompiledTree  # the tree when there is no volume rule, or the volume is met
    otherwise: CompiledTree | None
    volume_met: Check | None
    kept: Check | None = None

    def tree(self, subject: Subject, params: SignalParams) -> CompiledTree:
        """The condition tree for this subject, after choosing the window by volume."""
        if self.volume_met is None or self.otherwise is None:
            return self.then
        return self.then if self.volume_met(subject, params) else self.otherwise


def _by_volume(volume_met: Check, then: Check, otherwise: Check) -> Check:
    def check(subject: Subject, params: SignalParams) -> bool:
        return (then if volume_met(subject, params) else otherwise)(subject, params)

    return check


def _tree(group: Group, default_window: str | None) -> CompiledTree:
    root = compile_tree(group, default_window)
    return CompiledTree(root, tree_check(root))


def compile_rule(rule: BadgeRule) -> CompiledRule:
    """The rule with every signal resolved; ValueError listing every problem of the rule."""
    problems = rule_problems(rule)
    if problems:
        raise ValueError(f"rule {rule.id!r}: " + "; ".join(f"{p}: {m}" for p, m in problems))
    badge = Badge(rule.id, rule.copy_key, rule.level, rule.priority, rule.approval_reference)
    seller = rule.level == "seller"
    for_offers, live_until = not seller or rule.inherit_to_offers, rule.effective_until or date.max
    earned, volume, then, otherwise, volume_met = _conditions(rule)
    # A relaxed threshold may leave its signal's range (0.01 - 0.02): it only ever widens a
    # pass, so the relaxed rule is compiled without validating it again.
    kept = _conditions(relaxed_rule(rule))[0] if rule.keep_margin else None
    return CompiledRule(
        rule,
        badge,
        seller,
        for_offers,
        live_until,
        earned,
        volume,
        then,
        otherwise,
        volume_met,
        kept,
    )


def _conditions(
    rule: BadgeRule,
) -> tuple[Check, SignalFn | None, CompiledTree, CompiledTree | None, Check | None]:
    """The rule's check and what explanations walk: volume signal, trees, volume check."""
    volume = rule.window_by_volume
    if volume is None:
        then = _tree(rule.when, rule.window)
        return then.check, None, then, None, None
    # No data on the volume (e.g. no offer) counts as below it: the longer window.
    at_least = Condition(volume.signal, "point", ">=", volume.at_least, volume.window)
    volume_fn = compile_signal(volume.signal, volume.window)
    volume_met = leaf_check(Leaf("window_by_volume", at_least, volume.window, volume_fn))
    then, otherwise = _tree(rule.when, volume.then), _tree(rule.when, volume.otherwise)
    earned = _by_volume(volume_met, then.check, otherwise.check)
    return earned, volume_fn, then, otherwise, volume_met


def compile_rules(rules: Sequence[BadgeRule]) -> tuple[CompiledRule, ...]:
    """Compiled rules in display order (priority descending, then id), as evaluation needs."""
    ids = [rule.id for rule in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate badge ids: {', '.join(duplicates)}")
    compiled = [compile_rule(rule) for rule in rules]
    return tuple(sorted(compiled, key=lambda c: (-c.rule.priority, c.rule.id)))
