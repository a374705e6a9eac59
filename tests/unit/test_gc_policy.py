"""The serving workers' garbage-collector policy."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from trust_signals.bootstrap import SERVING_GC_THRESHOLDS, settle_garbage_collector


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_settling_freezes_what_exists_and_raises_the_thresholds() -> None:
    built_at_start = [{"a": 1}]

    settle_garbage_collector()

    assert gc.get_threshold() == SERVING_GC_THRESHOLDS
    assert gc.get_freeze_count() > 0
    # Frozen objects are out of every collection, so the GC no longer lists them.
    assert not any(o is built_at_start for o in gc.get_objects())


@pytest.mark.usefixtures("restored_gc")
def test_cycles_made_after_settling_are_still_collected() -> None:
    settle_garbage_collector()

    class Node:
        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    del first, second

    assert gc.collect() >= 2
