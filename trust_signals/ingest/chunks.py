"""Data files as line-aligned chunks, and the record check of one chunk (runs in any process)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import orjson

from trust_signals.ingest.validation import OFFERS, SELLERS, seller_is_valid, validated

_CHUNK_BYTES: Final = 1 << 20
_BROKEN_GZIP: Final = (EOFError, gzip.BadGzipFile, zlib.error)


class BrokenFile(Exception):
    """A data file that cannot be read to its end (a truncated or corrupt .gz)."""


def read_chunks(path: Path) -> Iterator[bytes]:
    """A JSONL file (.gz or plain) in pieces of about 1 MiB, each ending at a line's end."""
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as stream:
            rest = b""
            while chunk := stream.read(_CHUNK_BYTES):
                cut = chunk.rfind(b"\n") + 1
                if cut:
                    yield rest + chunk[: cut - 1]
                    rest = chunk[cut:]
                else:
                    rest += chunk
            if rest:
                yield rest
    except _BROKEN_GZIP as exc:
        raise BrokenFile(f"truncated or corrupt gzip data: {exc}") from exc


@dataclass(frozen=True, slots=True)
class ChunkJob:
    """One chunk of one data file to check: what a worker process needs, and no more."""

    kind: str  # "sellers" or "offers"
    file: str  # the file's name, for problem messages
    marketplace: str  # the manifest's
    first_line: int
    text: bytes


@dataclass(slots=True)
class ChunkResult:
    """A checked chunk: store rows and their line numbers for the valid records, and problems."""

    lines: int
    rows: list[tuple[str, bytes] | tuple[str, str, bytes]] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    normalized: int = 0  # valid records whose canonical form differs from the file's
    # (line, id) of invalid records that still carry a usable id: a duplicate is one either
    # way, and an offer of an invalid seller is not also an offer of an unknown one.
    invalid_ids: list[tuple[int, str]] = field(default_factory=list)


def check_chunk(job: ChunkJob) -> ChunkResult:
    """Each line parsed, validated and put in canonical form; problems as (line, message)."""
    kind = SELLERS if job.kind == "sellers" else OFFERS
    lines = job.text.split(b"\n")
    result = ChunkResult(len(lines))
    for line_no, line in enumerate(lines, job.first_line):
        where = f"{job.file}:{line_no}"
        try:
            parsed = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            result.problems.append((line_no, f"{where}: invalid JSON: {exc}"))
            continue
        record, problems = validated(kind, parsed)
        if record is None:
            result.problems.extend((line_no, f"{where}: {problem}") for problem in problems)
            _keep_id(result, line_no, parsed, kind.id_field)
            continue
        if record["marketplace"] != job.marketplace:
            market, expected = record["marketplace"], job.marketplace
            message = f"{where}: marketplace: {market!r} is not the manifest's {expected!r}"
            result.problems.append((line_no, message))
            result.invalid_ids.append((line_no, record[kind.id_field]))
            continue
        result.normalized += record is not parsed
        body = orjson.dumps(record)
        if kind is SELLERS:
            result.rows.append((record["seller_id"], body))
        else:
            result.rows.append((record["offer_id"], record["seller_id"], body))
        result.line_numbers.append(line_no)
    return result


def _keep_id(result: ChunkResult, line_no: int, parsed: object, id_field: str) -> None:
    record_id = parsed.get(id_field) if isinstance(parsed, dict) else None
    if isinstance(record_id, str):
        result.invalid_ids.append((line_no, record_id))


def canonical_sellers(path: Path, *, revalidate: bool) -> Iterator[dict[str, object]]:
    """The records of an already-validated seller file in canonical form.

    Without `revalidate` the file's own records are taken as they are: right when the check
    found every record already in canonical form, and three times cheaper.
    """
    for text in read_chunks(path):
        for line in text.split(b"\n"):
            record = orjson.loads(line)
            if revalidate and not seller_is_valid(record):
                record, _ = validated(SELLERS, record)
            yield record
