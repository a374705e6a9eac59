"""Badges: compiled rules, their fast evaluation per surface, and their explanation.

The rule language itself (conditions, groups, windows, validation) is in `badge_rules`;
its names are re-exported here. `compile_rules` resolves every signal once per
configuration load; `evaluate_badges` then runs closures only, short-circuiting as soon as
an outcome is known and stopping once the surface's cap is reached. `explain_badges` walks
the same compiled tree condition by condition, through the generic signal functions, for
audit.

Over 300 lines on purpose: evaluation, what the live config shows and the audit explanation
walk the same compiled rules.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from trust_signals.domain.badge_checks import (
    CompiledRule,
    CompiledTree,
    Leaf,
    Node,
    compile_rule,
    compile_rules,
)
from trust_signals.domain.badge_rules import (
    BOUNDS,
    COMPARATORS,
    GROUP_MODES,
    SURFACES,
    Badge,
    BadgeRule,
    Condition,
    Group,
    VolumeWindow,
    approval_withheld_reason,
    iter_conditions,
    override_thresholds,
    relaxed_threshold,
    signal_kind,
)
from trust_signals.domain.rule_problems import rule_problems, threshold_problem, threshold_range
from trust_signals.domain.signals import SignalParams, Subject

__all__ = [
    "BOUNDS",
    "COMPARATORS",
    "GROUP_MODES",
    "SURFACES",
    "Badge",
    "BadgeDecision",
    "BadgeRule",
    "CompiledRule",
    "CompiledTree",
    "Condition",
    "ConditionExplanation",
    "Group",
    "RuleExplanation",
    "VolumeWindow",
    "compile_rule",
    "compile_rules",
    "evaluate_badges",
    "earned_seller_rules",
    "evaluate_surfaces",
    "explain_badges",
    "explain_rule",
    "met_rules",
    "rule_met",
    "shown_badges",
    "is_live",
    "iter_conditions",
    "override_thresholds",
    "rule_problems",
    "signal_kind",
    "threshold_problem",
    "threshold_range",
]


@dataclass(frozen=True, slots=True)
class BadgeDecision:
    """Whether a badge was earned, and every reason it was not."""

    badge_id: str
    earned: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConditionExplanation:
    """One condition as evaluated for one subject."""

    path: str
    condition_id: str | None
    signal: str
    window: str | None
    bound: str
    comparator: str
    threshold: float
    value: float | None
    sample: int
    min_sample: int
    passed: bool
    reason: str
    kept_within_margin: bool = False  # passed only thanks to the rule's keep margin


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    """A rule as evaluated for one subject: every condition, the outcome, any withholding.

    `conditions_met` is the rule's verdict on the data; `earned` also requires that nothing
    withholds it (kill switch, approval, effective dates, surface, level). The surface cap is
    a display decision made by `evaluate_badges`, not part of the explanation.
    """

    rule_id: str
    approval_reference: str
    level: str
    window_choice: str | None
    conditions: tuple[ConditionExplanation, ...]
    conditions_met: bool
    withheld_reason: str | None
    earned: bool

    @property
    def decision(self) -> BadgeDecision:
        """The explanation summed up: earned or not, with every reason why not."""
        reasons = [] if self.withheld_reason is None else [self.withheld_reason]
        reasons += [f"{c.path} {c.signal}: {c.reason}" for c in self.conditions if not c.passed]
        return BadgeDecision(self.rule_id, self.earned, tuple(reasons) if not self.earned else ())


def is_live(compiled: CompiledRule, is_offer: bool, marketplace: str, on: date) -> bool:
    """Whether the rule applies to a seller (or, `is_offer`, an offer) in `marketplace` on
    `on`: enabled, approved there, effective that day, for that level."""
    rule = compiled.rule
    return (
        rule.enabled
        and marketplace in rule.marketplaces
        and rule.effective_from <= on < compiled.live_until
        and (compiled.for_offers if is_offer else compiled.for_sellers)
    )


def evaluate_badges(
    rules: Sequence[CompiledRule],
    subject: Subject,
    params: SignalParams,
    *,
    surface: str,
    marketplace: str,
    on: date,
    max_badges: int,
) -> list[Badge]:
    """The badges earned and live on `surface`, highest priority first, at most `max_badges`.

    `rules` must be in display order, as `compile_rules` returns them: evaluation stops at
    the cap. An offer subject gets offer rules and inherited seller rules; a seller subject
    (offer None) gets seller rules.
    """
    earned: list[Badge] = []
    if max_badges <= 0:
        return earned
    is_offer = subject.offer is not None
    for compiled in rules:
        if (
            surface in compiled.rule.surfaces
            and is_live(compiled, is_offer, marketplace, on)
            and compiled.earned(subject, params)
        ):
            earned.append(compiled.badge)
            if len(earned) >= max_badges:
                break
    return earned


def evaluate_surfaces(
    rules: Sequence[CompiledRule],
    subject: Subject,
    params: SignalParams,
    *,
    max_badges: Mapping[str, int],
    marketplace: str,
    on: date,
    inherited: Container[str] | None = None,
) -> dict[str, list[Badge]]:
    """`evaluate_badges` for several surfaces at once (surface -> cap), each rule run once.

    `inherited`, for an offer subject, holds the ids of the seller-level rules its seller
    earned (`earned_seller_rules`): a seller rule uses seller signals only, so its outcome is
    the same for every offer of the seller and is computed once per seller, not per offer.
    """
    is_offer = subject.offer is not None

    def earned(compiled: CompiledRule) -> bool:
        if inherited is not None and is_offer and compiled.rule.level == "seller":
            return compiled.rule.id in inherited
        return compiled.earned(subject, params)

    return _shown(rules, earned, is_offer, max_badges, marketplace, on)


def rule_met(
    compiled: CompiledRule, subject: Subject, params: SignalParams, *, held_before: bool
) -> bool:
    """Whether the subject meets the rule's conditions: a subject that held the badge in the
    previous snapshot against the thresholds relaxed by the rule's keep margins, any other
    against the thresholds themselves."""
    if held_before and compiled.kept is not None:
        return compiled.kept(subject, params)
    return compiled.earned(subject, params)


def met_rules(
    rules: Sequence[CompiledRule],
    subject: Subject,
    params: SignalParams,
    *,
    inherited: Container[str] | None = None,
    held: Container[str] = frozenset(),
) -> frozenset[str]:
    """Ids of the rules whose conditions the subject meets, live or not: what depends on
    the snapshot and the rules' conditions only, so it can be computed once at activation.

    For an offer: its offer rules and the seller rules it inherits (`inherited`, as
    `earned_seller_rules` gives them, else evaluated here); for a seller: its seller rules.
    `held`: the ids of the rules the subject met in the previous snapshot (see `rule_met`;
    only rules with a keep margin look at it). `shown_badges` then applies what the live
    config decides at read time.
    """
    is_offer = subject.offer is not None
    met = set()
    for compiled in rules:
        if not (compiled.for_offers if is_offer else compiled.for_sellers):
            continue
        if inherited is not None and is_offer and compiled.rule.level == "seller":
            if compiled.rule.id in inherited:
                met.add(compiled.rule.id)
        elif compiled.kept is not None and compiled.rule.id in held:
            if compiled.kept(subject, params):
                met.add(compiled.rule.id)
        elif compiled.earned(subject, params):
            met.add(compiled.rule.id)
    return frozenset(met)


def shown_badges(
    rules: Sequence[CompiledRule],
    met: Container[str],
    *,
    is_offer: bool,
    max_badges: Mapping[str, int],
    marketplace: str,
    on: date,
) -> dict[str, list[Badge]]:
    """The badges shown per surface for a subject that meets the rules `met`: the kill
    switch, approvals, effective dates, surfaces, priorities and caps of the live config.

    Equal to `evaluate_surfaces` on the subject whose `met_rules` gave `met`.
    """
    return _shown(rules, lambda c: c.rule.id in met, is_offer, max_badges, marketplace, on)


def _shown(
    rules: Sequence[CompiledRule],
    earned: Callable[[CompiledRule], bool],
    is_offer: bool,
    max_badges: Mapping[str, int],
    marketplace: str,
    on: date,
) -> dict[str, list[Badge]]:
    shown: dict[str, list[Badge]] = {surface: [] for surface in max_badges}
    still_open = {surface for surface, cap in max_badges.items() if cap > 0}
    for compiled in rules:
        if not still_open:
            break
        rule = compiled.rule
        if (
            not still_open.isdisjoint(rule.surfaces)
            and is_live(compiled, is_offer, marketplace, on)
            and earned(compiled)
        ):
            for surface in still_open & rule.surfaces:
                shown[surface].append(compiled.badge)
                if len(shown[surface]) >= max_badges[surface]:
                    still_open.discard(surface)
    return shown


def earned_seller_rules(
    rules: Sequence[CompiledRule],
    seller: Subject,
    params: SignalParams,
    *,
    held: Container[str] = frozenset(),
) -> frozenset[str]:
    """Ids of the seller-level rules inherited by offers whose conditions the seller meets
    (`held`: the rules it met in the previous snapshot, as for `met_rules`).

    Liveness (kill switch, approval, dates, surface) is still judged per offer evaluation.
    """
    return frozenset(
        c.rule.id
        for c in rules
        if c.rule.level == "seller"
        and c.rule.inherit_to_offers
        and rule_met(c, seller, params, held_before=c.rule.id in held)
    )


def _withheld_reason(
    compiled: CompiledRule, subject: Subject, surface: str | None, marketplace: str, on: date
) -> str | None:
    rule = compiled.rule
    approval = approval_withheld_reason(rule, rule.effective_until, marketplace, on)
    if approval is not None:
        return approval
    if surface is not None and surface not in rule.surfaces:
        return f"not shown on {surface}"
    if subject.offer is not None and not compiled.for_offers:
        return "seller badge not shown on offers"
    if subject.offer is None and not compiled.for_sellers:
        return "offer badge: needs an offer"
    return None


def _explain_leaf(
    leaf: Leaf, subject: Subject, params: SignalParams, margin: float | None
) -> ConditionExplanation:
    condition = leaf.condition
    measure = leaf.fn(subject, params)
    value = measure.bound(condition.bound)
    kept = False
    if value is None:
        passed, reason = False, "no data"
    elif measure.sample < condition.min_sample:
        passed, reason = False, f"sample {measure.sample} below minimum {condition.min_sample}"
    else:
        compare, comparator = COMPARATORS[condition.comparator], condition.comparator
        passed = compare(value, condition.threshold)
        verdict = "" if passed else "not "
        reason = f"{value} {verdict}{comparator} {condition.threshold}"
        if not passed and margin is not None:
            relaxed = relaxed_threshold(condition, margin)
            kept = passed = compare(value, relaxed)
            held = f"margin {margin:g} ({comparator} {relaxed:.12g} for a holder)"
            reason += f", kept within {held}" if kept else f", nor within {held}"
    return ConditionExplanation(
        leaf.path,
        condition.id,
        condition.signal,
        leaf.window,
        condition.bound,
        condition.comparator,
        condition.threshold,
        value,
        measure.sample,
        condition.min_sample,
        passed,
        reason,
        kept,
    )


def _explain_node(
    node: Node,
    subject: Subject,
    params: SignalParams,
    margins: Mapping[str, float],
    out: list[ConditionExplanation],
) -> bool:
    """Evaluates every condition (no short-circuit: an audit wants each one)."""
    results = []
    for child in node.children:
        if isinstance(child, Node):
            results.append(_explain_node(child, subject, params, margins, out))
        else:
            margin = None if child.condition.id is None else margins.get(child.condition.id)
            out.append(_explain_leaf(child, subject, params, margin))
            results.append(out[-1].passed)
    return all(results) if node.mode == "all" else any(results)


def _window_choice(compiled: CompiledRule, subject: Subject, params: SignalParams) -> str | None:
    rule, volume = compiled.rule, compiled.rule.window_by_volume
    if volume is None or compiled.volume is None:
        return None if rule.window is None else f"rule window {rule.window}"
    measured = compiled.volume(subject, params).value
    if measured is None:
        return f"{volume.signal} over {volume.window}: no data, so {volume.otherwise}"
    met = measured >= volume.at_least
    chosen = volume.then if met else volume.otherwise
    return f"{volume.signal} over {volume.window} = {measured} {'>=' if met else '<'} " + (
        f"{volume.at_least}, so {chosen}"
    )


def explain_rule(
    compiled: CompiledRule,
    subject: Subject,
    params: SignalParams,
    *,
    marketplace: str,
    on: date,
    surface: str | None = None,
    held_before: bool = False,
) -> RuleExplanation:
    """One rule evaluated condition by condition, with why it is withheld if it is.

    `held_before` as for `rule_met`: a holder's rule that fails its thresholds is explained
    again against the relaxed ones, each condition that passes only thanks to its margin
    saying "kept within margin".
    """
    conditions: list[ConditionExplanation] = []
    tree = compiled.tree(subject, params)
    met = _explain_node(tree.root, subject, params, {}, conditions)
    if not met and held_before and compiled.rule.keep_margin:
        conditions = []
        margins = dict(compiled.rule.keep_margin)
        met = _explain_node(tree.root, subject, params, margins, conditions)
    withheld = _withheld_reason(compiled, subject, surface, marketplace, on)
    return RuleExplanation(
        compiled.rule.id,
        compiled.rule.approval_reference,
        compiled.rule.level,
        _window_choice(compiled, subject, params),
        tuple(conditions),
        met,
        withheld,
        met and withheld is None,
    )


def explain_badges(
    rules: Sequence[CompiledRule],
    subject: Subject,
    params: SignalParams,
    *,
    marketplace: str,
    on: date,
    surface: str | None = None,
    held: Container[str] = frozenset(),
) -> list[RuleExplanation]:
    """Every rule, even disabled, unapproved or not yet effective ones, explained in order.

    With `surface` None, rules are not withheld for their surfaces. `held`: the ids of the
    rules the subject held before (see `explain_rule`).
    """
    return [
        explain_rule(
            c,
            subject,
            params,
            marketplace=marketplace,
            on=on,
            surface=surface,
            held_before=c.rule.id in held,
        )
        for c in rules
    ]
