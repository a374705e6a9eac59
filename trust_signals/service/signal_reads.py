"""Reads of precomputed signals: a batch lookup of rows, then what the live config decides.

Rows are cached per worker by snapshot and signals version (they never change under those),
so a store that fails leaves search, PDP and ranking with what the cache holds. The badges a
set of met rules shows depend on the live config and the day only, so they are computed
once per distinct set, not per entity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final

import numpy as np

from trust_signals.domain.badges import shown_badges
from trust_signals.errors import SnapshotNotFound, StoreUnavailable
from trust_signals.service.answers import (
    Badges,
    BadgesAnswer,
    Envelope,
    FeaturesAnswer,
    OfferAnswer,
    ProfileAnswer,
)
from trust_signals.service.cache import SignalCache
from trust_signals.service.signal_rows import OFFERS, SELLERS, seller_parts
from trust_signals.service.view import ABSENT, MISSING, Market, View
from trust_signals.store.base import ReadStore

AskStore = Callable[..., Any]
_SHOWN_ENTRIES: Final = 4096  # distinct (config, day, level, met set) kept; a few dozen in practice


class PrecomputedReads:
    """Badges, the PDP, the profile page and ranking vectors from the stored rows."""

    def __init__(
        self,
        store: ReadStore,
        ask_store: AskStore,
        cache: SignalCache,
        today: Callable[[], date],
    ) -> None:
        self._store = store
        self._ask_store = ask_store
        self._cache = cache
        self._today = today
        self._shown: dict[tuple[Any, ...], Mapping[str, Badges]] = {}

    def badges(self, view: View, market: Market, surface: str, ids: Sequence[str]) -> BadgesAnswer:
        """A page of offers' badges on `surface` (fail open)."""
        rows, unanswered = self._rows(market, OFFERS, ids, fail_open=True)
        offers: list[tuple[str, Badges]] = []
        missing = []
        for offer_id, row in zip(ids, rows, strict=True):
            if row is not None:
                met = int.from_bytes(row[:8], "little")
                offers.append((offer_id, self.shown(view, market, met, is_offer=True)[surface]))
            elif offer_id in unanswered:
                offers.append((offer_id, ()))
            else:
                missing.append(offer_id)
        return BadgesAnswer(envelope(view, market), surface, offers, missing, bool(unanswered))

    def offer(self, view: View, market: Market, offer_id: str) -> OfferAnswer:
        """The PDP: the offer's PDP badges and its seller's shown stats (fail open)."""
        [row], unanswered = self._rows(market, OFFERS, [offer_id], fail_open=True)
        if row is None and not unanswered:
            raise SnapshotNotFound("offer", offer_id)
        if row is None:
            return OfferAnswer(envelope(view, market), offer_id, (), None, (), True)
        met = int.from_bytes(row[:8], "little")
        badges = self.shown(view, market, met, is_offer=True)["pdp"]
        seller_id = row[market.layout.offer_dtype.itemsize :].decode()
        [seller], seller_unanswered = self._rows(market, SELLERS, [seller_id], fail_open=True)
        stats = () if seller is None else seller_parts(seller)[1]
        shown = tuple(s for s in stats if s.withheld_reason is None)
        degraded = bool(seller_unanswered)
        return OfferAnswer(envelope(view, market), offer_id, badges, seller_id, shown, degraded)

    def profile(self, view: View, market: Market, seller_id: str) -> ProfileAnswer:
        """The seller profile page: every stat and the seller's SPP badges."""
        [row], _ = self._rows(market, SELLERS, [seller_id], fail_open=False)
        if row is None:
            raise SnapshotNotFound("seller", seller_id)
        met, stats = seller_parts(row)
        badges = self.shown(view, market, met, is_offer=False)["spp"]
        return ProfileAnswer(envelope(view, market), seller_id, stats, badges)

    def features(self, view: View, market: Market, ids: Sequence[str]) -> FeaturesAnswer:
        """Ranking vectors, the schema's defaults (all masked) for unknown ids (fail open)."""
        rows, unanswered = self._rows(market, OFFERS, ids, fail_open=True)
        layout, schema = market.layout, market.config.feature_schema
        width = layout.offer_dtype.itemsize
        default = layout.offer_row((), schema.defaults, [True] * layout.feature_count)
        decoded = layout.offer_rows([default if r is None else r[:width] for r in rows])
        missing = [i for i, r in zip(ids, rows, strict=True) if r is None and i not in unanswered]
        return FeaturesAnswer(
            envelope(view, market),
            schema.version,
            tuple(schema.names),
            list(ids),
            np.ascontiguousarray(decoded["values"]),
            np.ascontiguousarray(decoded["missing"]),
            missing,
            bool(unanswered),
        )

    def stored_met(self, market: Market, kind: str, entity_id: str) -> frozenset[str]:
        """The rules an offer's or seller's stored row marks met (none if it has no row)."""
        [row], _ = self._rows(
            market, OFFERS if kind == "offer" else SELLERS, [entity_id], fail_open=False
        )
        return frozenset() if row is None else market.layout.met(int.from_bytes(row[:8], "little"))

    def shown(
        self, view: View, market: Market, met: int, *, is_offer: bool
    ) -> Mapping[str, Badges]:
        """The badges per surface the live config shows today for a set of met rules."""
        today = self._today()
        key = (view.config.version, market.snapshot.marketplace, today, is_offer, met)
        found = self._shown.get(key)
        if found is None:
            config = market.config
            caps = market.offer_badge_caps if is_offer else config.surface_caps
            surfaces = shown_badges(
                config.rules,
                market.layout.met(met),
                is_offer=is_offer,
                max_badges=caps,
                marketplace=market.snapshot.marketplace,
                on=today,
            )
            found = {surface: tuple(badges) for surface, badges in surfaces.items()}
            if len(self._shown) >= _SHOWN_ENTRIES:
                self._shown.clear()
            self._shown[key] = found
        return found

    def _rows(
        self, market: Market, kind: str, ids: Sequence[str], *, fail_open: bool
    ) -> tuple[list[bytes | None], frozenset[str]]:
        """Rows aligned with `ids` (None where absent) from cache or store, and the ids the
        store could not answer (fail open; else StoreUnavailable)."""
        snapshot_id, version = market.snapshot.snapshot_id, market.config.signals_version
        keys = [(kind, snapshot_id, version, i) for i in ids]
        cached = self._cache.get_many(keys, ABSENT)
        todo = list(dict.fromkeys(i for i, c in zip(ids, cached, strict=True) if c is ABSENT))
        found: dict[str, Any] = {}
        unanswered: frozenset[str] = frozenset()
        if todo:
            try:
                rows = self._ask_store(
                    self._store.get_signal_rows, snapshot_id, version, kind, todo
                )
            except StoreUnavailable:
                if not fail_open:
                    raise
                unanswered = frozenset(todo)
            else:
                found = {i: MISSING if r is None else r for i, r in zip(todo, rows, strict=True)}
                self._cache.put_many(
                    [((kind, snapshot_id, version, i), r) for i, r in found.items()]
                )
        rows_out: list[bytes | None] = []
        for offer_id, value in zip(ids, cached, strict=True):
            if value is ABSENT:
                value = found.get(offer_id, MISSING)
            rows_out.append(None if value is MISSING else value)
        return rows_out, unanswered


def envelope(view: View, market: Market) -> Envelope:
    """What the answer was computed from."""
    return Envelope(market.snapshot.snapshot_id, view.config.version, market.snapshot.marketplace)
