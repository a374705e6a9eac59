"""Seller coaching: what each live seller badge the seller misses takes, condition by
condition, in the seller's own counts.

Nothing here is a formula of its own. Each figure is the engine's verdict (the rule's compiled
tree, the condition's signal function, its bound, comparator and minimum sample) on the
seller as it would be after a change of counts (`count_changes`):

- `more_good`: the fewest more good events, with no new defect, that make the condition pass
  (one fewer does not). They happen now, so they add to every window; a window chosen by
  volume may switch as they do, so each side of the switch is searched on its own.
- `max_defects`: for a rate or a count of defects at today's volume, the most defects under
  which the condition still passes (one more does not).

Offers and resources are in `coaching_offers`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from trust_signals.domain.badge_checks import CompiledRule, Leaf, Node
from trust_signals.domain.badge_rules import signal_kind
from trust_signals.domain.badges import is_live
from trust_signals.domain.change_search import (
    fewest_passing,
    first_holding,
    last_holding,
    regimes,
)
from trust_signals.domain.condition_probe import Probe, tree_leaves
from trust_signals.domain.count_changes import (
    COUNT_UNITS,
    FIVE_STAR_RATINGS,
    OPPORTUNITY_OF,
    RATE_CHANGES,
    add_good,
    with_count,
    with_rate_defects,
)
from trust_signals.domain.signals import GOOD_RATES, SELLER_RATES, SignalParams, Subject
from trust_signals.domain.snapshots import SellerCounts

MAX_CHANGE: Final = 10**9  # the most good events a search tries
MAX_DAYS: Final = 36_600  # a century: the longest wait an attribute's search tries
_CAPS: Final = frozenset({"<", "<="})


@dataclass(frozen=True, slots=True)
class Change:
    """`count` more of a good unit (`count_changes.GOOD_UNITS`), in every window."""

    count: int
    unit: str


@dataclass(frozen=True, slots=True)
class CriterionCoaching:
    """One condition of a missed badge: where the seller stands and what it takes.

    `value` is the bound compared, `sample` its sample, both over `window` as the engine
    chose it today. `reason` says why `more_good` or `max_defects` is missing where one
    would be expected, or, for an attribute, how long time alone takes.
    """

    path: str
    signal: str
    window: str | None
    bound: str
    comparator: str
    threshold: float
    min_sample: int
    sample: int
    value: float | None
    passes: bool
    more_good: Change | None
    max_defects: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class GroupCoaching:
    """A group of the rule: `all` needs every child (`must_pass` of them), `any` one."""

    path: str
    mode: str
    passes: bool
    must_pass: int
    failing: tuple[str, ...]  # paths of the children that fail


@dataclass(frozen=True, slots=True)
class BadgeCoaching:
    """A live seller badge the seller does not hold, every condition coached."""

    badge_id: str
    copy_key: str
    groups: tuple[GroupCoaching, ...]  # the rule's root first, then nested groups in order
    criteria: tuple[CriterionCoaching, ...]  # in the rule's order

    @property
    def mode(self) -> str:
        """The rule's top group: 'all' or 'any'."""
        return self.groups[0].mode


def coach_seller(
    rules: Sequence[CompiledRule],
    subject: Subject,
    params: SignalParams,
    *,
    marketplace: str,
    on: date,
    cap: int = MAX_CHANGE,
) -> tuple[BadgeCoaching, ...]:
    """Every seller rule live in `marketplace` on `on` whose conditions the seller (a subject
    without offer) does not meet, coached; in the rules' display order."""
    return tuple(
        coach_rule(compiled, subject, params, cap)
        for compiled in rules
        if compiled.rule.level == "seller"
        and is_live(compiled, False, marketplace, on)
        and not compiled.earned(subject, params)
    )


def coach_rule(
    compiled: CompiledRule, subject: Subject, params: SignalParams, cap: int = MAX_CHANGE
) -> BadgeCoaching:
    """One rule, condition by condition, for the seller as it stands."""
    tree = compiled.tree(subject, params)
    criteria = tuple(
        _criterion(Probe.of(compiled, params, leaf.path), leaf, subject, cap)
        for leaf in tree_leaves(tree.root)
    )
    groups: list[GroupCoaching] = []
    _group(tree.root, "when", {c.path: c.passes for c in criteria}, groups)
    return BadgeCoaching(compiled.rule.id, compiled.rule.copy_key, tuple(groups), criteria)


def _criterion(probe: Probe, leaf: Leaf, subject: Subject, cap: int) -> CriterionCoaching:
    condition = leaf.condition
    measure, sampled, passes = probe.judge(subject)
    more, more_reason = _more_good(probe, subject, cap)
    most, most_reason = _max_defects(probe, subject)
    reasons = [r for r in (more_reason, most_reason) if r is not None]
    return CriterionCoaching(
        leaf.path,
        condition.signal,
        leaf.window,
        condition.bound,
        condition.comparator,
        condition.threshold,
        condition.min_sample,
        measure.sample,
        measure.bound(condition.bound),
        sampled and passes,
        more,
        most,
        "; ".join(reasons) or None,
    )


def _unit(signal: str) -> str | None:
    """The good unit that moves a windowed seller signal; None for a count of defects."""
    kind, name = signal_kind(signal), signal.partition(".")[2]
    if kind == "rate":
        return RATE_CHANGES[name][0]
    if kind == "count":
        return COUNT_UNITS.get(name)
    return "orders" if kind == "index" else FIVE_STAR_RATINGS


def _more_good(probe: Probe, subject: Subject, cap: int) -> tuple[Change | None, str | None]:
    signal = probe.condition.signal
    if signal_kind(signal) == "attribute":
        return None, _waiting(probe, subject)
    unit = _unit(signal)
    if unit is None:
        if probe.passes(subject):
            return None, None
        return None, f"more good events do not change {signal}, a count of defects"

    def variant(n: int) -> Subject:
        return dataclasses.replace(subject, seller=add_good(subject.seller, unit, n))

    met = probe.compiled.volume_met
    side = None if met is None else (lambda n: met(variant(n), probe.params))
    for low, high in regimes(side, 0, cap):
        found = fewest_passing(
            lambda n: probe.sampled(variant(n)), lambda n: probe.passes(variant(n)), low, high
        )
        if found is not None:
            return Change(found, unit), None
    if signal_kind(signal) == "count" and probe.condition.comparator in _CAPS:
        return None, f"more {unit} only raise {signal}"
    return None, f"no number of additional {unit} up to {cap:,} makes it pass"


# Attributes that time alone moves: how the seller stands `days` later.
_AGING: Final[dict[str, Callable[[Subject, int], Subject]]] = {
    "tenure_days": lambda s, days: dataclasses.replace(
        s, seller=dataclasses.replace(s.seller, tenure_days=s.seller.tenure_days + days)
    ),
    "days_since_first_sale": lambda s, days: dataclasses.replace(
        s, as_of=s.as_of + timedelta(days=days)
    ),
}


def _waiting(probe: Probe, subject: Subject) -> str | None:
    """Why no change of counts meets an attribute, and how long time alone takes."""
    if probe.passes(subject):
        return None
    signal = probe.condition.signal
    aging = _AGING.get(signal.partition(".")[2])
    if aging is None:
        return f"{signal} is a fact about the account: no change in counts meets it"
    if probe.judge(subject)[0].value is None:
        return f"{signal} is not a count, and it starts with the first sale"
    days = first_holding(lambda d: probe.passes(aging(subject, d)), 0, MAX_DAYS)
    if days is None:
        return f"{signal} is not a count, and time alone does not meet it"
    return f"{signal} is not a count: it is met in {days} days"


def _max_defects(probe: Probe, subject: Subject) -> tuple[int | None, str | None]:
    condition = probe.condition
    kind, name = signal_kind(condition.signal), condition.signal.partition(".")[2]
    window = probe.leaf(subject).window
    if window is None or not _against_defects(kind, name, condition.comparator):
        return None, None
    counts = subject.seller.windows[window]
    if kind == "rate":
        limit = SELLER_RATES[name][1](counts)

        def setting(d: int) -> SellerCounts:
            return with_rate_defects(counts, name, d)
    else:
        limit = getattr(counts, OPPORTUNITY_OF[name])

        def setting(d: int) -> SellerCounts:
            return with_count(counts, name, d)

    def variant(d: int) -> Subject:
        seller = subject.seller
        windows = {**seller.windows, window: setting(d)}
        return dataclasses.replace(subject, seller=dataclasses.replace(seller, windows=windows))

    found = last_holding(lambda d: probe.passes(variant(d)), 0, limit)
    if found is not None:
        return found, None
    measure = probe.judge(variant(0))[0]
    if measure.value is None:
        return None, "no data in its window: no number of defects passes at today's volume"
    if measure.sample < condition.min_sample:
        return None, (
            f"sample {measure.sample} below the minimum {condition.min_sample}: "
            "no number of defects passes at today's volume"
        )
    return None, "fails even with no defects at today's volume"


def _against_defects(kind: str, name: str, comparator: str) -> bool:
    """Whether defects work against the condition: an upper bound on a rate or count of
    defects, a lower bound on a good rate. Only then is there a most it allows."""
    if kind == "rate":
        return (comparator in _CAPS) is (name not in GOOD_RATES)
    return kind == "count" and name not in COUNT_UNITS and comparator in _CAPS


def _group(node: Node, path: str, verdicts: dict[str, bool], out: list[GroupCoaching]) -> bool:
    """Appends the group at `path` and its nested groups (pre-order); whether it passes."""
    slot = len(out)
    results: list[tuple[str, bool]] = []
    for index, child in enumerate(node.children):
        child_path = f"{path}.{node.mode}[{index}]"
        held = _group(child, child_path, verdicts, out) if isinstance(child, Node) else None
        results.append((child_path, verdicts[child_path] if held is None else held))
    passed = [held for _, held in results]
    passes = all(passed) if node.mode == "all" else any(passed)
    must = len(results) if node.mode == "all" else 1
    failing = tuple(p for p, held in results if not held)
    out.insert(slot, GroupCoaching(path, node.mode, passes, must, failing))
    return passes
