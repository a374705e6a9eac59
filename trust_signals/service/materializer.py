"""The materializer: every seller's and offer's signals computed once, when a snapshot or a
config version is activated, and stored beside the snapshot as rows (`signal_rows`).

The same domain engine as before computes them (one source of truth); reads become lookups.
Work is split by seller: a chunk of sellers and all their offers is computed together, so
an offer's seller signals are computed once and memory stays bounded by the chunk. When a
rule has a keep margin, each chunk also reads who held which badge in the previous snapshot
(`held_badges`: one batch of stored rows per kind and chunk); without one nothing is read. With
`open_store` (a picklable way to open the same store in another process) the chunks run on
every core; without it, in this process.

Over 300 lines on purpose: `chunk_met_sets`, what the launch preview counts, stands beside
`chunk_rows`, what is stored, so that both decide every entity alike.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from types import MappingProxyType
from typing import Any, Final

import orjson

from trust_signals.config.legal import MarketplaceConfig, TrustConfig, parse_config
from trust_signals.domain.badges import earned_seller_rules, met_rules
from trust_signals.domain.cohorts import prior_rates, seller_prior
from trust_signals.domain.profile_stats import ProfileStat, profile_stats
from trust_signals.domain.ranking_features import fill_level
from trust_signals.domain.signals import Subject, seller_fq_rates
from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot
from trust_signals.service.cohort_artifacts import CohortModel
from trust_signals.service.held_badges import (
    HELD_FROM,
    NOTHING_HELD,
    HeldSource,
    chunk_holders,
    held_source,
    margined_rules,
)
from trust_signals.service.signal_rows import (
    LAYOUT_ID,
    META,
    OFFERS,
    SELLERS,
    RowLayout,
    seller_row,
)
from trust_signals.store.base import ReadStore, ServingStore, SnapshotInfo

log = logging.getLogger(__name__)
Priors = Mapping[str, Mapping[str, Mapping[str, float]]]
Rows = list[tuple[str, bytes]]
Progress = Callable[[int], None]  # entities done since the last call
OpenStore = Callable[[], ReadStore]
Held = Mapping[str, frozenset[str]]  # entity id -> ids of the margined rules it held before
_NONE_HELD: Final[Held] = MappingProxyType({})
SELLERS_PER_CHUNK: Final = 500
# Below this many entities a pool costs more to start than it saves.
_POOL_MIN_ENTITIES: Final = 20_000


@dataclass(frozen=True, slots=True)
class Signals:
    """What an entity's rows depend on: one marketplace's config, the snapshot's date, the
    cohort priors."""

    config: MarketplaceConfig
    as_of: date
    priors: Priors

    @property
    def layout(self) -> RowLayout:
        """The layout of this config's rows."""
        return RowLayout.of(self.config)


def chunk_rows(
    signals: Signals,
    sellers: Sequence[SellerSnapshot],
    offers: Sequence[OfferSnapshot],
    held_sellers: Held = _NONE_HELD,
    held_offers: Held = _NONE_HELD,
) -> tuple[Rows, Rows]:
    """Rows of these sellers and of their offers (each offer's seller must be among them);
    `held_*`: the margined rules each held in the previous snapshot (see `met_rules`)."""
    config, layout = signals.config, signals.layout
    params, schema = config.params, config.feature_schema
    seller_rows: Rows = []
    by_seller = {}
    for seller in sellers:
        prior = seller_prior(seller, signals.priors, config.cohort_spec)
        subject = Subject(seller, None, signals.as_of, prior)
        held = held_sellers.get(seller.seller_id, NOTHING_HELD)
        met = met_rules(config.rules, subject, params, held=held)
        stats = profile_stats(config.stats, subject, params)
        seller_rows.append((seller.seller_id, seller_row(layout.bits(met), stats)))
        by_seller[seller.seller_id] = (
            subject,
            earned_seller_rules(config.rules, subject, params, held=held),
            fill_level(schema, "seller", subject, params),
            seller_fq_rates(subject, params),
        )
    offer_rows: Rows = []
    for offer in offers:
        seller_subject, inherited, seller_part, offer_prior = by_seller[offer.seller_id]
        subject = Subject(
            seller_subject.seller, offer, signals.as_of, seller_subject.prior_rates, offer_prior
        )
        values, missing = fill_level(schema, "offer", subject, params, seller_part)
        held = held_offers.get(offer.offer_id, NOTHING_HELD)
        met = met_rules(config.rules, subject, params, inherited=inherited, held=held)
        row = layout.offer_row(met, values, missing, offer.seller_id)
        offer_rows.append((offer.offer_id, row))
    return seller_rows, offer_rows


def chunk_met_sets(
    signals: Signals,
    sellers: Sequence[SellerSnapshot],
    offers: Sequence[OfferSnapshot],
    held_sellers: Held = _NONE_HELD,
    held_offers: Held = _NONE_HELD,
) -> tuple[dict[str, tuple[frozenset[str], list[ProfileStat]]], dict[str, frozenset[str]]]:
    """What `chunk_rows` stores of these sellers and offers (with the same `held_*`),
    unpacked: per seller the rules it meets and its profile stats, per offer the rules it
    meets (no ranking vectors)."""
    config = signals.config
    params = config.params
    sellers_met = {}
    by_seller = {}
    for seller in sellers:
        prior = seller_prior(seller, signals.priors, config.cohort_spec)
        subject = Subject(seller, None, signals.as_of, prior)
        held = held_sellers.get(seller.seller_id, NOTHING_HELD)
        met = met_rules(config.rules, subject, params, held=held)
        sellers_met[seller.seller_id] = (met, profile_stats(config.stats, subject, params))
        by_seller[seller.seller_id] = (
            subject,
            earned_seller_rules(config.rules, subject, params, held=held),
            seller_fq_rates(subject, params),
        )
    offers_met = {}
    for offer in offers:
        seller_subject, inherited, offer_prior = by_seller[offer.seller_id]
        subject = Subject(
            seller_subject.seller, offer, signals.as_of, seller_subject.prior_rates, offer_prior
        )
        held = held_offers.get(offer.offer_id, NOTHING_HELD)
        offers_met[offer.offer_id] = met_rules(
            config.rules, subject, params, inherited=inherited, held=held
        )
    return sellers_met, offers_met


def snapshot_priors(store: ReadStore, info: SnapshotInfo, config: TrustConfig) -> Priors:
    """The cohort priors of a snapshot under `config`: stored with it at load time, else
    computed from its sellers (it was loaded under other cohort parameters)."""
    model = CohortModel(config.cohort_spec, config.params)
    blob = store.get_artifact(info.snapshot_id, f"priors:{model.version}")
    if blob is None:
        # Through JSON as when stored, so that both give the very same floats.
        blob = orjson.dumps(prior_rates(store.iter_sellers(info.snapshot_id), config.cohort_spec))
    priors: Priors = orjson.loads(blob)
    return priors


def materialize(
    store: ServingStore,
    info: SnapshotInfo,
    config_text: str,
    priors: Priors,
    *,
    open_store: OpenStore | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> str:
    """Compute and store every row of `info`'s snapshot under the config in `config_text`
    (for the snapshot's marketplace); the signals version written. Nothing is visible
    until it is complete. Badges with a keep margin are decided against who held them in
    the snapshot's predecessor (`held_badges`)."""
    config = parse_config(config_text, "materialized config").for_marketplace(info.marketplace)
    version = config.signals_version
    margined = margined_rules(config)
    held_record, source = held_source(store, info, version)
    started = time.perf_counter()
    writer = store.begin_signals(info.snapshot_id, version)
    try:
        layout = RowLayout.of(config).to_bytes()
        writer.add_rows(META, [(LAYOUT_ID, layout), (HELD_FROM, held_record)])
        # The ids are read here, whole (100,000 sellers are a few MB): a pool's feeder thread
        # must not drive the store's connections, which belong to this thread.
        chunks = seller_chunks(list(store.seller_ids(info.snapshot_id)))
        held = source if margined else None
        task = _Task(
            info.snapshot_id, info.marketplace, info.as_of, config_text, priors, held, margined
        )
        count = worker_count(workers, info.seller_count + info.offer_count, open_store)
        for seller_rows, offer_rows in _run(task, chunks, count, open_store, store):
            writer.add_rows(SELLERS, seller_rows)
            writer.add_rows(OFFERS, offer_rows)
            if progress is not None:
                progress(len(seller_rows) + len(offer_rows))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    log.info(
        "materialized %s under signals version %s in %.1f s",
        info.snapshot_id,
        version,
        time.perf_counter() - started,
    )
    return version


def materialize_snapshot(
    store: ServingStore,
    info: SnapshotInfo,
    config: TrustConfig,
    *,
    open_store: OpenStore | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> str | None:
    """Store the snapshot's signals under `config` unless they are stored already; the
    signals version written, None if there was nothing to do."""
    version = config.for_marketplace(info.marketplace).signals_version
    if version in store.signal_versions(info.snapshot_id):
        return None
    return materialize(
        store,
        info,
        config.text,
        snapshot_priors(store, info, config),
        open_store=open_store,
        workers=workers,
        progress=progress,
    )


def materialize_active(
    store: ServingStore,
    config: TrustConfig,
    *,
    open_store: OpenStore | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[str]:
    """Store every active snapshot's signals under `config` (what a config activation needs
    first); the snapshot ids materialized."""
    done = []
    for info in store.active_snapshots().values():
        version = materialize_snapshot(
            store, info, config, open_store=open_store, workers=workers, progress=progress
        )
        if version is not None:
            done.append(info.snapshot_id)
    return done


@dataclass(frozen=True, slots=True)
class _Task:
    """Everything a worker needs, picklable (a parsed config's closures are not)."""

    snapshot_id: str
    marketplace: str
    as_of: date
    config_text: str
    priors: Priors
    held: HeldSource | None  # where holders are read; None: nobody gets a margin
    margined: frozenset[str]

    def signals(self) -> Signals:
        config = parse_config(self.config_text, "materialized config")
        return Signals(config.for_marketplace(self.marketplace), self.as_of, self.priors)

    def rows(self, store: ReadStore, signals: Signals, ids: list[str]) -> tuple[Rows, Rows]:
        sellers = [s for s in store.get_sellers(self.snapshot_id, ids) if s is not None]
        offers = store.offers_of_sellers(self.snapshot_id, ids)
        offer_ids = [offer.offer_id for offer in offers]
        held_sellers, held_offers = chunk_holders(self.held, self.margined, store, ids, offer_ids)
        return chunk_rows(signals, sellers, offers, held_sellers, held_offers)


def seller_chunks(seller_ids: Sequence[str]) -> Iterator[list[str]]:
    """The sellers in chunks of SELLERS_PER_CHUNK: one job of a pool each."""
    iterator = iter(seller_ids)
    while chunk := list(islice(iterator, SELLERS_PER_CHUNK)):
        yield chunk


def worker_count(workers: int | None, entities: int, open_store: OpenStore | None) -> int:
    """Processes for a pass over `entities` sellers and offers: one in process when the store
    cannot be opened again or the pass is small, else `workers` or every core."""
    if open_store is None:
        return 1
    if workers is not None:
        return max(1, workers)
    return 1 if entities < _POOL_MIN_ENTITIES else os.cpu_count() or 1


def _run(
    task: _Task,
    chunks: Iterator[list[str]],
    count: int,
    open_store: OpenStore | None,
    store: ReadStore,
) -> Iterator[tuple[Rows, Rows]]:
    if count == 1 or open_store is None:
        signals = task.signals()
        for ids in chunks:
            yield task.rows(store, signals, ids)
        return
    # spawn: a forked copy of a threaded parent (gunicorn, redis pools) is not safe.
    context = multiprocessing.get_context("spawn")
    with context.Pool(count, initializer=_start_worker, initargs=(task, open_store)) as pool:
        yield from pool.imap(_worker_rows, chunks, chunksize=1)


_WORKER: dict[str, Any] = {}  # per worker process: its task, signals and store


def _start_worker(task: _Task, open_store: OpenStore) -> None:
    _WORKER.update(task=task, signals=task.signals(), store=open_store())


def _worker_rows(ids: list[str]) -> tuple[Rows, Rows]:
    task: _Task = _WORKER["task"]
    return task.rows(_WORKER["store"], _WORKER["signals"], ids)
