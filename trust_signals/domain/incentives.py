"""Incentive programs: which sellers qualify, and on what values, over a streak of snapshots.

A program is written in the badge rule language (seller signals only) plus cohort-relative
signals: the seller's percentile of its FQ or CSQ index among the sellers of a cohort
(`CohortCondition`), read off the cohort benchmarks of the snapshot evaluated. A cohort
below the minimum size has no benchmark (it is never computed, so it cannot leak), and a
condition on it fails saying so.

A seller qualifies when the program is live (enabled, approved in the marketplace,
effective on the day) and its `when` holds in each of the last `streak` snapshots of the
marketplace: the active one and the ones retained before it, each with its own records
and its own cohort benchmarks. Evaluation is not short-circuited: an audit, and the
teams that pay the incentives, want every condition's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from trust_signals.domain.badge_rules import COMPARATORS, Condition
from trust_signals.domain.cohorts import (
    BENCHMARK_METRICS,
    BENCHMARK_WINDOW,
    CohortBenchmark,
    CohortSpec,
    cohort_key,
    percentile_rank,
    seller_dimensions,
)
from trust_signals.domain.incentive_programs import (
    CohortNeed,
    CompiledProgram,
    ProgramCondition,
    ProgramGroup,
    withheld_reason,
)
from trust_signals.domain.signals import SignalParams, Subject


@dataclass(frozen=True, slots=True)
class CohortStanding:
    """A seller's percentile (0-100) in one cohort of one snapshot, or why it has none."""

    cohort_key: str
    percentile: float | None
    reason: str | None = None


def cohort_standing(
    key: str, cohort: CohortBenchmark | None, metric: str, value: float | None
) -> CohortStanding:
    """Where `value` of `metric` ranks in the cohort `key`; `cohort` None: below the minimum
    size, so never computed (its size is not told either)."""
    if cohort is None:
        return CohortStanding(key, None, f"cohort {key} is below the minimum size: no percentile")
    if value is None:
        return CohortStanding(key, None, f"no {metric} over {BENCHMARK_WINDOW}: no orders")
    bench = cohort.metrics.get(metric)
    if bench is None:
        return CohortStanding(key, None, f"no seller of cohort {key} has a {metric}")
    return CohortStanding(key, percentile_rank(bench.sketch, value, BENCHMARK_METRICS[metric]))


def standings(
    program: CompiledProgram,
    subject: Subject,
    spec: CohortSpec,
    params: SignalParams,
    cohorts: Callable[[str], CohortBenchmark | None],
) -> dict[CohortNeed, CohortStanding]:
    """The seller's standing for every percentile the program reads; `cohorts` gives a
    cohort's benchmark by key in the subject's snapshot (None below the minimum size).

    `subject` carries the snapshot's own shrinkage priors, as the benchmarks were built.
    """
    values = seller_dimensions(subject.seller, spec)
    found = {}
    for metric, dimensions in program.needs:
        key = cohort_key(values, dimensions)
        own = program.metric_fns[metric](subject, params).value
        found[(metric, dimensions)] = cohort_standing(key, cohorts(key), metric, own)
    return found


@dataclass(frozen=True, slots=True)
class ConditionResult:
    """One condition as evaluated in one snapshot: its value against its threshold."""

    path: str
    condition_id: str | None
    signal: str
    window: str | None
    cohort: str | None  # the cohort key a percentile was ranked in
    bound: str
    comparator: str
    threshold: float
    value: float | None
    sample: int | None  # None for a percentile: its cohort has at least the minimum size
    passed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class SnapshotSeller:
    """A seller as one snapshot has it (`subject` None: not in it) and its percentiles."""

    snapshot_id: str
    as_of: date
    subject: Subject | None
    percentiles: Mapping[CohortNeed, CohortStanding]


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    """The program's `when` in one snapshot: every condition, and whether it held."""

    snapshot_id: str
    as_of: date
    found: bool  # the seller is in the snapshot
    conditions: tuple[ConditionResult, ...]
    met: bool


def _verdict(condition: Condition, value: float) -> tuple[bool, str]:
    passed = COMPARATORS[condition.comparator](value, condition.threshold)
    return passed, f"{value} {'' if passed else 'not '}{condition.comparator} {condition.threshold}"


def _result(
    leaf: ProgramCondition, seller: SnapshotSeller, params: SignalParams
) -> ConditionResult:
    condition, cohort = leaf.condition, None
    value: float | None
    sample: int | None
    if seller.subject is None:
        value, sample, passed, reason = None, None, False, "not in the snapshot"
    elif leaf.need is not None:
        standing = seller.percentiles[leaf.need]
        cohort, value, sample = standing.cohort_key, standing.percentile, None
        passed, reason = (
            (False, standing.reason or "") if value is None else _verdict(condition, value)
        )
    else:
        assert leaf.fn is not None  # compiled for every condition without a need
        measure = leaf.fn(seller.subject, params)
        value, sample = measure.bound(condition.bound), measure.sample
        if value is None:
            passed, reason = False, "no data"
        elif measure.sample < condition.min_sample:
            passed, reason = False, f"sample {measure.sample} below minimum {condition.min_sample}"
        else:
            passed, reason = _verdict(condition, value)
    return ConditionResult(
        leaf.path,
        condition.id,
        condition.signal,
        leaf.window,
        cohort,
        condition.bound,
        condition.comparator,
        condition.threshold,
        value,
        sample,
        passed,
        reason,
    )


def _holds(group: ProgramGroup, passed: Mapping[str, bool]) -> bool:
    results = [
        _holds(child, passed) if isinstance(child, ProgramGroup) else passed[child.path]
        for child in group.children
    ]
    return all(results) if group.mode == "all" else any(results)


def evaluate_snapshot(
    program: CompiledProgram, seller: SnapshotSeller, params: SignalParams
) -> SnapshotResult:
    """The program's conditions in one snapshot, each with its value, and whether they hold."""
    results = tuple(_result(leaf, seller, params) for leaf in program.conditions)
    met = seller.subject is not None and _holds(program.root, {r.path: r.passed for r in results})
    found = seller.subject is not None
    return SnapshotResult(seller.snapshot_id, seller.as_of, found, results, met)


@dataclass(frozen=True, slots=True)
class Qualification:
    """Whether a seller qualifies for a program, and on what: the streak's snapshots, newest
    (the active one) first, each with every condition's value."""

    program_id: str
    approval_reference: str
    seller_id: str
    streak: int
    snapshots: tuple[SnapshotResult, ...]
    withheld_reason: str | None  # the program is not live: disabled, unapproved, not effective
    qualified: bool

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the seller does not qualify; empty when it does."""
        if self.qualified:
            return ()
        found = [] if self.withheld_reason is None else [self.withheld_reason]
        if len(self.snapshots) < self.streak:
            found.append(
                f"a streak of {self.streak} needs {self.streak} snapshots; "
                f"{len(self.snapshots)} retained"
            )
        for snapshot in self.snapshots:
            if not snapshot.found:
                found.append(f"{snapshot.snapshot_id}: not in the snapshot")
                continue
            found += [
                f"{snapshot.snapshot_id}: {c.path} {c.signal}: {c.reason}"
                for c in snapshot.conditions
                if not c.passed
            ]
        return tuple(found)


def qualify(
    program: CompiledProgram,
    seller_id: str,
    current: SnapshotSeller,
    history: Sequence[SnapshotResult],
    *,
    params: SignalParams,
    marketplace: str,
    on: date,
) -> Qualification:
    """Whether the seller qualifies on day `on`: the program live, and its `when` held in
    the `current` (active) snapshot and in each earlier one of the streak.

    `history`: the program evaluated (`evaluate_snapshot`) on the snapshots before the
    current one, newest first; only the first `streak - 1` count. Fewer than that: the
    streak cannot be told, and the seller does not qualify.
    """
    streak = program.program.streak
    snapshots = (evaluate_snapshot(program, current, params), *history[: streak - 1])
    withheld = withheld_reason(program, marketplace, on)
    qualified = withheld is None and len(snapshots) == streak and all(s.met for s in snapshots)
    return Qualification(
        program.program.id,
        program.program.approval_reference,
        seller_id,
        streak,
        snapshots,
        withheld,
        qualified,
    )
