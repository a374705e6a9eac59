"""The read use cases: the one place where store, cache, clock and configuration meet.

Over 300 lines on purpose: the facade of every read use case and the store calls behind the
breaker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from trust_signals.breaker import CircuitBreaker
from trust_signals.config import TrustConfig
from trust_signals.domain.badges import (
    earned_seller_rules,
    explain_badges,
)
from trust_signals.domain.cohorts import seller_prior
from trust_signals.domain.signals import Subject
from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot
from trust_signals.errors import (
    SnapshotDataMissing,
    SnapshotNotFound,
    StoreUnavailable,
    TooManyIds,
    TrustSignalsError,
)
from trust_signals.service.answers import (
    BadgesAnswer,
    ExplainAnswer,
    FeaturesAnswer,
    OfferAnswer,
    ProfileAnswer,
    Readiness,
)
from trust_signals.service.cache import SignalCache
from trust_signals.service.signal_reads import PrecomputedReads, envelope
from trust_signals.service.view import (
    ABSENT,
    MISSING,
    Lookup,
    Market,
    SellerSignals,
    View,
    answered,
)
from trust_signals.service.view_keeper import ViewKeeper
from trust_signals.store.base import ReadStore, SnapshotInfo

T = TypeVar("T")
Clock = Callable[[], datetime]


def check_id_count(ids: Sequence[str], limit: int) -> None:
    """Refuse a batch larger than the configured limit of its call (TooManyIds)."""
    if len(ids) > limit:
        raise TooManyIds(len(ids), limit)


class TrustSignals:
    """Serves trust signals from the active snapshots under the live configuration.

    `refresh()` (called by a background thread, never on the request path) swaps in a new
    View when a snapshot is activated or the configuration changes (`ViewKeeper`); each
    request reads `view()` once, so one response never mixes two snapshots or two configs.
    """

    def __init__(
        self,
        store: ReadStore,
        read_config: Callable[[], TrustConfig],
        clock: Clock,
        cache: SignalCache,
        breaker: CircuitBreaker,
    ) -> None:
        self._breaker = breaker
        self._store = store
        self._clock = clock
        self._cache = cache
        self._views = ViewKeeper(store, read_config)
        self._precomputed = PrecomputedReads(store, self._ask_store, cache, self.today)

    # -- the request kinds: one call each, a whole answer ------------------------------------

    def badges(self, marketplace: str, surface: str, offer_ids: Sequence[str]) -> BadgesAnswer:
        """The search page and PDP badge call: a page of offers' badges on `surface`."""
        view = self.view()
        market = view.market(marketplace)
        check_id_count(offer_ids, market.config.max_ids["badges"])
        return self._precomputed.badges(view, market, surface, offer_ids)

    def offer(self, marketplace: str, offer_id: str) -> OfferAnswer:
        """The PDP call: one offer's badges and its seller's shown stats."""
        view = self.view()
        return self._precomputed.offer(view, view.market(marketplace), offer_id)

    def profile(self, marketplace: str, seller_id: str) -> ProfileAnswer:
        """The seller profile page call."""
        view = self.view()
        return self._precomputed.profile(view, view.market(marketplace), seller_id)

    def features(self, marketplace: str, offer_ids: Sequence[str]) -> FeaturesAnswer:
        """The ranking call: one vector per offer asked, in schema order."""
        view = self.view()
        market = view.market(marketplace)
        check_id_count(offer_ids, market.config.max_ids["features"])
        return self._precomputed.features(view, market, offer_ids)

    def explain_entity(self, marketplace: str, kind: str, entity_id: str) -> ExplainAnswer:
        """Every badge rule evaluated condition by condition for one seller or offer."""
        view = self.view()
        market = view.market(marketplace)
        rules = self.explain(view, market, kind, entity_id)
        return ExplainAnswer(envelope(view, market), kind, entity_id, tuple(rules))

    @property
    def precomputed(self) -> PrecomputedReads:
        """The reads above against a View the caller holds (a request reads one View)."""
        return self._precomputed

    # -- state --------------------------------------------------------------------------------

    def view(self) -> View:
        """The current consistent state."""
        return self._views.current()

    def refresh(self) -> bool:
        """Rebuild the View if the active snapshots or the configuration changed."""
        return self._views.refresh()

    @property
    def last_config_error(self) -> str | None:
        """Why the active config was last refused (the previous config keeps serving)."""
        return self._views.last_config_error

    def artifact(self, market: Market, name: str) -> bytes | None:
        """A precomputed artifact of the market's snapshot."""
        if name in market.artifacts:
            return market.artifacts[name]
        if market.artifacts and name.split(":", 1)[0] in ("benchmark", "priors"):
            return None  # computed in-process: absent means suppressed
        return self._ask_store(self._store.get_artifact, market.snapshot.snapshot_id, name)

    def read_store(self, call: Callable[[ReadStore], T]) -> T:
        """One read of the store beyond the served view (a report on retained snapshots),
        behind the circuit breaker like every other store call."""
        return self._ask_store(call, self._store)

    def now(self) -> datetime:
        """The injected clock's time (aware UTC)."""
        return self._clock()

    def today(self) -> date:
        """Today's date by the injected clock (UTC)."""
        return self._clock().date()

    def cache_stats(self) -> dict[str, int]:
        """Hit and miss counts of this process's signal cache."""
        return self._cache.stats()

    # -- per-entity signals -------------------------------------------------------------

    def _subject(
        self, market: Market, seller: SellerSnapshot, offer: OfferSnapshot | None
    ) -> Subject:
        prior = seller_prior(seller, market.priors, market.config.cohort_spec)
        return Subject(seller, offer, market.snapshot.as_of, prior)

    def lookup(
        self,
        kind: str,
        view: View,
        market: Market,
        ids: Sequence[str],
        compute: Callable[[list[str]], tuple[dict[str, Any], frozenset[str]]],
        fail_open: bool,
    ) -> Lookup[Any]:
        """Cached values of one kind aligned with `ids`; `compute` makes the missing ones.

        Keys carry the snapshot, the config version and the day, so a new snapshot, a config
        change (a kill switch included) or a badge's effective date is never answered from a
        stale entry. `compute` returns the values (MISSING for unknown ids) and the ids it
        could not answer because the store failed.
        """
        key = (kind, market.snapshot.snapshot_id, view.config.version, self.today())
        cached = self._cache.get_many([(*key, i) for i in ids], ABSENT)
        todo = list(dict.fromkeys(i for i, c in zip(ids, cached, strict=True) if c is ABSENT))
        if not todo:
            return answered(ids, cached, {}, frozenset())
        try:
            computed, unanswered = compute(todo)
        except StoreUnavailable:
            if not fail_open:
                raise
            return answered(ids, cached, {}, frozenset(todo))
        self._cache.put_many([((*key, i), v) for i, v in computed.items()])
        return answered(ids, cached, computed, unanswered)

    def sellers(
        self, view: View, market: Market, ids: Sequence[str], *, fail_open: bool = False
    ) -> Lookup[SellerSignals]:
        """Seller signals aligned with `ids`, from cache or store (see `Lookup`)."""

        def compute(todo: list[str]) -> tuple[dict[str, Any], frozenset[str]]:
            found = self._ask_store(self._store.get_sellers, market.snapshot.snapshot_id, todo)
            return {
                i: MISSING if s is None else self._seller_signals(market, s)
                for i, s in zip(todo, found, strict=True)
            }, frozenset()

        return self.lookup("seller", view, market, ids, compute, fail_open)

    def _seller_signals(self, market: Market, seller: SellerSnapshot) -> SellerSignals:
        subject = self._subject(market, seller, None)
        params = market.config.params
        return SellerSignals(subject, earned_seller_rules(market.config.rules, subject, params))

    def _ask_store(self, call: Callable[..., T], *args: Any) -> T:
        """One store call behind the circuit breaker: a dead store is not asked again and
        again; after the reset time one probe finds out whether it is back.

        Every outcome is reported, so a half-open probe is always released: a store that
        answers "not found" (or anything else of ours) is up; any other exception counts as
        a failure. A store that no longer holds the snapshot being served (its data was
        lost, or the snapshot deleted under a worker) fails open like a store that is down.
        """
        if not self._breaker.allow():
            raise StoreUnavailable("the snapshot store is failing; its circuit breaker is open")
        try:
            result = call(*args)
        except StoreUnavailable:
            self._breaker.record_failure()
            raise
        except SnapshotNotFound as error:
            self._breaker.record_success()
            if error.kind in ("snapshot", "signals"):  # the data the view serves is gone
                raise SnapshotDataMissing(f"the store no longer holds {error.id}") from error
            raise
        except TrustSignalsError:
            self._breaker.record_success()
            raise
        except BaseException:
            self._breaker.record_failure()
            raise
        self._breaker.record_success()
        return result

    def offers_of_seller(self, market: Market, seller_id: str) -> list[OfferSnapshot]:
        """Every offer of one seller in the market's snapshot, in id order."""
        snapshot_id = market.snapshot.snapshot_id
        found = self._ask_store(self._store.offers_of_sellers, snapshot_id, [seller_id])
        return sorted(found, key=lambda offer: offer.offer_id)

    def _offer_subject(
        self,
        market: Market,
        offer: OfferSnapshot,
        seller: SellerSignals,
        offer_prior: Mapping[str, Mapping[str, float]] | None = None,
    ) -> Subject:
        """The offer with its seller; without `offer_prior` an offer FQ index computes it."""
        return Subject(
            seller.subject.seller,
            offer,
            market.snapshot.as_of,
            seller.subject.prior_rates,
            offer_prior,
        )

    def seller(self, view: View, market: Market, seller_id: str) -> SellerSignals:
        """One seller (the SPP call); SnapshotNotFound when unknown."""
        found = self.sellers(view, market, [seller_id]).items[0]
        if found is None:
            raise SnapshotNotFound("seller", seller_id)
        return found

    def explain(self, view: View, market: Market, kind: str, entity_id: str) -> list:  # type: ignore[type-arg]
        """Every badge rule evaluated condition by condition for one seller or offer."""
        if kind == "offer":
            record = self._ask_store(
                self._store.get_offers, market.snapshot.snapshot_id, [entity_id]
            )[0]
            if record is None:
                raise SnapshotNotFound("offer", entity_id)
            seller = self.seller(view, market, record.seller_id)
            subject = self._offer_subject(market, record, seller)
        else:
            subject = self.seller(view, market, entity_id).subject
        held: frozenset[str] = frozenset()
        if any(c.kept is not None for c in market.config.rules):
            # A served row marks a rule met while its thresholds fail only when the entity
            # held the badge before and stayed within the margin: explained as held, each
            # condition says whether its margin kept it.
            held = self._precomputed.stored_met(market, kind, entity_id)
        return explain_badges(
            market.config.rules,
            subject,
            market.config.params,
            marketplace=market.snapshot.marketplace,
            on=self.today(),
            held=held,
        )

    def refreshed_view(self) -> View:
        """The view after applying any change made just now (an admin activation)."""
        self.refresh()
        return self.view()

    def readiness(self) -> Readiness:
        """Ping the store (StoreUnavailable when it does not answer), then say what is served."""
        self._store.ping()
        view = self.view()
        active = {m: market.snapshot.snapshot_id for m, market in view.markets.items()}
        return Readiness(view.config.version, active, sorted(view.lost))

    def status(self) -> dict[str, Any]:
        """Active snapshots, retained ones, config version, cache and store health.

        Status must answer while the store is down (it is how operators see that it is):
        the retained list is then reported as unknown, with the reason.
        """
        view = self.view()
        try:
            retained: list[SnapshotInfo] | None = self._store.list_snapshots()
            store_error = None
        except StoreUnavailable as error:
            retained, store_error = None, str(error)
        return {
            "pid": os.getpid(),
            "config_version": view.config.version,
            "config_error": self.last_config_error,
            "active": {m: k.snapshot for m, k in view.markets.items()},
            "lost": sorted(view.lost),
            "snapshots": retained,
            "store_error": store_error,
            "store_breaker": self._breaker.state,
            "cache": self._cache.stats(),
        }
