"""Seller profile page stats and the legal display rules for their numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from trust_signals.domain.rates import Measure
from trust_signals.domain.signals import SignalFn, SignalParams, Subject


@dataclass(frozen=True, slots=True)
class StatDefinition:
    """One configured stat: the signal, the windows tried in order, the minimum sample.

    `windows` lists the preferred window first and longer fallbacks after it: a stat shows
    the first window whose sample meets `min_sample` (e.g. 12 months, else lifetime-like 365d).
    `higher_is_better` picks the rounding direction so the shown number is never flattering.
    """

    id: str
    signal: str
    windows: tuple[str, ...]
    min_sample: int
    format: str  # 'percent' | 'count' | 'rating'
    higher_is_better: bool
    compiled: tuple[SignalFn, ...]  # one per window, from compile_signal


class ProfileStat(NamedTuple):
    """A stat as the page shows it: value, display string, sample and window.

    A NamedTuple: one is built per stat per seller page, and a tuple costs a third of a
    frozen dataclass.
    """

    id: str
    value: float | None
    display: str | None
    sample_size: int
    window: str | None
    withheld_reason: str | None


def display_percent(measure: Measure, higher_is_better: bool) -> str:
    """Whole percent, rounded against the seller: a good rate floors, a defect rate ceils.

    Worked in integers on the counts, so 100 % (or 0 % for a defect rate) shows only when
    there was no defect at all, at any sample: 999 of 1,000 on time shows 99 %, and so does
    2**60 - 1 of 2**60.
    """
    assert measure.numerator is not None  # the config allows percent for rates only
    scaled = 100 * measure.numerator
    shown = scaled // measure.sample if higher_is_better else -(-scaled // measure.sample)
    return f"{shown} %"


def display_value(measure: Measure, definition: StatDefinition) -> str:
    """The display string of a stat under its format."""
    assert measure.value is not None
    if definition.format == "percent":
        return display_percent(measure, definition.higher_is_better)
    if definition.format == "rating":
        # One decimal, floored in integers: 4.86 stars shows 4.8, never 4.9.
        assert measure.numerator is not None  # the config allows rating for ratings only
        tenths = 10 * measure.numerator // measure.sample
        return f"{tenths // 10}.{tenths % 10}"
    return f"{int(measure.value):,}"


def profile_stat(definition: StatDefinition, subject: Subject, params: SignalParams) -> ProfileStat:
    """The stat for one seller: the first window meeting the minimum sample, else withheld."""
    sample = 0
    for window, compute in zip(definition.windows, definition.compiled, strict=True):
        measure = compute(subject, params)
        sample = measure.sample
        if measure.value is not None and measure.sample >= definition.min_sample:
            return ProfileStat(
                definition.id,
                measure.value,
                display_value(measure, definition),
                measure.sample,
                window,
                None,
            )
    return ProfileStat(
        definition.id,
        None,
        None,
        sample,
        definition.windows[-1],
        f"sample {sample} below minimum {definition.min_sample}",
    )


def profile_stats(
    definitions: Sequence[StatDefinition], subject: Subject, params: SignalParams
) -> list[ProfileStat]:
    """Every configured stat, in configured order."""
    return [profile_stat(d, subject, params) for d in definitions]
