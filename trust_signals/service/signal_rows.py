"""Precomputed signals as stored rows: what the materializer writes and the read path reads.

An offer row starts with a fixed-size part, so a batch of them decodes in one numpy call: the
rules its conditions meet (a 64-bit mask over the layout's rule ids), its ranking vector
(float32, in schema order) and its missing mask; its seller's id follows (for the PDP). A
seller row is the seller's met mask and its profile
stats (positional JSON). What the live config decides (kill switch, approvals, dates,
surfaces, priorities, caps, copy) is not in a row: the read path applies it.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import orjson

from trust_signals.config.legal import MarketplaceConfig
from trust_signals.domain.profile_stats import ProfileStat

OFFERS: Final = "o"
SELLERS: Final = "s"
META: Final = "m"
LAYOUT_ID: Final = "layout"
MAX_RULES: Final = 64  # one bit per rule in a 64-bit mask
_SELLER_HEAD: Final = struct.Struct("<Q")


@functools.cache
def _offer_dtype(width: int) -> np.dtype:
    """Built once per width: the read path asks for it on every request."""
    return np.dtype([("met", "<u8"), ("values", "<f4", (width,)), ("missing", "?", (width,))])


@functools.cache
def _offer_struct(width: int) -> struct.Struct:
    """An offer row's fixed part as struct packs it: the same bytes as `offer_dtype` (packed,
    little-endian), several times faster than filling a numpy record per row."""
    return struct.Struct(f"<Q{width}f{width}?")


@dataclass(frozen=True, slots=True)
class RowLayout:
    """How one signals version lays out its rows: which bit is which rule, how wide a vector."""

    rule_ids: tuple[str, ...]  # bit i of a `met` mask is rule_ids[i]
    feature_count: int

    @classmethod
    def of(cls, config: MarketplaceConfig) -> RowLayout:
        """The layout of a marketplace's signals: its rules by id, its schema's width."""
        ids = tuple(sorted(c.rule.id for c in config.rules))
        if len(ids) > MAX_RULES:
            raise ValueError(f"{len(ids)} badge rules: precomputed signals hold at most 64")
        return cls(ids, len(config.feature_schema.names))

    @property
    def offer_dtype(self) -> np.dtype:
        """One offer row's fixed part: met mask, vector, missing mask (packed, little-endian)."""
        return _offer_dtype(self.feature_count)

    def bits(self, met: Collection[str]) -> int:
        """The mask of the rule ids in `met`."""
        return sum(1 << i for i, rule_id in enumerate(self.rule_ids) if rule_id in met)

    def met(self, bits: int) -> frozenset[str]:
        """The rule ids of a mask."""
        return frozenset(rule_id for i, rule_id in enumerate(self.rule_ids) if bits >> i & 1)

    def offer_row(
        self,
        met: Collection[str],
        values: Sequence[float],
        missing: Sequence[bool],
        seller_id: str = "",
    ) -> bytes:
        """An offer's row: the fixed part (values stored as float32), then its seller's id."""
        fixed = _offer_struct(self.feature_count).pack(self.bits(met), *values, *missing)
        return fixed + seller_id.encode()

    def offer_rows(self, fixed_parts: Sequence[bytes]) -> np.ndarray:
        """The fixed parts of offer rows (`row[:offer_dtype.itemsize]`) decoded at once: a
        structured array with `met`, `values` and `missing`."""
        return np.frombuffer(b"".join(fixed_parts), dtype=self.offer_dtype)

    def to_bytes(self) -> bytes:
        """The layout as stored with its rows (the META row LAYOUT_ID)."""
        return orjson.dumps({"rule_ids": self.rule_ids, "feature_count": self.feature_count})

    @classmethod
    def from_bytes(cls, blob: bytes) -> RowLayout:
        """A stored layout."""
        data = orjson.loads(blob)
        return cls(tuple(data["rule_ids"]), int(data["feature_count"]))


def seller_row(met_bits: int, stats: Sequence[ProfileStat]) -> bytes:
    """A seller's row: its met mask and every profile stat, positional."""
    return _SELLER_HEAD.pack(met_bits) + orjson.dumps([tuple(s) for s in stats])


def seller_parts(row: bytes) -> tuple[int, tuple[ProfileStat, ...]]:
    """A seller row's met mask and profile stats."""
    (met_bits,) = _SELLER_HEAD.unpack_from(row)
    stats = orjson.loads(row[_SELLER_HEAD.size :])
    return met_bits, tuple(ProfileStat(*s) for s in stats)
