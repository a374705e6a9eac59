"""Counts in messages: '1 problem', '2 problems', '1,000 offers'."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """The count, thousands separated, and its noun in agreement (regular plurals only)."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"
