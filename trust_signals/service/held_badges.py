"""Who held which badge in the previous snapshot: what keep margins decide a badge by.

A snapshot's predecessor is chosen once, the first time its signals are computed: the
snapshot then active in its marketplace, unless that is the snapshot itself or a newer one
(a backfill keeps no margin from the future). The choice is stored with the signals (the
META row HELD_FROM), and every later computation of the same snapshot (another signals
version after a config change, a rollback that needs one) reads the same predecessor, so a
snapshot's badges never depend on the order in which versions were computed.

The held badges are the predecessor's stored met masks: under the signals version being
computed if the predecessor has it, else under the version recorded at the first choice.
If neither is stored any more (the predecessor was pruned, or never materialized), nobody
gets a margin in that computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import orjson

from trust_signals.config.legal import MarketplaceConfig
from trust_signals.service.signal_rows import LAYOUT_ID, META, OFFERS, SELLERS, RowLayout
from trust_signals.store.base import ReadStore, SnapshotInfo

HELD_FROM: Final = "held_from"  # META row: {"previous": id | null, "version": version | null}
NOTHING_HELD: Final[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True)
class HeldSource:
    """The stored signals whose met masks say who held a badge: a snapshot and a version,
    with the rule ids its mask bits stand for."""

    snapshot_id: str
    version: str
    rule_ids: tuple[str, ...]  # bit i of the source's masks

    def held(
        self, store: ReadStore, kind: str, ids: Sequence[str], margined: frozenset[str]
    ) -> dict[str, frozenset[str]]:
        """Per id of `kind` ('o' or 's') the margined rules it met in the source; ids it did
        not hold any of (or absent there) are left out."""
        rows = store.get_signal_rows(self.snapshot_id, self.version, kind, ids)
        by_mask: dict[int, frozenset[str]] = {}
        held: dict[str, frozenset[str]] = {}
        for entity_id, row in zip(ids, rows, strict=True):
            if row is None:
                continue
            mask = int.from_bytes(row[:8], "little")  # offer and seller rows start with it
            rules = by_mask.get(mask)
            if rules is None:
                met = (r for i, r in enumerate(self.rule_ids) if mask >> i & 1)
                rules = by_mask[mask] = margined.intersection(met)
            if rules:
                held[entity_id] = rules
        return held


def chunk_holders(
    source: HeldSource | None,
    margined: frozenset[str],
    store: ReadStore,
    seller_ids: Sequence[str],
    offer_ids: Sequence[str],
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Per seller and per offer of a chunk the margined rules it held in `source`: nothing
    without a source or without a margined rule (then nothing is read)."""
    if source is None or not margined:
        return {}, {}
    return (
        source.held(store, SELLERS, seller_ids, margined),
        source.held(store, OFFERS, offer_ids, margined),
    )


def margined_rules(config: MarketplaceConfig) -> frozenset[str]:
    """Ids of the rules with a keep margin: the only ones a held badge changes."""
    return frozenset(c.rule.id for c in config.rules if c.rule.keep_margin)


def held_source(
    store: ReadStore, info: SnapshotInfo, version: str
) -> tuple[bytes, HeldSource | None]:
    """The HELD_FROM record to store with `info`'s signals under `version`, and where its
    held badges are read (None: nobody gets a margin)."""
    recorded = _recorded(store, info.snapshot_id)
    versions: list[str] = []
    if recorded is None:
        previous = _active_predecessor(store, info)
    else:
        previous, versions = recorded
    source = None
    if previous is not None:
        stored = store.signal_versions(previous)
        usable = [v for v in [version, *versions] if v in stored]
        if usable:
            [layout] = store.get_signal_rows(previous, usable[0], META, [LAYOUT_ID])
            assert layout is not None, "a materialized version stores its layout"
            source = HeldSource(previous, usable[0], RowLayout.from_bytes(layout).rule_ids)
    record = {"previous": previous, "version": None if source is None else source.version}
    return orjson.dumps(record), source


def _active_predecessor(store: ReadStore, info: SnapshotInfo) -> str | None:
    active = store.active_snapshots().get(info.marketplace)
    if active is None or active.snapshot_id == info.snapshot_id or active.as_of > info.as_of:
        return None
    return active.snapshot_id


def _recorded(store: ReadStore, snapshot_id: str) -> tuple[str | None, list[str]] | None:
    """The predecessor recorded with any stored version of the snapshot's signals, and the
    versions its badges were read under; None if no version recorded one."""
    previous: str | None = None
    found = False
    versions: list[str] = []
    for version in sorted(store.signal_versions(snapshot_id)):
        [blob] = store.get_signal_rows(snapshot_id, version, META, [HELD_FROM])
        if blob is None:  # computed before keep margins existed
            continue
        record: Mapping[str, str | None] = orjson.loads(blob)
        found, previous = True, record["previous"]
        if record["version"] is not None:
            versions.append(record["version"])
    return (previous, _unique(versions)) if found else None


def _unique(versions: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(versions))
