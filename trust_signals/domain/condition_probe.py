"""One condition of a compiled rule, judged by the engine on any subject.

Coaching asks the same condition again and again of changed sellers; the rule may choose
another window for each (by volume), so the condition is found at its path in the tree the
rule chooses for that subject, and judged as `explain_rule` judges it.
"""

from __future__ import annotations

from dataclasses import dataclass

from trust_signals.domain.badge_checks import CompiledRule, CompiledTree, Leaf, Node
from trust_signals.domain.badge_rules import COMPARATORS, Condition
from trust_signals.domain.rates import Measure
from trust_signals.domain.signals import SignalParams, Subject


def tree_leaves(node: Node) -> list[Leaf]:
    """Every condition of a compiled tree, in the rule's order."""
    found: list[Leaf] = []
    for child in node.children:
        found += tree_leaves(child) if isinstance(child, Node) else [child]
    return found


def verdict(condition: Condition, measure: Measure) -> tuple[bool, bool]:
    """(sample met, value passes) of a condition on its measure, as the engine judges it."""
    value = measure.bound(condition.bound)
    if value is None:
        return False, False
    passes = COMPARATORS[condition.comparator](value, condition.threshold)
    return measure.sample >= condition.min_sample, passes


@dataclass(frozen=True, slots=True)
class Probe:
    """One condition of one rule, at one path of its trees."""

    compiled: CompiledRule
    params: SignalParams
    leaves: tuple[tuple[CompiledTree, Leaf], ...]

    @classmethod
    def of(cls, compiled: CompiledRule, params: SignalParams, path: str) -> Probe:
        """The condition at `path` (e.g. 'when.all[1]') of a compiled rule."""
        trees = [tree for tree in (compiled.then, compiled.otherwise) if tree is not None]
        found = [(t, next(x for x in tree_leaves(t.root) if x.path == path)) for t in trees]
        return cls(compiled, params, tuple(found))

    @property
    def condition(self) -> Condition:
        """The condition as configured (the same in every tree but for its window)."""
        return self.leaves[0][1].condition

    def leaf(self, subject: Subject) -> Leaf:
        """The condition compiled for the window the rule chooses for `subject`."""
        tree = self.compiled.tree(subject, self.params)
        return next(leaf for candidate, leaf in self.leaves if candidate is tree)

    def judge(self, subject: Subject) -> tuple[Measure, bool, bool]:
        """The signal's measure on `subject`, whether its sample is met, whether its value
        passes."""
        leaf = self.leaf(subject)
        measure = leaf.fn(subject, self.params)
        return (measure, *verdict(leaf.condition, measure))

    def sampled(self, subject: Subject) -> bool:
        """Whether the measure has data and its minimum sample is met."""
        return self.judge(subject)[1]

    def passes(self, subject: Subject) -> bool:
        """Whether the condition passes for `subject`."""
        _, sampled, passes = self.judge(subject)
        return sampled and passes
