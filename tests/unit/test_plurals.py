"""Counts in messages agree with their number."""

from __future__ import annotations

import pytest

from trust_signals.errors import SnapshotRejected
from trust_signals.plurals import counted


@pytest.mark.parametrize(
    ("count", "phrase"),
    [(0, "0 problems"), (1, "1 problem"), (2, "2 problems"), (12_345, "12,345 problems")],
    ids=["none", "one", "two", "thousands"],
)
def test_a_count_and_its_noun_agree(count: int, phrase: str) -> None:
    assert counted(count, "problem") == phrase


def test_a_snapshot_refused_for_one_problem_says_one_problem() -> None:
    refused = SnapshotRejected(["sellers.jsonl:2: tenure_days: must be >= 0"])

    assert str(refused).splitlines()[0] == "snapshot refused (1 problem):"
