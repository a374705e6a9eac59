"""Writing a snapshot's data files: JSON Lines, gzipped or plain, or Parquet."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, Final

import orjson

from trust_signals.ingest.parquet import Progress, is_parquet, write_parquet
from trust_signals.ingest.validation import Record

_BATCH_LINES: Final = 2048  # one write (and one deflate call) per batch, not per record
_GZIP_LEVEL: Final = 6  # level 9 takes twice as long for ~15 % smaller files


class _HashingWriter:
    """A binary file that also hashes what is written: the checksum needs no second read."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def write_records(path: Path, records: Iterator[Record], progress: Progress) -> dict[str, Any]:
    """Write records to path (sellers... or offers...) in the format its name says; its
    manifest entry."""
    if is_parquet(path):
        return write_parquet(path, path.stem, records, progress)
    lines = (orjson.dumps(record) + b"\n" for record in records)
    return _write_lines(path, lines, path.name.endswith(".gz"), progress)


def _write_lines(
    path: Path, lines: Iterator[bytes], compress: bool, progress: Progress
) -> dict[str, Any]:
    """Write lines to path, gzipped when compress; its manifest entry (sha256 of stored bytes).

    Deflate, hashing and the file write release the GIL, so one worker thread does them while
    this thread makes the next batch; one batch in flight keeps the order and bounds memory.
    """
    records = 0
    with path.open("wb") as raw, ThreadPoolExecutor(max_workers=1) as writer:
        sink = _HashingWriter(raw)
        # mtime=0 and no file name in the header: the bytes depend on the content alone.
        out: gzip.GzipFile | _HashingWriter = (
            gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0, filename="")
            if compress
            else sink
        )
        in_flight: Future[int] | None = None
        while batch := list(islice(lines, _BATCH_LINES)):
            chunk = b"".join(batch)
            records += len(batch)
            if in_flight is not None:
                in_flight.result()
            in_flight = writer.submit(out.write, chunk)
            progress(len(batch))
        if in_flight is not None:
            in_flight.result()
        if isinstance(out, gzip.GzipFile):
            out.close()
    return {"path": path.name, "records": records, "sha256": sink.hexdigest()}
