"""The incentive export: the sellers qualifying for a program in a marketplace, with the
values that qualified them, as CSV or Parquet, for the teams that pay the incentives.

One pass over the active snapshot's sellers, a page at a time (`PAGE_SELLERS`): memory is
bounded by a page and the cohort benchmarks decoded, whatever the snapshot's size. The file
is written beside its target and renamed into place once complete, so a failed export
never leaves a file that looks whole.

One row per qualifying seller, in seller id order: `program_id`, `marketplace`,
`seller_id`, `config_version`, `approval_reference`, `snapshot_ids` (the streak's, newest
first, `;`-separated), then per condition id `c` and streak position `k` (0: the active
snapshot) `c@k`, its value, and for a percentile `c.cohort@k`, the cohort it ranked in.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from trust_signals.domain.incentive_programs import CompiledProgram, withheld_reason
from trust_signals.domain.incentives import Qualification
from trust_signals.errors import ExportRefused
from trust_signals.service.reads import TrustSignals

EXPORT_FORMATS: Final = {".csv": "csv", ".parquet": "parquet"}
FIXED_COLUMNS: Final = (
    "program_id",
    "marketplace",
    "seller_id",
    "config_version",
    "approval_reference",
    "snapshot_ids",
)
Progress = Callable[[int], None]  # sellers checked since the last call


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote, and from what."""

    path: Path
    program_id: str
    marketplace: str
    config_version: str
    snapshot_ids: tuple[str, ...]  # the streak's, newest first
    sellers: int  # checked: the active snapshot's
    qualified: int  # rows written


def export_columns(program: CompiledProgram) -> list[tuple[str, bool]]:
    """The export's columns in order, each with whether it holds numbers (else text)."""
    columns = [(name, False) for name in FIXED_COLUMNS]
    for position in range(program.program.streak):
        for leaf in program.conditions:
            columns.append((f"{leaf.condition.id}@{position}", True))
            if leaf.need is not None:
                columns.append((f"{leaf.condition.id}.cohort@{position}", False))
    return columns


def export_row(qualification: Qualification, marketplace: str, config_version: str) -> list[Any]:
    """A qualified seller's row, aligned with `export_columns`."""
    row: list[Any] = [
        qualification.program_id,
        marketplace,
        qualification.seller_id,
        config_version,
        qualification.approval_reference,
        ";".join(s.snapshot_id for s in qualification.snapshots),
    ]
    for snapshot in qualification.snapshots:
        for result in snapshot.conditions:
            row.append(result.value)
            if result.cohort is not None:
                row.append(result.cohort)
    return row


class _Sink(Protocol):
    def write(self, rows: Sequence[list[Any]]) -> None: ...
    def close(self) -> None: ...


class _CsvSink:
    """CSV with a header line; numbers as Python writes them (they read back exactly)."""

    def __init__(self, path: Path, columns: list[tuple[str, bool]]) -> None:
        self._file = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(name for name, _ in columns)

    def write(self, rows: Sequence[list[Any]]) -> None:
        self._writer.writerows(rows)

    def close(self) -> None:
        self._file.close()


class _ParquetSink:
    """Parquet, a row group per page with qualified sellers; the envelope in the metadata."""

    def __init__(self, path: Path, columns: list[tuple[str, bool]], meta: dict[str, str]) -> None:
        fields = [
            pa.field(name, pa.float64() if number else pa.string()) for name, number in columns
        ]
        self._schema = pa.schema(fields, metadata=meta)
        self._writer = pq.ParquetWriter(str(path), self._schema)

    def write(self, rows: Sequence[list[Any]]) -> None:
        arrays = [list(column) for column in zip(*rows, strict=True)]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


def export_incentive(
    signals: TrustSignals,
    marketplace: str,
    program_id: str,
    out: Path,
    *,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the sellers qualifying for `program_id` in `marketplace` today to `out`
    (.csv or .parquet); ExportRefused when the export could only be empty."""
    file_format = EXPORT_FORMATS.get(out.suffix.lower())
    if file_format is None:
        raise ExportRefused(f"{out}: the file name must end in {' or '.join(EXPORT_FORMATS)}")
    view = signals.view()
    market = view.market(marketplace)
    reads = signals.incentives
    program = reads.program(view, program_id)
    withheld = withheld_reason(program, marketplace, reads.today())
    if withheld is not None:
        raise ExportRefused(
            f"incentive {program_id!r} qualifies nobody in {marketplace}: {withheld}"
        )
    snapshots = reads.streak(view, market, program.program.streak)
    ids = tuple(s.info.snapshot_id for s in snapshots)
    if len(snapshots) < program.program.streak:
        raise ExportRefused(
            f"incentive {program_id!r} needs a streak of {program.program.streak} snapshots of "
            f"{marketplace}; the store retains {len(snapshots)} up to the active one "
            f"({', '.join(ids)})"
        )
    columns = export_columns(program)
    version = view.config.version
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    meta = {
        "program_id": program_id,
        "marketplace": marketplace,
        "config_version": version,
        "snapshot_ids": orjson.dumps(ids).decode(),
    }
    sink: _Sink = (
        _CsvSink(partial, columns) if file_format == "csv" else _ParquetSink(partial, columns, meta)
    )
    checked = qualified = 0
    try:
        for page in reads.seller_pages(market):
            found = reads.qualified(program, market, snapshots, page)
            if found:
                sink.write([export_row(q, marketplace, version) for q in found])
            checked, qualified = checked + len(page), qualified + len(found)
            if progress is not None:
                progress(len(page))
        sink.close()
        os.replace(partial, out)
    except BaseException:
        sink.close()
        partial.unlink(missing_ok=True)
        raise
    return ExportSummary(out, program_id, marketplace, version, ids, checked, qualified)
