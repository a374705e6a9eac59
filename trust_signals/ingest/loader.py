"""load_snapshot: verify a snapshot directory, validate every record, store it and switch to it."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.pool import AsyncResult, Pool
from operator import itemgetter
from pathlib import Path
from typing import Final

import pyarrow as pa

from trust_signals.domain.snapshots import SellerSnapshot
from trust_signals.errors import SnapshotRejected
from trust_signals.ingest.chunks import (
    BrokenFile,
    ChunkJob,
    ChunkResult,
    check_chunk,
    cohort_blobs,
    read_chunks,
    read_row_batches,
)
from trust_signals.ingest.manifest import Manifest, ManifestFile, checksum_problems, read_manifest
from trust_signals.ingest.parquet import column_problems, is_parquet
from trust_signals.plurals import counted
from trust_signals.store.activation import DEFAULT_MAX_SHRINK, activate_loaded
from trust_signals.store.base import ServingStore, SnapshotInfo, SnapshotWriter

Progress = Callable[[int], None]  # records read since the last call
CohortArtifacts = Callable[[Iterable[SellerSnapshot]], dict[str, bytes]]
Check = Callable[[Iterator[ChunkJob]], Iterator[ChunkResult]]

# Below this many records a worker pool costs more to start than it saves.
_POOL_MIN_RECORDS: Final = 50_000
_CHUNKS_IN_FLIGHT_PER_WORKER: Final = 3


def load_snapshot(
    directory: Path,
    catalog: ServingStore,
    *,
    force: bool = False,
    activate: bool = True,
    max_shrink: float | None = DEFAULT_MAX_SHRINK,
    retain: int | None = None,
    max_problems: int = 100,
    progress: Progress | None = None,
    cohort_artifacts: CohortArtifacts | None = None,
    workers: int | None = None,
) -> SnapshotInfo:
    """Load one snapshot directory; the snapshot as cataloged (active if `activate`).

    Any problem raises SnapshotRejected and nothing becomes visible: the active snapshot keeps
    serving. An activation the shrink guard refuses (`max_shrink`, see
    store.activation) raises ActivationRefused with the snapshot loaded but not active.
    `progress` is told the number of records read since its last call (a progress bar's
    increment). `retain` then prunes all but that many inactive snapshots per marketplace;
    `workers` processes check records (default: one per core when large).
    """
    manifest = read_manifest(directory)
    if problems := checksum_problems(directory, manifest) or column_problems(directory, manifest):
        raise SnapshotRejected(problems)
    writer = catalog.begin(manifest.snapshot_id, manifest.marketplace, manifest.as_of, force=force)
    try:
        load = _Load(directory, manifest, writer, ProblemLog(max_problems), progress)
        for name, blob in load.run(_worker_count(workers, manifest), cohort_artifacts).items():
            writer.put_artifact(name, blob)
        info = writer.commit()
    except BaseException:
        writer.abort()
        raise
    if activate:
        info = activate_loaded(catalog, info, max_shrink=max_shrink)
    if retain is not None:
        catalog.prune(retain)
    return info


@dataclass(slots=True)
class ProblemLog:
    """Problems as 'file:line: field: problem' (a Parquet file's row for its line), the first
    `limit` kept, all of them counted."""

    limit: int
    kept: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, problem: str) -> None:
        """Count a problem, and keep it while under the limit."""
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(problem)

    def raise_if_any(self) -> None:
        """Raise SnapshotRejected with the problems kept and the total, if there was any."""
        if self.total:
            raise SnapshotRejected(self.kept, self.total)


def _worker_count(workers: int | None, manifest: Manifest) -> int:
    if workers is not None:
        return workers
    records = manifest.sellers.records + manifest.offers.records
    return min(2, os.cpu_count() or 1) if records >= _POOL_MIN_RECORDS else 1


def _pool(workers: int) -> AbstractContextManager[Pool | None]:
    if workers <= 1:
        return nullcontext()
    # spawn: workers start clean, never as a fork of a possibly threaded process, and are
    # this process's children (their CPU time shows in its rusage).
    return multiprocessing.get_context("spawn").Pool(workers)


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


class _Load:
    """One load's streaming pass: sellers, then offers, checked in order and written."""

    def __init__(
        self,
        directory: Path,
        manifest: Manifest,
        writer: SnapshotWriter,
        problems: ProblemLog,
        progress: Progress | None,
    ) -> None:
        self._directory = directory
        self._manifest = manifest
        self._writer = writer
        self._check: Check = partial(_checked, None, 0)
        self._problems = problems
        self._progress = progress
        self._seller_lines: dict[str, int] = {}

    def run(self, workers: int, cohort_artifacts: CohortArtifacts | None) -> dict[str, bytes]:
        """Check and write both files; the cohort artifacts, if asked for.

        Raises SnapshotRejected with every problem found (up to the limit, all counted). With
        a pool, a picklable `cohort_artifacts` runs in a worker of its own while the offers
        are checked: it needs only the sellers, and it is the longest single step.
        """
        sellers_path = self._directory / self._manifest.sellers.path
        beside = workers > 1 and cohort_artifacts is not None and _picklable(cohort_artifacts)
        with _pool(workers + int(beside)) as pool:
            self._check = partial(_checked, pool, _CHUNKS_IN_FLIGHT_PER_WORKER * workers)
            normalized = self._file("sellers", self._manifest.sellers, None) > 0
            pending: AsyncResult[dict[str, bytes]] | None = None
            if beside and pool is not None and not self._problems.total:
                args = (cohort_artifacts, sellers_path, normalized)
                pending = pool.apply_async(cohort_blobs, args)
            self._file("offers", self._manifest.offers, self._seller_lines)
            self._problems.raise_if_any()
            if pending is not None:
                return pending.get()
        if cohort_artifacts is None:
            return {}
        return cohort_blobs(cohort_artifacts, sellers_path, normalized)

    def _file(self, kind: str, entry: ManifestFile, sellers: dict[str, int] | None) -> int:
        chunks = _Chunks(self._directory / entry.path, kind, entry.path, self._manifest.marketplace)
        first_lines = self._seller_lines if sellers is None else {}
        normalized = 0
        sellers_file = self._manifest.sellers.path
        for result in self._check(iter(chunks)):
            cross = _cross_problems(result, kind, entry.path, first_lines, sellers, sellers_file)
            for _, problem in sorted(result.problems + cross):
                self._problems.add(problem)
            if not self._problems.total:
                self._write(kind, result)
            normalized += result.normalized
            if self._progress is not None:
                self._progress(result.lines)
        if chunks.broken is not None:
            self._problems.add(chunks.broken)
        elif chunks.lines != entry.records:
            self._problems.add(
                f"{entry.path}: has {counted(chunks.lines, 'record')}, "
                f"manifest says {entry.records:,}"
            )
        return normalized

    def _write(self, kind: str, result: ChunkResult) -> None:
        ids, bodies = result.record_ids(), result.record_bodies()
        if kind == "sellers":
            self._writer.add_sellers(list(zip(ids, bodies, strict=True)))
        else:
            rows = zip(ids, result.record_seller_ids(), bodies, strict=True)
            self._writer.add_offers(list(rows))


def _checked(pool: Pool | None, in_flight: int, jobs: Iterator[ChunkJob]) -> Iterator[ChunkResult]:
    """Chunk results in file order; with a pool, up to `in_flight` chunks are being checked."""
    if pool is None:
        yield from map(check_chunk, jobs)
        return
    pending: deque[AsyncResult[ChunkResult]] = deque()
    for job in jobs:
        pending.append(pool.apply_async(check_chunk, (job,)))
        if len(pending) >= in_flight:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


class _Chunks:
    """A file's chunk jobs; remembers its record count, and a read failure instead of raising."""

    def __init__(self, path: Path, kind: str, file: str, marketplace: str) -> None:
        self._path = path
        self._kind = kind
        self._file = file
        self._marketplace = marketplace
        self.lines = 0
        self.broken: str | None = None

    def __iter__(self) -> Iterator[ChunkJob]:
        try:
            if is_parquet(self._path):
                for rows in read_row_batches(self._path):
                    yield self._job(None, rows)
                    self.lines += rows.num_rows
                return
            for text in read_chunks(self._path):
                yield self._job(text)
                self.lines += 1 if text is None else text.count(b"\n") + 1
        except BrokenFile as exc:
            self.broken = f"{self._file}:{self.lines + 1}: {exc}"

    def _job(self, text: bytes | None, rows: pa.RecordBatch | None = None) -> ChunkJob:
        return ChunkJob(self._kind, self._file, self._marketplace, self.lines + 1, text, rows)


def _cross_problems(
    result: ChunkResult,
    kind: str,
    file: str,
    first_lines: dict[str, int],
    sellers: dict[str, int] | None,
    sellers_file: str,
) -> list[tuple[int, str]]:
    """Rules across records: ids unique in their file, offers' sellers in the seller file."""
    ids, seller_ids = result.record_ids(), result.record_seller_ids()
    if not result.invalid_ids and _all_new_and_known(result, ids, seller_ids, first_lines, sellers):
        return []
    id_field = "seller_id" if kind == "sellers" else "offer_id"
    unit = "row" if is_parquet(file) else "line"
    sellers_of: list[str] | list[None] = seller_ids or [None] * len(ids)
    valid = zip(result.line_numbers, ids, sellers_of, strict=True)
    invalid = ((line_no, record_id, None) for line_no, record_id in result.invalid_ids)
    problems = []
    for line_no, record_id, seller_id in sorted([*valid, *invalid], key=itemgetter(0)):
        first = first_lines.setdefault(record_id, line_no)
        if first != line_no:
            message = f"{id_field}: duplicate {record_id!r}, first on {unit} {first}"
            problems.append((line_no, f"{file}:{line_no}: {message}"))
        if sellers is not None and seller_id is not None and seller_id not in sellers:
            message = f"seller_id: {seller_id!r} is not in {sellers_file}"
            problems.append((line_no, f"{file}:{line_no}: {message}"))
    return problems


def _all_new_and_known(
    result: ChunkResult,
    ids: list[str],
    seller_ids: list[str],
    first_lines: dict[str, int],
    sellers: dict[str, int] | None,
) -> bool:
    """The common case, checked in C: new ids, known sellers; records the ids if so."""
    chunk = dict(zip(ids, result.line_numbers, strict=True))
    if len(chunk) != len(ids) or not first_lines.keys().isdisjoint(chunk):
        return False
    if sellers is not None and not all(map(sellers.__contains__, seller_ids)):
        return False
    first_lines.update(chunk)
    return True
