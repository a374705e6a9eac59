"""Badge rules as configured: the rule language's value objects.

A rule is a tree of `all`/`any` groups over conditions; a condition compares one bound of
one signal (over a window) with a threshold. `rule_problems` (in `rule_problems`) reports
every problem with its path within the rule.

Incentive programs extend the language with cohort-relative signals (`CohortCondition`):
the seller's percentile of its FQ or CSQ index within a cohort it shares with other
sellers. A badge cannot use them: they need the cohort benchmarks of the snapshot, which a
badge's precomputed signals do not read.

Effective dates: a rule is live on day `on` when `effective_from <= on` and, if set,
`on < effective_until` (from inclusive, until exclusive, so consecutive approvals chain
without overlap or gap).

Keep margins (hysteresis): a rule may give some of its conditions, by id, a margin in the
condition's own units. A subject that held the badge in the previous snapshot keeps it while
each such condition passes its threshold relaxed by the margin (`relaxed_rule`); anyone else
must clear the threshold itself, so a value hovering at the threshold does not flicker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from operator import ge, gt, le, lt
from typing import Final, NamedTuple, Protocol

from trust_signals.domain.signals import OFFER_RATES, SELLER_RATES, is_windowed

SURFACES: Final = ("search", "pdp", "spp")
BOUNDS: Final = ("point", "lower", "upper")
GROUP_MODES: Final = ("all", "any")
COMPARATORS: Final[Mapping[str, Callable[[float, float], bool]]] = {
    ">=": ge,
    "<=": le,
    ">": gt,
    "<": lt,
}
# Cohort-relative signals -> the cohort benchmark metric whose percentile they are.
COHORT_SIGNALS: Final[Mapping[str, str]] = {
    "seller.fq_percentile": "fq_index",
    "seller.csq_percentile": "csq_index",
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
class CohortCondition(Condition):
    """A cohort-relative condition: the seller's percentile (0-100, higher is better) of a
    benchmark metric among the sellers sharing its values on `cohort`'s dimensions (none:
    the whole marketplace). Only incentive programs may use one."""

    cohort: tuple[str, ...] = ()


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


class Approval(Protocol):
    """Where and when legal approved something: a badge rule or an incentive program."""

    @property
    def enabled(self) -> bool: ...  # the kill switch

    @property
    def marketplaces(self) -> frozenset[str]: ...

    @property
    def effective_from(self) -> date: ...  # inclusive


def approval_withheld_reason(
    approval: Approval, until: date | None, marketplace: str, on: date
) -> str | None:
    """Why `approval` does not hold in `marketplace` on day `on` (kill switch, marketplace,
    effective dates; `until` exclusive, None when open-ended); None when it holds."""
    if not approval.enabled:
        return "disabled (kill switch)"
    if marketplace not in approval.marketplaces:
        return f"not approved in {marketplace}"
    if on < approval.effective_from:
        return f"not effective before {approval.effective_from.isoformat()}"
    if until is not None and on >= until:
        return f"not effective from {until.isoformat()}"
    return None


def approval_problems(approval: Approval, until: date | None) -> list[tuple[str, str]]:
    """What makes an approval unusable, as (field, message): no marketplace, or an end
    (`until`, exclusive) not after its start."""
    problems = []
    if not approval.marketplaces:
        problems.append(("marketplaces", "must name at least one approved marketplace"))
    if until is not None and until <= approval.effective_from:
        problems.append(("effective_until", "must be after effective_from"))
    return problems


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
    """'rate', 'rating', 'index', 'percentile', 'count' or 'attribute' for a valid signal
    reference."""
    if reference in COHORT_SIGNALS:
        return "percentile"
    level, _, name = reference.partition(".")
    if not is_windowed(reference):
        return "attribute"
    if name in (SELLER_RATES if level == "seller" else OFFER_RATES):
        return "rate"
    if name == "average_rating":
        return "rating"
    return "index" if name.endswith("_index") else "count"


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
