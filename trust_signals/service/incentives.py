"""Incentive qualification over a marketplace's streak of snapshots: one seller's answer
(the audit read) and the pages of qualified sellers an export walks.

The streak is the active snapshot and the snapshots the store retains before it, in the
catalog's order (newest first). Each is read through the store ports with its own records
and its own cohort artifacts under the live cohort model: its shrinkage priors and its
cohort benchmarks, so a percentile is always the one that snapshot's cohorts gave.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

import orjson

from trust_signals.config import MarketplaceConfig
from trust_signals.domain.cohorts import CohortBenchmark, seller_prior
from trust_signals.domain.incentive_programs import CompiledProgram
from trust_signals.domain.incentives import (
    Qualification,
    SnapshotResult,
    SnapshotSeller,
    evaluate_snapshot,
    qualify,
    standings,
)
from trust_signals.domain.signals import Subject
from trust_signals.domain.snapshots import SellerSnapshot
from trust_signals.errors import CohortBenchmarksMissing, SnapshotNotFound
from trust_signals.service.answers import Envelope
from trust_signals.service.cohort_artifacts import decode_benchmark
from trust_signals.service.signal_reads import envelope
from trust_signals.service.view import Market, View
from trust_signals.store.base import ReadStore, SnapshotInfo

AskStore = Callable[..., Any]  # one store call: (method, *args) -> its result
PAGE_SELLERS = 500  # sellers read per store call while an export walks a snapshot


@dataclass(slots=True)
class StreakSnapshot:
    """One snapshot of a streak and its cohort artifacts (benchmarks decoded once each)."""

    info: SnapshotInfo
    priors: Mapping[str, Mapping[str, Mapping[str, float]]]
    artifact: Callable[[str], bytes | None]
    model_version: str
    _benchmarks: dict[str, CohortBenchmark | None] = field(default_factory=dict)

    def benchmark(self, key: str) -> CohortBenchmark | None:
        """The cohort's benchmark; None when it is below the minimum size (never stored)."""
        if key not in self._benchmarks:
            blob = self.artifact(f"benchmark:{self.model_version}:{key}")
            self._benchmarks[key] = None if blob is None else decode_benchmark(blob)
        return self._benchmarks[key]


@dataclass(frozen=True, slots=True)
class IncentiveAnswer:
    """Whether one seller qualifies for a program, and why, with what it was computed from."""

    envelope: Envelope
    qualification: Qualification


class IncentiveReads:
    """Programs evaluated on the snapshots of a streak, read through the store ports."""

    def __init__(self, store: ReadStore, ask_store: AskStore, today: Callable[[], date]) -> None:
        self._store = store
        self._ask = ask_store
        self._today = today

    def answer(
        self, view: View, market: Market, program_id: str, seller_id: str
    ) -> IncentiveAnswer:
        """The audit read: whether the seller qualifies, every condition in every snapshot.

        SnapshotNotFound for an unknown program, or a seller the active snapshot lacks.
        """
        program = self.program(view, program_id)
        snapshots = self.streak(view, market, program.program.streak)
        found = [
            self._ask(self._store.get_sellers, s.info.snapshot_id, [seller_id])[0]
            for s in snapshots
        ]
        if found[0] is None:
            raise SnapshotNotFound("seller", seller_id)
        config = market.config
        history = [
            evaluate_snapshot(program, self._seller(program, config, s, seller), config.params)
            for s, seller in zip(snapshots[1:], found[1:], strict=True)
        ]
        return IncentiveAnswer(
            envelope(view, market),
            self._qualify(program, config, snapshots[0], found[0], history),
        )

    def program(self, view: View, program_id: str) -> CompiledProgram:
        """The live config's program; SnapshotNotFound('incentive', id) when it has none."""
        found = view.config.incentives.get(program_id)
        if found is None:
            raise SnapshotNotFound("incentive", program_id)
        return found

    def streak(self, view: View, market: Market, length: int) -> list[StreakSnapshot]:
        """The active snapshot and up to `length - 1` retained before it, newest first."""
        active = market.snapshot
        listed = [
            info
            for info in self._ask(self._store.list_snapshots)
            if info.marketplace == active.marketplace
        ]
        ids = [info.snapshot_id for info in listed]
        earlier = listed[ids.index(active.snapshot_id) + 1 :] if active.snapshot_id in ids else []
        model = view.cohort_model.version
        snapshots = [StreakSnapshot(active, market.priors, self._active_artifact(market), model)]
        for info in earlier[: length - 1]:
            snapshots.append(self._retained(info, model))
        return snapshots

    def qualified(
        self,
        program: CompiledProgram,
        market: Market,
        snapshots: Sequence[StreakSnapshot],
        seller_ids: Sequence[str],
    ) -> list[Qualification]:
        """The qualified sellers among `seller_ids` (ids of the active snapshot), in order.

        Earlier snapshots are read only for the sellers that meet the program in the active
        one: they alone can qualify.
        """
        config = market.config
        current = snapshots[0]
        records = self._ask(self._store.get_sellers, current.info.snapshot_id, list(seller_ids))
        met = {}
        for seller in records:
            if seller is None:
                continue
            now = evaluate_snapshot(
                program, self._seller(program, config, current, seller), config.params
            )
            if now.met:
                met[seller.seller_id] = seller
        earlier = {
            s.info.snapshot_id: self._ask(self._store.get_sellers, s.info.snapshot_id, list(met))
            for s in snapshots[1:]
        }
        found = []
        for index, seller in enumerate(met.values()):
            history = [
                evaluate_snapshot(
                    program,
                    self._seller(program, config, s, earlier[s.info.snapshot_id][index]),
                    config.params,
                )
                for s in snapshots[1:]
            ]
            qualification = self._qualify(program, config, current, seller, history)
            if qualification.qualified:
                found.append(qualification)
        return found

    def seller_pages(self, market: Market, size: int = PAGE_SELLERS) -> Iterator[list[str]]:
        """The active snapshot's seller ids in id order, a page at a time (bounded memory)."""
        ids = iter(self._ask(self._store.seller_ids, market.snapshot.snapshot_id))
        while page := list(islice(ids, size)):
            yield page

    def today(self) -> date:
        """The day programs are judged live on (effective dates)."""
        return self._today()

    def _qualify(
        self,
        program: CompiledProgram,
        config: MarketplaceConfig,
        current: StreakSnapshot,
        seller: SellerSnapshot,
        history: Sequence[SnapshotResult],
    ) -> Qualification:
        return qualify(
            program,
            seller.seller_id,
            self._seller(program, config, current, seller),
            history,
            params=config.params,
            marketplace=current.info.marketplace,
            on=self._today(),
        )

    def _seller(
        self,
        program: CompiledProgram,
        config: MarketplaceConfig,
        snapshot: StreakSnapshot,
        seller: SellerSnapshot | None,
    ) -> SnapshotSeller:
        info = snapshot.info
        if seller is None:
            return SnapshotSeller(info.snapshot_id, info.as_of, None, {})
        prior = seller_prior(seller, snapshot.priors, config.cohort_spec)
        subject = Subject(seller, None, info.as_of, prior)
        percentiles = standings(
            program, subject, config.cohort_spec, config.params, snapshot.benchmark
        )
        return SnapshotSeller(info.snapshot_id, info.as_of, subject, percentiles)

    def _active_artifact(self, market: Market) -> Callable[[str], bytes | None]:
        if market.artifacts:  # computed in-process: what is absent was suppressed
            return market.artifacts.get
        snapshot_id = market.snapshot.snapshot_id
        return lambda name: self._ask(self._store.get_artifact, snapshot_id, name)

    def _retained(self, info: SnapshotInfo, model: str) -> StreakSnapshot:
        blob = self._ask(self._store.get_artifact, info.snapshot_id, f"priors:{model}")
        if blob is None:
            raise CohortBenchmarksMissing(info.snapshot_id, model)
        snapshot_id = info.snapshot_id
        return StreakSnapshot(
            info,
            orjson.loads(blob),
            lambda name: self._ask(self._store.get_artifact, snapshot_id, name),
            model,
        )
