"""What-if: a seller's FQ/CSQ indices, its percentiles in a cohort and its seller badges,
projected from target counts of its defects by the same engine that serves them.

A target sets one defect type's count in one window (`count`, or `rate`: defects per
opportunity, e.g. late shipments per shipment, turned into the most whole defects within
it); every other count stays as it is. The projection evaluates the changed seller exactly
as a snapshot holding it would be evaluated: the index signals on the seller's cohort prior,
the configured rules with their windows by volume.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Final

from trust_signals.domain.badge_checks import CompiledRule
from trust_signals.domain.badge_rules import Badge
from trust_signals.domain.badges import is_live
from trust_signals.domain.cohorts import BENCHMARK_METRICS, percentile_rank
from trust_signals.domain.count_changes import (
    DEFECT_FIELDS,
    defect_count,
    defect_opportunities,
    with_defect_count,
)
from trust_signals.domain.indices import FAMILIES
from trust_signals.domain.signals import SignalParams, Subject, compile_signal
from trust_signals.domain.snapshots import WINDOWS, SellerSnapshot

_INDEX_FNS: Final = {
    (family, window): compile_signal(f"seller.{family}_index", window)
    for family in FAMILIES
    for window in WINDOWS
}
# Whole targets per call: each defect type in each window once.
MAX_TARGETS: Final = len(DEFECT_FIELDS) * len(WINDOWS)


@dataclass(frozen=True, slots=True)
class Target:
    """One defect type's count, or rate per opportunity, to try in one window."""

    defect: str
    window: str
    count: int | None = None
    rate: float | None = None

    def __post_init__(self) -> None:
        if self.defect not in DEFECT_FIELDS:
            raise ValueError(f"defect: unknown defect type {self.defect!r}")
        if self.window not in WINDOWS:
            raise ValueError(f"window: must be one of {', '.join(WINDOWS)}")
        if (self.count is None) == (self.rate is None):
            raise ValueError("give exactly one of count, rate")
        if self.count is not None and self.count < 0:
            raise ValueError("count: must be at least 0")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate: must be between 0 and 1")

    def count_of(self, opportunities: int) -> int:
        """The count tried: `count`, or the most whole defects within `rate` (0.01 of 250
        shipments is 2), read from the rate's shortest decimal so 0.29 of 100 is 29."""
        if self.count is not None:
            return self.count
        return int(Fraction(repr(self.rate)) * opportunities)


@dataclass(frozen=True, slots=True)
class AppliedTarget:
    """A target as tried: the count it sets, the seller's count now, and the most there
    could be (its opportunities: shipments for late shipments, contacts for unanswered ones)."""

    defect: str
    window: str
    count: int
    current_count: int
    opportunities: int


@dataclass(frozen=True, slots=True)
class IndexProjection:
    """An index (0-100) in one window, now and with the targets; None without orders."""

    family: str
    window: str
    current: float | None
    projected: float | None


@dataclass(frozen=True, slots=True)
class PercentileProjection:
    """A cohort percentile (0-100, higher is better) now and with the targets."""

    metric: str
    window: str
    current: float | None
    projected: float | None


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The projection: targets as tried, indices, percentiles and the live seller badges."""

    targets: tuple[AppliedTarget, ...]
    indices: tuple[IndexProjection, ...]
    percentiles: tuple[PercentileProjection, ...]
    earned: tuple[Badge, ...]  # would be earned, not held now
    lost: tuple[Badge, ...]  # held now, would be lost
    kept: tuple[Badge, ...]  # held now and with the targets


def target_problems(seller: SellerSnapshot, targets: Sequence[Target]) -> list[tuple[str, str]]:
    """Why targets cannot be tried on this seller, as (path, message); empty when they can."""
    problems = []
    seen: set[tuple[str, str]] = set()
    for index, target in enumerate(targets):
        path = f"targets[{index}]"
        if (target.defect, target.window) in seen:
            problems.append((path, f"repeats {target.defect} over {target.window}"))
        seen.add((target.defect, target.window))
        opportunities = defect_opportunities(seller.windows[target.window], target.defect)
        if target.count is not None and target.count > opportunities:
            field = DEFECT_FIELDS[target.defect][1]
            problems.append(
                (
                    f"{path}.count",
                    f"{target.count} exceeds the seller's {opportunities} {field} "
                    f"over {target.window}",
                )
            )
    return problems


def apply_targets(
    seller: SellerSnapshot, targets: Sequence[Target]
) -> tuple[SellerSnapshot, tuple[AppliedTarget, ...]]:
    """The seller with the targets' counts; ValueError listing the `target_problems`."""
    problems = target_problems(seller, targets)
    if problems:
        raise ValueError("; ".join(f"{path}: {message}" for path, message in problems))
    windows = dict(seller.windows)
    applied = []
    for target in targets:
        counts = windows[target.window]
        opportunities = defect_opportunities(counts, target.defect)
        count = target.count_of(opportunities)
        current = defect_count(seller.windows[target.window], target.defect)
        applied.append(AppliedTarget(target.defect, target.window, count, current, opportunities))
        windows[target.window] = with_defect_count(counts, target.defect, count)
    return dataclasses.replace(seller, windows=windows), tuple(applied)


def project(
    subject: Subject,
    targets: Sequence[Target],
    rules: Sequence[CompiledRule],
    params: SignalParams,
    *,
    marketplace: str,
    on: date,
    sketches: Mapping[str, Sequence[float]],
    sketch_window: str,
) -> WhatIf:
    """The seller (a subject without offer) now and with `targets`.

    `sketches` holds the cohort's quantile sketch per benchmark metric (empty when the cohort
    is withheld), of the metric over `sketch_window`; ValueError as from `apply_targets`.
    """
    seller, applied = apply_targets(subject.seller, targets)
    changed = dataclasses.replace(subject, seller=seller)
    indices = tuple(
        IndexProjection(family, window, fn(subject, params).value, fn(changed, params).value)
        for (family, window), fn in _INDEX_FNS.items()
    )
    percentiles = []
    for metric, sketch in sketches.items():
        fn = compile_signal(f"seller.{metric}", sketch_window)
        ranks = [
            None if value is None else percentile_rank(sketch, value, BENCHMARK_METRICS[metric])
            for value in (fn(subject, params).value, fn(changed, params).value)
        ]
        percentiles.append(PercentileProjection(metric, sketch_window, *ranks))
    live = [c for c in rules if c.rule.level == "seller" and is_live(c, False, marketplace, on)]
    now = [c.badge for c in live if c.earned(subject, params)]
    then = [c.badge for c in live if c.earned(changed, params)]
    return WhatIf(
        applied,
        indices,
        tuple(percentiles),
        earned=tuple(b for b in then if b not in now),
        lost=tuple(b for b in now if b not in then),
        kept=tuple(b for b in now if b in then),
    )
