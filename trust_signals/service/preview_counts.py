"""The launch preview's counting: every seller and offer of an active snapshot under two
configs, a chunk of sellers and their offers at a time, on every core as the materializer
runs, summed into transitions (`domain.launch_impact`).

The rules an entity meets and the stats it shows under each config are read from that
config's stored signals when the snapshot has them (what an activation would serve, since it
computes nothing then), else computed by the engine as the materializer would compute them:
a badge with a keep margin decided from who held it in the snapshot's predecessor
(`service.held_badges`, the same predecessor and stored version as a materialization reads).
When both configs have the same signals version, the new config's sets are the old ones.
What each config then shows is the read path's decision (`domain.launch_impact.held_badges`),
taken once per distinct set of met rules.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from trust_signals.config.legal import MarketplaceConfig, parse_config
from trust_signals.domain.launch_impact import (
    OFFERS,
    SELLERS,
    BadgeTransitions,
    Held,
    StatTransitions,
    held_badges,
    preview_cohort,
)
from trust_signals.domain.profile_stats import ProfileStat
from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot
from trust_signals.errors import TrustSignalsError
from trust_signals.service.held_badges import HeldSource, chunk_holders, margined_rules
from trust_signals.service.materializer import (
    OpenStore,
    Priors,
    Progress,
    Signals,
    chunk_met_sets,
    seller_chunks,
    worker_count,
)
from trust_signals.service.signal_rows import LAYOUT_ID, META, RowLayout, seller_parts
from trust_signals.service.signal_rows import OFFERS as OFFER_ROWS
from trust_signals.service.signal_rows import SELLERS as SELLER_ROWS
from trust_signals.service.view import BADGE_SURFACES
from trust_signals.store.base import ReadStore

# Below this many entities a pool costs more to start than it saves (as for the materializer).
SELLER_SURFACES: Final = ("spp",)  # a seller's own badges show on its profile page
# Per seller: the rules it meets and the ids of the stats it shows; per offer: its met rules.
EntitySets = tuple[dict[str, tuple[Held, Held]], dict[str, Held]]


@dataclass(frozen=True, slots=True)
class SetsSource:
    """Where one config's met sets of a snapshot come from: its stored signals under the
    signals version `stored`, else computed with the cohort `priors`, badges with a keep
    margin decided from who held them in `held` (None: nobody held any)."""

    stored: str | None
    priors: Priors | None = None
    held: HeldSource | None = None


@dataclass(frozen=True, slots=True)
class MarketTask:
    """One marketplace's counting, picklable for the worker processes."""

    snapshot_id: str
    marketplace: str
    as_of: date  # the snapshot's day: what its signals are computed as of
    on: date  # the day whose approvals and effective dates decide what shows
    before_text: str
    after_text: str
    before: SetsSource
    after: SetsSource | None  # None: after's signals version is before's, same sets


@dataclass(slots=True)
class Counts:
    """Transitions counted over some chunks, and how many entities they covered."""

    badges: BadgeTransitions = field(default_factory=Counter)
    stats: StatTransitions = field(default_factory=Counter)
    entities: int = 0

    def add(self, other: Counts) -> None:
        """Add another chunk's counts to these."""
        self.badges.update(other.badges)
        self.stats.update(other.stats)
        self.entities += other.entities


class _Shown:
    """What one config shows in one marketplace on one day, per distinct set of met rules."""

    def __init__(self, config: MarketplaceConfig, marketplace: str, on: date) -> None:
        self.config = config
        self._marketplace, self._on = marketplace, on
        self._caps = {
            True: {s: config.surface_caps[s] for s in BADGE_SURFACES},
            False: {s: config.surface_caps[s] for s in SELLER_SURFACES},
        }
        self._held: dict[tuple[bool, Held], Held] = {}

    def held(self, met: Held, *, is_offer: bool) -> Held:
        key = (is_offer, met)
        found = self._held.get(key)
        if found is None:
            found = self._held[key] = held_badges(
                self.config.rules,
                met,
                is_offer=is_offer,
                max_badges=self._caps[is_offer],
                marketplace=self._marketplace,
                on=self._on,
            )
        return found


def _shown_stats(stats: Sequence[ProfileStat]) -> Held:
    return frozenset(stat.id for stat in stats if stat.withheld_reason is None)


class MarketCounter:
    """Counts the chunks of one marketplace; built once per process."""

    def __init__(self, task: MarketTask) -> None:
        self._task = task
        market = task.marketplace
        before = parse_config(task.before_text, "config before").for_marketplace(market)
        after = parse_config(task.after_text, "config after").for_marketplace(market)
        self._before, self._after = _Shown(before, market, task.on), _Shown(after, market, task.on)
        self._layouts: dict[str, RowLayout] = {}  # signals version -> its stored layout
        self._masks: dict[tuple[str, int], Held] = {}

    def count(self, store: ReadStore, seller_ids: Sequence[str]) -> Counts:
        """The transitions of these sellers and of all their offers."""
        task = self._task
        sellers = [s for s in store.get_sellers(task.snapshot_id, seller_ids) if s is not None]
        offers = store.offers_of_sellers(task.snapshot_id, seller_ids)
        before = self._sets(store, self._before.config, task.before, sellers, offers)
        after = before
        if task.after is not None:
            after = self._sets(store, self._after.config, task.after, sellers, offers)
        spec = self._after.config.cohort_spec
        cohorts = {seller.seller_id: preview_cohort(seller, spec) for seller in sellers}
        counts = Counts(entities=len(sellers) + len(offers))
        for seller in sellers:
            old_met, old_stats = before[0][seller.seller_id]
            new_met, new_stats = after[0][seller.seller_id]
            old = self._before.held(old_met, is_offer=False)
            new = self._after.held(new_met, is_offer=False)
            counts.badges[(SELLERS, cohorts[seller.seller_id], old, new)] += 1
            counts.stats[(old_stats, new_stats)] += 1
        for offer in offers:
            old = self._before.held(before[1][offer.offer_id], is_offer=True)
            new = self._after.held(after[1][offer.offer_id], is_offer=True)
            counts.badges[(OFFERS, cohorts[offer.seller_id], old, new)] += 1
        return counts

    def _sets(
        self,
        store: ReadStore,
        config: MarketplaceConfig,
        source: SetsSource,
        sellers: Sequence[SellerSnapshot],
        offers: Sequence[OfferSnapshot],
    ) -> EntitySets:
        if source.stored is not None:
            return self._stored_sets(store, source.stored, sellers, offers)
        assert source.priors is not None  # SetsSource: one or the other
        seller_ids = [seller.seller_id for seller in sellers]
        offer_ids = [offer.offer_id for offer in offers]
        margined = margined_rules(config)
        held_sellers, held_offers = chunk_holders(
            source.held, margined, store, seller_ids, offer_ids
        )
        signals = Signals(config, self._task.as_of, source.priors)
        sellers_met, offers_met = chunk_met_sets(
            signals, sellers, offers, held_sellers, held_offers
        )
        shown = {sid: (met, _shown_stats(stats)) for sid, (met, stats) in sellers_met.items()}
        return shown, offers_met

    def _stored_sets(
        self,
        store: ReadStore,
        version: str,
        sellers: Sequence[SellerSnapshot],
        offers: Sequence[OfferSnapshot],
    ) -> EntitySets:
        """The sets held in stored rows; an entity without a row is served nothing, so it
        counts as meeting no rule and showing no stat."""
        snapshot_id = self._task.snapshot_id
        if version not in self._layouts:
            [blob] = store.get_signal_rows(snapshot_id, version, META, [LAYOUT_ID])
            if blob is None:  # every materialization writes it first
                raise TrustSignalsError(f"signals {snapshot_id}@{version} have no layout")
            self._layouts[version] = RowLayout.from_bytes(blob)
        seller_ids = [s.seller_id for s in sellers]
        offer_ids = [o.offer_id for o in offers]
        seller_rows = store.get_signal_rows(snapshot_id, version, SELLER_ROWS, seller_ids)
        offer_rows = store.get_signal_rows(snapshot_id, version, OFFER_ROWS, offer_ids)
        sellers_met = {}
        for seller_id, row in zip(seller_ids, seller_rows, strict=True):
            bits, stats = seller_parts(row) if row is not None else (0, ())
            sellers_met[seller_id] = (self._met(version, bits), _shown_stats(stats))
        offers_met = {
            offer_id: self._met(version, 0 if row is None else int.from_bytes(row[:8], "little"))
            for offer_id, row in zip(offer_ids, offer_rows, strict=True)
        }
        return sellers_met, offers_met

    def _met(self, version: str, bits: int) -> Held:
        found = self._masks.get((version, bits))
        if found is None:
            found = self._masks[(version, bits)] = self._layouts[version].met(bits)
        return found


def count_markets(
    store: ReadStore,
    tasks: Sequence[MarketTask],
    entities: int,
    *,
    open_store: OpenStore | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[Counts]:
    """Each task's counts (aligned with `tasks`); `entities` (sellers and offers in all)
    decides whether a pool of `workers` processes (default: every core) pays off."""
    # The ids are read here, whole: a pool's feeder thread must not drive the store's
    # connections, which belong to this thread.
    jobs = [
        (index, chunk)
        for index, task in enumerate(tasks)
        for chunk in seller_chunks(list(store.seller_ids(task.snapshot_id)))
    ]
    totals = [Counts() for _ in tasks]
    count = worker_count(workers, entities, open_store)
    for index, counts in _run(tasks, jobs, count, open_store, store):
        totals[index].add(counts)
        if progress is not None:
            progress(counts.entities)
    return totals


Job = tuple[int, list[str]]


def _run(
    tasks: Sequence[MarketTask],
    jobs: Sequence[Job],
    count: int,
    open_store: OpenStore | None,
    store: ReadStore,
) -> Iterator[tuple[int, Counts]]:
    if count == 1 or open_store is None:
        counters: dict[int, MarketCounter] = {}
        for index, ids in jobs:
            if index not in counters:
                counters[index] = MarketCounter(tasks[index])
            yield index, counters[index].count(store, ids)
        return
    # spawn: a forked copy of a threaded parent (redis pools) is not safe.
    context = multiprocessing.get_context("spawn")
    with context.Pool(count, initializer=_start_worker, initargs=(tasks, open_store)) as pool:
        yield from pool.imap_unordered(_worker_counts, jobs, chunksize=1)


_WORKER: dict[str, Any] = {}  # per worker process: its tasks, counters and store


def _start_worker(tasks: Sequence[MarketTask], open_store: OpenStore) -> None:
    _WORKER.update(tasks=tasks, counters={}, store=open_store())


def _worker_counts(job: Job) -> tuple[int, Counts]:
    index, ids = job
    counters: dict[int, MarketCounter] = _WORKER["counters"]
    if index not in counters:
        counters[index] = MarketCounter(_WORKER["tasks"][index])
    return index, counters[index].count(_WORKER["store"], ids)
