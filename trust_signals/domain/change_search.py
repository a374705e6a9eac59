"""The least or most change of counts under which a condition holds: exponential steps from
the start, then bisection.

A condition's outcome is rarely monotone over the whole range of a change: a minimum sample
is met as the volume grows while a cap is passed by it, and a window chosen by volume can
switch part-way to a window where the same change counts for less. Each search states what
it assumes of its range; the callers split a range (`regimes`) until that holds.
"""

from __future__ import annotations

from collections.abc import Callable

Holds = Callable[[int], bool]


def first_holding(holds: Holds, low: int, high: int) -> int | None:
    """The least n in [low, high] where `holds`, for `holds` false, then true, over the range.

    Probes low, low + 1, low + 3, low + 7, ... (each step twice the last), then bisects
    between the last false probe and the first true one: ~2·log2(n - low) calls. None when
    it is false at `high` (or the range is empty).
    """
    if low > high:
        return None
    if holds(low):
        return low
    failed, step = low, 1
    while failed < high:
        probe = min(failed + step, high)
        if holds(probe):
            return _bisect(holds, failed, probe)
        failed, step = probe, step * 2
    return None


def _bisect(holds: Holds, failed: int, held: int) -> int:
    """The least n in (failed, held] where `holds`, given it fails at `failed`, holds at `held`."""
    while held - failed > 1:
        middle = (failed + held) // 2
        if holds(middle):
            held = middle
        else:
            failed = middle
    return held


def last_holding(holds: Holds, low: int, high: int) -> int | None:
    """The greatest n in [low, high] where `holds`, for `holds` true, then false, over the
    range; None when it is false at `low`."""
    if not holds(low):
        return None
    broken = first_holding(lambda n: not holds(n), low + 1, high)
    return high if broken is None else broken - 1


def regimes(side: Holds | None, low: int, high: int) -> list[tuple[int, int]]:
    """[low, high] split where `side` changes value, for a `side` that changes at most once
    over the range (a volume that grows with the change crosses its bar once); the whole
    range when `side` is None."""
    if side is None:
        return [(low, high)]
    start = side(low)
    switch = first_holding(lambda n: side(n) is not start, low + 1, high)
    return [(low, high)] if switch is None else [(low, switch - 1), (switch, high)]


def fewest_passing(sampled: Holds, passes: Holds, low: int, high: int) -> int | None:
    """The least n in [low, high] where `passes` (= `sampled` and a test of the value).

    Assumes `sampled` false, then true (the sample grows with the change), and that the
    value's failures from the first sampled n on form one run: true of a value that moves one
    way with the change, and of one that dips then rises (an average of ratings, whose
    interval first widens). So the sample's threshold is found first, and the value's from
    there: searching `passes` alone would be fooled by a value that passes below the minimum
    sample, fails once it is met, and passes again later.
    """
    start = first_holding(sampled, low, high)
    return None if start is None else first_holding(passes, start, high)
