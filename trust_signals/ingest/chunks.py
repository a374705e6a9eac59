"""Data files as line-aligned chunks or row batches, and the record check of one chunk (runs in
any process)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, TypeVar

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from trust_signals.domain.snapshots import SELLER_COUNT_FIELDS, SellerCounts, SellerSnapshot
from trust_signals.ingest.json_keys import repeated_keys
from trust_signals.ingest.parquet import BATCH_ROWS, batch_records, is_parquet, one_line
from trust_signals.ingest.validation import (
    OFFERS,
    SELLERS,
    Record,
    RecordKind,
    seller_is_valid,
    validated,
)

_CHUNK_BYTES: Final = 1 << 20
# The longest record line a file may hold, newline excluded: hundreds of times a real record
# (a few kB), and small enough to hold. Not below _CHUNK_BYTES: read_chunks then needs to
# measure only a chunk's first line, the one that began in an earlier read.
MAX_RECORD_BYTES: Final = 1 << 20
_OVERLONG: Final = f"record is longer than {MAX_RECORD_BYTES} bytes"
_BROKEN_GZIP: Final = (EOFError, gzip.BadGzipFile, zlib.error)


class BrokenFile(Exception):
    """A data file that cannot be read to its end (a truncated or corrupt .gz or .parquet)."""


def read_chunks(path: Path) -> Iterator[bytes | None]:
    """A JSONL file (.gz or plain) in pieces of about 1 MiB, each ending at a line's end.

    None stands for one line longer than MAX_RECORD_BYTES: it is read through without being
    kept, so a file of any shape takes linear time and bounded memory.
    """
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as stream:
            reads = iter(partial(stream.read, _CHUNK_BYTES), b"")
            yield from line_chunks(reads, MAX_RECORD_BYTES)
    except _BROKEN_GZIP as exc:
        raise BrokenFile(f"truncated or corrupt gzip data: {exc}") from exc


def read_row_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """A Parquet file's rows, BATCH_ROWS at a time.

    Each column chunk is read through a 1 MiB buffer rather than whole: a row group can be
    hundreds of MiB, and memory then holds about one batch.
    """
    try:
        with pq.ParquetFile(path, buffer_size=_CHUNK_BYTES) as file:
            yield from file.iter_batches(batch_size=BATCH_ROWS)
    except (pa.ArrowException, OSError) as error:
        raise BrokenFile(f"unreadable Parquet data: {one_line(error)}") from error


def line_chunks(reads: Iterable[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """The lines of `reads`, a read's worth at a time joined by newlines; None stands for a
    line longer than `max_bytes`.

    Reads are at most `max_bytes` long, so a line within one read is short enough: only a
    chunk's first line, begun in an earlier read, needs measuring.
    """
    rest = b""  # the start of a line that began in an earlier read; at most the cap
    skipping = False  # inside an overlong line, until its newline
    for chunk in reads:
        if skipping:
            end = chunk.find(b"\n")
            if end < 0:
                continue
            yield None
            skipping, chunk = False, chunk[end + 1 :]
        first = chunk.find(b"\n")
        if first < 0:
            rest += chunk
            if len(rest) > max_bytes:
                skipping, rest = True, b""
            continue
        cut = chunk.rfind(b"\n") + 1
        if len(rest) + first <= max_bytes:
            yield rest + chunk[: cut - 1]
        else:
            yield None
            if first + 1 < cut:
                yield chunk[first + 1 : cut - 1]
        rest = chunk[cut:]
    if skipping:
        yield None
    elif rest:
        yield rest


@dataclass(frozen=True, slots=True)
class ChunkJob:
    """One chunk of one data file to check: what a worker process needs, and no more."""

    kind: str  # "sellers" or "offers"
    file: str  # the file's name, for problem messages
    marketplace: str  # the manifest's
    first_line: int  # of the chunk's first record: a JSONL line or a Parquet row, from 1
    text: bytes | None  # JSONL lines; None: one line longer than MAX_RECORD_BYTES, not kept
    rows: pa.RecordBatch | None = None  # Parquet rows, in place of text


_ID_SEPARATOR: Final = "\x00"  # ids never hold a NUL (nor does any id the schemas accept)


@dataclass(slots=True)
class ChunkResult:
    """A checked chunk: its valid records, packed for the trip between processes, and problems.

    Ids and bodies travel as one joined string each: pickling thousands of small objects
    per chunk cost the loader a few microseconds per record on both ends.
    """

    lines: int
    ids: str = ""  # the valid records' ids, NUL-joined
    seller_ids: str = ""  # offers only: each valid offer's seller_id, NUL-joined
    bodies: bytes = b""  # their stored form (JSON), newline-joined: JSON holds no raw newline
    line_numbers: list[int] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    normalized: int = 0  # valid records whose canonical form differs from the file's
    # (line, id) of invalid records that still carry a usable id: a duplicate is one either
    # way, and an offer of an invalid seller is not also an offer of an unknown one.
    invalid_ids: list[tuple[int, str]] = field(default_factory=list)

    def record_ids(self) -> list[str]:
        """The valid records' ids, in line order."""
        return self.ids.split(_ID_SEPARATOR) if self.line_numbers else []

    def record_seller_ids(self) -> list[str]:
        """The valid offers' seller ids, aligned with record_ids (empty for sellers)."""
        return self.seller_ids.split(_ID_SEPARATOR) if self.seller_ids else []

    def record_bodies(self) -> list[bytes]:
        """The valid records' stored bodies, aligned with record_ids."""
        return self.bodies.split(b"\n") if self.line_numbers else []


def check_chunk(job: ChunkJob) -> ChunkResult:
    """Each record parsed, validated and put in canonical form; problems as (line, message)."""
    if job.rows is not None:
        return _checked(job, batch_records(job.rows), _judged_row)
    if job.text is None:
        where = f"{job.file}:{job.first_line}"
        return ChunkResult(1, problems=[(job.first_line, f"{where}: {_OVERLONG}")])
    return _checked(job, job.text.split(b"\n"), _judged_line)


Item = TypeVar("Item")
# (what the item parsed to, the canonical record or None, its problems as 'field: problem')
Judged = tuple[object, Record | None, list[str]]


def _checked(
    job: ChunkJob, items: list[Item], judge: Callable[[RecordKind, Item], Judged]
) -> ChunkResult:
    """The chunk's result: each item judged, the valid records packed, problems numbered."""
    kind = SELLERS if job.kind == "sellers" else OFFERS
    result = ChunkResult(len(items))
    ids: list[str] = []
    seller_ids: list[str] = []
    bodies: list[bytes] = []
    for line_no, item in enumerate(items, job.first_line):
        record = _accepted(job, kind, line_no, judge(kind, item), result)
        if record is not None:
            ids.append(record[kind.id_field])
            if kind is OFFERS:
                seller_ids.append(record["seller_id"])
            bodies.append(kind.body(record))
            result.line_numbers.append(line_no)
    result.ids = _ID_SEPARATOR.join(ids)
    result.seller_ids = _ID_SEPARATOR.join(seller_ids)
    result.bodies = b"\n".join(bodies)
    return result


def _judged_line(kind: RecordKind, line: bytes) -> Judged:
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return None, None, [f"invalid JSON: {exc}"]
    record, problems = validated(kind, parsed)
    if record is not parsed or line.count(b":") != kind.key_count:
        # Off the fast path, or a colon more than its keys: a key may repeat (orjson keeps
        # the last one silently).
        problems = [f"{path}: duplicate key" for path in repeated_keys(line)] + problems
    return parsed, record, problems


def _judged_row(kind: RecordKind, row: Record) -> Judged:
    return (row, *validated(kind, row))


def _accepted(
    job: ChunkJob, kind: RecordKind, line_no: int, judged: Judged, result: ChunkResult
) -> Record | None:
    """The judged record if valid and of the manifest's marketplace; else None, with its
    problems added to the result."""
    parsed, record, problems = judged
    where = f"{job.file}:{line_no}"
    if record is None or problems:
        result.problems.extend((line_no, f"{where}: {problem}") for problem in problems)
        _keep_id(result, line_no, parsed, kind.id_field)
        return None
    if record["marketplace"] != job.marketplace:
        market, expected = record["marketplace"], job.marketplace
        message = f"{where}: marketplace: {market!r} is not the manifest's {expected!r}"
        result.problems.append((line_no, message))
        result.invalid_ids.append((line_no, record[kind.id_field]))
        return None
    result.normalized += record is not parsed
    return record


def _keep_id(result: ChunkResult, line_no: int, parsed: object, id_field: str) -> None:
    record_id = parsed.get(id_field) if isinstance(parsed, dict) else None
    if isinstance(record_id, str):
        result.invalid_ids.append((line_no, record_id))


def cohort_blobs(
    cohort_artifacts: Callable[[Iterable[SellerSnapshot]], dict[str, bytes]],
    path: Path,
    revalidate: bool,
) -> dict[str, bytes]:
    """The artifacts `cohort_artifacts` makes of a validated seller file (runs in any process)."""
    return cohort_artifacts(validated_sellers(path, revalidate=revalidate))


def validated_sellers(path: Path, *, revalidate: bool) -> Iterator[SellerSnapshot]:
    """The sellers of a file whose every record passed check_chunk, as domain objects.

    Without `revalidate` each record is taken as it is in the file: right when the check found
    every record already in canonical form, and much cheaper.
    """
    for record in _file_records(path):
        if revalidate and not seller_is_valid(record):
            record, _ = validated(SELLERS, record)
        yield _valid_seller(record)


def _file_records(path: Path) -> Iterator[Any]:
    """The records of a data file check_chunk found no problem in, in file order."""
    if is_parquet(path):
        for rows in read_row_batches(path):
            yield from batch_records(rows)
        return
    for text in read_chunks(path):
        assert text is not None, "check_chunk refuses a file with an overlong line"
        yield from map(orjson.loads, text.split(b"\n"))


_get_counts: Final = itemgetter(*SELLER_COUNT_FIELDS)
_RATINGS: Final = SELLER_COUNT_FIELDS.index("ratings")


def _valid_seller(record: dict[str, Any]) -> SellerSnapshot:
    # Counts built with NamedTuple._make, which skips SellerCounts' own invariant checks (most
    # of a seller's decoding time): the record passed the same rules moments ago.
    windows = {}
    for window, counts in record["windows"].items():
        values = list(_get_counts(counts))
        values[_RATINGS] = tuple(values[_RATINGS])
        windows[window] = SellerCounts._make(values)
    first_sale = record["first_sale_date"]
    return SellerSnapshot(
        seller_id=record["seller_id"],
        marketplace=record["marketplace"],
        tenure_days=record["tenure_days"],
        first_sale_date=None if first_sale is None else date.fromisoformat(first_sale),
        location=record["location"],
        category_group=record["category_group"],
        fulfillment_channel=record["fulfillment_channel"],
        cs_provider=record["cs_provider"],
        first_party=record["first_party"],
        windows=windows,
    )
