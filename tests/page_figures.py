"""The counts a seller page's "What it takes" cell shows, read back from its text, and the
counts the coaching call's JSON says it should show; shared by the page's integration and
browser tests."""

from __future__ import annotations

import re
from typing import Any, Final

_AT_MOST: Final = re.compile(r"at most ([\d,]+) ")
_MORE: Final = re.compile(r"\b([\d,]+) more ")


def _whole(found: re.Match[str] | None) -> int | None:
    return None if found is None else int(found[1].replace(",", ""))


def shown_counts(text: str) -> tuple[int | None, int | None]:
    """(max_defects, more_good count) as a cell writes them ('at most 9 …', '1,234 more …')."""
    return _whole(_AT_MOST.search(text)), _whole(_MORE.search(text))


def coached_counts(criterion: dict[str, Any]) -> tuple[int | None, int | None]:
    """(max_defects, more_good count) of a criterion of the coaching call's JSON, as the page
    should show them: a met criterion needs no more good events."""
    more = criterion["more_good"]
    return (
        criterion["max_defects"],
        None if criterion["passes"] or more is None else more["count"],
    )
