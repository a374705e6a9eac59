"""Parquet data files: their Arrow schemas, the check of a file's columns, rows as records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from trust_signals.domain.snapshots import OFFER_COUNT_FIELDS, SELLER_COUNT_FIELDS, WINDOWS
from trust_signals.ingest.manifest import Manifest, file_sha256
from trust_signals.ingest.validation import Record

Progress = Callable[[int], None]  # records written since the last call

SUFFIX: Final = ".parquet"
# Rows read and checked as one chunk: about the records of a 1 MiB JSONL chunk of offers.
BATCH_ROWS: Final = 2048
_ROW_GROUP_ROWS: Final = 32 * BATCH_ROWS  # per row group written: compact, and little memory
_AMOUNTS: Final = ("sales_amount", "domestic_sales_amount")


def _count_type(name: str) -> pa.DataType:
    if name in _AMOUNTS:
        return pa.float64()
    return pa.list_(pa.int64()) if name == "ratings" else pa.int64()


def _windows(count_names: tuple[str, ...]) -> pa.DataType:
    counts = pa.struct([pa.field(name, _count_type(name)) for name in count_names])
    return pa.struct([pa.field(window, counts) for window in WINDOWS])


# The JSONL records' shape as Spark writes nested data: a JSON object is a struct, a JSON
# array a list. Every column may be nullable; a null where a value is due is a row's problem.
SELLER_SCHEMA: Final = pa.schema(
    [
        ("seller_id", pa.string()),
        ("marketplace", pa.string()),
        ("tenure_days", pa.int64()),
        ("first_sale_date", pa.date32()),
        ("location", pa.string()),
        ("category_group", pa.string()),
        ("fulfillment_channel", pa.string()),
        ("cs_provider", pa.string()),
        ("first_party", pa.bool_()),
        ("windows", _windows(SELLER_COUNT_FIELDS)),
    ]
)
OFFER_SCHEMA: Final = pa.schema(
    [
        ("offer_id", pa.string()),
        ("seller_id", pa.string()),
        ("product_id", pa.string()),
        ("marketplace", pa.string()),
        ("fulfillment_channel", pa.string()),
        ("handling_days", pa.int64()),
        ("return_window_days", pa.int64()),
        ("free_returns", pa.bool_()),
        ("windows", _windows(OFFER_COUNT_FIELDS)),
    ]
)
SCHEMAS: Final = {"sellers": SELLER_SCHEMA, "offers": OFFER_SCHEMA}


def is_parquet(name: str | Path) -> bool:
    """True for a data file read as Parquet (by its name), False for JSON Lines."""
    return str(name).endswith(SUFFIX)


def one_line(error: Exception) -> str:
    """An Arrow error's message on one line (some span several)."""
    return " ".join(str(error).split())


def column_problems(directory: Path, manifest: Manifest) -> list[str]:
    """Problems of the manifest's Parquet files' columns, as 'file: column: problem'.

    Checked before any row: a column missing or of the wrong type is one problem, not one
    per row.
    """
    problems = []
    for kind, entry in (("sellers", manifest.sellers), ("offers", manifest.offers)):
        if not is_parquet(entry.path):
            continue
        try:
            actual = pq.read_schema(directory / entry.path)
        except (pa.ArrowException, OSError) as error:
            problems.append(f"{entry.path}: not a readable Parquet file: {one_line(error)}")
            continue
        problems += [f"{entry.path}: {p}" for p in _field_problems(SCHEMAS[kind], actual, "")]
    return problems


def _field_problems(
    expected: Iterable[pa.Field], actual: Iterable[pa.Field], prefix: str
) -> list[str]:
    """Missing, duplicate, unknown and mistyped columns, named by their dotted path."""
    found: dict[str, pa.Field] = {}
    problems = []
    for field in actual:
        if field.name in found:
            problems.append(f"{prefix}{field.name}: duplicate column")
        found.setdefault(field.name, field)
    names = {field.name for field in expected}
    for field in expected:
        path = prefix + field.name
        if field.name not in found:
            problems.append(f"{path}: missing column")
        else:
            problems += _type_problems(field.type, found[field.name].type, path)
    return problems + [f"{prefix}{name}: unknown column" for name in found if name not in names]


def _type_problems(expected: pa.DataType, actual: pa.DataType, path: str) -> list[str]:
    if pa.types.is_struct(expected) and pa.types.is_struct(actual):
        return _field_problems(expected, actual, f"{path}.")
    if _holds(expected, actual):
        return []
    return [f"{path}: column is {actual}, must be {_described(expected)}"]


def _holds(expected: pa.DataType, actual: pa.DataType) -> bool:
    """Whether a column of type `actual` holds the values `expected` stands for.

    Any integer width will do (Spark writes an IntegerType as int32): the record rules bound
    the values. Amounts must be double: a float32 amount is not the amount its writer meant.
    """
    if pa.types.is_integer(expected):
        return pa.types.is_integer(actual)
    if pa.types.is_string(expected):
        if pa.types.is_dictionary(actual):
            actual = actual.value_type
        return pa.types.is_string(actual) or pa.types.is_large_string(actual)
    if pa.types.is_list(expected):
        a_list = (pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list)
        return any(is_a(actual) for is_a in a_list) and _holds(
            expected.value_type, actual.value_type
        )
    return bool(actual == expected)


def _described(expected: pa.DataType) -> str:
    if pa.types.is_integer(expected):
        return "an integer type (int64 or narrower)"
    if pa.types.is_list(expected):
        return "a list of integers"
    if pa.types.is_struct(expected):
        return "a struct of " + ", ".join(field.name for field in expected)
    return str(expected)


def batch_records(batch: pa.RecordBatch) -> list[Record]:
    """The batch's rows as the records their JSONL lines parse to: dates as YYYY-MM-DD,
    structs as dicts, lists as lists, nulls as None."""
    for index, field in enumerate(batch.schema):
        if pa.types.is_date32(field.type):
            batch = batch.set_column(index, field.name, batch.column(index).cast(pa.string()))
    records: list[Record] = batch.to_pylist()
    return records


def write_parquet(
    path: Path, kind: str, records: Iterator[Record], progress: Progress
) -> dict[str, Any]:
    """Write records to a Parquet file of the kind's schema; its manifest entry."""
    schema = SCHEMAS[kind]
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        group: list[pa.RecordBatch] = []
        while batch := list(islice(records, BATCH_ROWS)):
            group.append(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
            progress(len(batch))
            if len(group) * BATCH_ROWS >= _ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(group, schema))
                group = []
        if group:
            writer.write_table(pa.Table.from_batches(group, schema))
    return {"path": path.name, "records": count, "sha256": file_sha256(path)}
