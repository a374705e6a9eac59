"""What every backend checks of materialized signals: the version's form and the row kinds."""

from __future__ import annotations

import re
from typing import Final

from trust_signals.store.base import SIGNAL_KINDS

# A signals version is a 12-hex hash; it becomes part of file names and key names.
_VERSION: Final = re.compile(r"[0-9a-f]{12}")


def checked_version(version: str) -> str:
    """The version itself, if it is 12 lowercase hex digits (it names files and keys)."""
    if not _VERSION.fullmatch(version):
        raise ValueError(f"signals version {version!r}: must be 12 lowercase hex digits")
    return version


def checked_kind(kind: str) -> str:
    """The kind itself, if it is one of SIGNAL_KINDS."""
    if kind not in SIGNAL_KINDS:
        raise ValueError(f"signal row kind {kind!r}: must be one of {sorted(SIGNAL_KINDS)}")
    return kind
