"""Incentive programs as configured: the value object, its problems, its compiled form.

A program is written in the badge rule language, seller signals only, plus cohort-relative
signals (`CohortCondition`: the seller's percentile of its FQ or CSQ index in a cohort). It
is approved like a badge: approval reference, marketplaces, effective dates (from
inclusive, until exclusive), a kill switch. `streak` asks for its `when` to hold in each of
that many latest snapshots. Every condition has an id: it names the condition's column in
the export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from trust_signals.domain.badge_rules import (
    COHORT_SIGNALS,
    CohortCondition,
    Condition,
    Group,
    approval_problems,
    approval_withheld_reason,
    iter_conditions,
)
from trust_signals.domain.cohorts import BENCHMARK_WINDOW, canonical_dimensions
from trust_signals.domain.rule_problems import group_problems
from trust_signals.domain.signals import SignalFn, compile_signal, is_windowed
from trust_signals.domain.snapshots import WINDOWS

# (benchmark metric, cohort dimensions in canonical order): one percentile a program reads.
CohortNeed = tuple[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class IncentiveProgram:
    """One approved incentive program as configured."""

    id: str
    copy_key: str
    approval_reference: str
    marketplaces: frozenset[str]  # where legal approved it
    effective_from: date  # inclusive
    effective_until: date | None  # exclusive; None: open-ended
    enabled: bool  # the kill switch
    streak: int  # qualified in each of this many latest snapshots
    when: Group
    window: str | None = None  # the default window of windowed conditions


def program_problems(program: IncentiveProgram) -> list[tuple[str, str]]:
    """Every problem of a program as (path within it, message); empty when it is valid.

    The streak's upper bound, the snapshots the store retains, is the config's to check.
    """
    problems = approval_problems(program, program.effective_until)
    if program.streak < 1:
        problems.append(("streak", "must be at least 1"))
    if program.window is not None and program.window not in WINDOWS:
        problems.append(("window", f"must be one of {', '.join(WINDOWS)}"))
    has_window = program.window is not None
    problems += group_problems(program.when, "when", "seller", has_window, set(), cohorts=True)
    for path, condition in iter_conditions(program.when):
        if condition.id is None:
            problems.append((f"{path}.id", "required: it names the condition's export column"))
    return problems


@dataclass(frozen=True, slots=True)
class ProgramCondition:
    """A condition with its window resolved: a compiled signal, or the percentile it reads."""

    path: str
    condition: Condition
    window: str | None
    fn: SignalFn | None  # None for a cohort-relative condition
    need: CohortNeed | None  # the percentile of a cohort-relative condition


@dataclass(frozen=True, slots=True)
class ProgramGroup:
    """A group of compiled conditions, in configured order."""

    mode: str
    children: tuple[ProgramCondition | ProgramGroup, ...]


@dataclass(frozen=True, slots=True)
class CompiledProgram:
    """A program with its signals resolved, the percentiles it needs, its conditions in
    configured order (the export's columns)."""

    program: IncentiveProgram
    root: ProgramGroup
    conditions: tuple[ProgramCondition, ...]
    needs: tuple[CohortNeed, ...]
    metric_fns: Mapping[str, SignalFn]  # benchmark metric -> the seller's value of it

    @property
    def live_until(self) -> date:
        """`effective_until`, or date.max when open-ended (exclusive either way)."""
        return self.program.effective_until or date.max


def _compile(group: Group, window: str | None, path: str) -> ProgramGroup:
    children: list[ProgramCondition | ProgramGroup] = []
    for index, child in enumerate(group.children):
        child_path = f"{path}.{group.mode}[{index}]"
        if isinstance(child, Group):
            children.append(_compile(child, window, child_path))
        elif isinstance(child, CohortCondition):
            need = (COHORT_SIGNALS[child.signal], canonical_dimensions(child.cohort))
            children.append(ProgramCondition(child_path, child, None, None, need))
        else:
            own = child.window
            if own is None and is_windowed(child.signal):
                own = window
            fn = compile_signal(child.signal, own)
            children.append(ProgramCondition(child_path, child, own, fn, None))
    return ProgramGroup(group.mode, tuple(children))


def _leaves(group: ProgramGroup) -> list[ProgramCondition]:
    found: list[ProgramCondition] = []
    for child in group.children:
        found += _leaves(child) if isinstance(child, ProgramGroup) else [child]
    return found


def compile_program(program: IncentiveProgram) -> CompiledProgram:
    """The program with every signal resolved; ValueError listing every problem of it."""
    problems = program_problems(program)
    if problems:
        raise ValueError(
            f"incentive {program.id!r}: " + "; ".join(f"{p}: {m}" for p, m in problems)
        )
    root = _compile(program.when, program.window, "when")
    conditions = tuple(_leaves(root))
    needs = tuple(dict.fromkeys(c.need for c in conditions if c.need is not None))
    metric_fns = {
        metric: compile_signal(f"seller.{metric}", BENCHMARK_WINDOW) for metric, _ in needs
    }
    return CompiledProgram(program, root, conditions, needs, metric_fns)


def withheld_reason(program: CompiledProgram, marketplace: str, on: date) -> str | None:
    """Why the program qualifies nobody in `marketplace` on day `on`; None when it is live."""
    return approval_withheld_reason(program.program, program.live_until, marketplace, on)
