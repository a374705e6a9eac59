"""load_snapshot of Parquet data files: the JSONL form's records, rules and problems, by row."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.builders import (
    Record,
    offer_record,
    read_manifest_dict,
    seller_record,
)
from tests.integration.test_loader import (
    _rewrite_with_checksum,
    default_artifacts,
    offers,
    problems_of,
    seller_ids_and_pid,
    sellers,
    snapshot,
)
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.ingest.loader import load_snapshot
from trust_signals.ingest.parquet import BATCH_ROWS, OFFER_SCHEMA, SCHEMAS, SELLER_SCHEMA
from trust_signals.store.codec import offer_from_dict, seller_from_dict
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteSnapshotStore]:
    store = SqliteSnapshotStore(tmp_path / "store")
    yield store
    store.close()


def parquet_snapshot(
    tmp_path: Path, offer_records: list[Any] | None = None, **options: Any
) -> Path:
    """A valid 3-seller, 3-offer snapshot directory of Parquet files unless told otherwise."""
    return snapshot(tmp_path, offer_records, **{"parquet": True, **options})


def test_parquet_snapshot_stores_what_its_jsonl_form_does(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    seller_records = [*sellers(2), seller_record(seller_id="S-2", first_sale_date=None)]

    info = load_snapshot(parquet_snapshot(tmp_path, sellers=seller_records), store)

    assert (info.seller_count, info.offer_count, info.active) == (3, 3, True)
    assert store.get_sellers(info.snapshot_id, ["S-0", "S-1", "S-2"]) == [
        seller_from_dict(record) for record in seller_records
    ]
    assert store.get_offers(info.snapshot_id, ["O-0", "O-1", "O-2"]) == [
        offer_from_dict(record) for record in offers(3)
    ]


def test_generated_parquet_loads_the_same_records_as_the_jsonl_of_the_same_seed(
    tmp_path: Path,
) -> None:
    loaded = {}
    for file_format in ("jsonl", "parquet"):
        (directory,) = generate_snapshots(
            tmp_path / file_format,
            sellers=300,
            offers=3000,
            marketplaces=["DE"],
            seed=5,
            as_of=date(2026, 11, 27),
            file_format=file_format,
        )
        store = SqliteSnapshotStore(tmp_path / f"store-{file_format}")
        info = load_snapshot(directory, store, cohort_artifacts=default_artifacts(directory))
        loaded[file_format] = store, info.snapshot_id
    seller_ids = ids_of(tmp_path / "jsonl" / "DE", "sellers")
    offer_ids = ids_of(tmp_path / "jsonl" / "DE", "offers")

    (jsonl, jsonl_id), (parquet, parquet_id) = loaded["jsonl"], loaded["parquet"]
    assert (len(seller_ids), len(offer_ids)) == (300, 3000)
    assert parquet.get_sellers(parquet_id, seller_ids) == jsonl.get_sellers(jsonl_id, seller_ids)
    assert parquet.get_offers(parquet_id, offer_ids) == jsonl.get_offers(jsonl_id, offer_ids)
    assert None not in jsonl.get_sellers(jsonl_id, seller_ids) + jsonl.get_offers(
        jsonl_id, offer_ids
    )
    for artifact in ("programs", "first_party"):
        assert parquet.get_artifact(parquet_id, artifact) == jsonl.get_artifact(jsonl_id, artifact)
    jsonl.close()
    parquet.close()


def ids_of(directory: Path, kind: str) -> list[str]:
    """The record ids of a generated JSONL data file, in file order."""
    entry = read_manifest_dict(directory)["files"][kind]
    lines = gzip.decompress((directory / entry["path"]).read_bytes()).splitlines()
    id_field = "seller_id" if kind == "sellers" else "offer_id"
    return [orjson.loads(line)[id_field] for line in lines]


def retyped(schema: pa.Schema, path: str, new: pa.DataType | None) -> pa.Schema:
    """The schema with the column at the dotted path of type `new`: added, changed, or (None)
    dropped."""
    return pa.schema(_retyped(list(schema), path.split("."), new))


def _retyped(fields: list[pa.Field], path: list[str], new: pa.DataType | None) -> list[pa.Field]:
    name, *rest = path
    if rest:
        return [
            pa.field(name, pa.struct(_retyped(list(f.type), rest, new))) if f.name == name else f
            for f in fields
        ]
    if new is None:
        return [f for f in fields if f.name != name]
    if name not in [f.name for f in fields]:
        return [*fields, pa.field(name, new)]
    return [pa.field(name, new) if f.name == name else f for f in fields]


def _with_value(record: Record, path: str, value: Any) -> Record:
    *parents, name = path.split(".")
    inner = record
    for parent in parents:
        inner = inner[parent]
    inner[name] = value
    return record


INTEGER = "must be an integer type (int64 or narrower)"
COLUMN_RULES = [
    ("bad type", "offers", "handling_days", pa.string(), "1",
     f"handling_days: column is string, {INTEGER}"),
    ("bad count type", "offers", "windows.30d.orders", pa.float64(), 40.0,
     f"windows.30d.orders: column is double, {INTEGER}"),
    ("float32 amount", "sellers", "windows.90d.sales_amount", pa.float32(), 1.0,
     "windows.90d.sales_amount: column is float, must be double"),
    ("date as string", "sellers", "first_sale_date", pa.string(), "2025-10-01",
     "first_sale_date: column is string, must be date32[day]"),
    ("ratings of floats", "sellers", "windows.365d.ratings", pa.list_(pa.float64()), [1.0] * 5,
     "windows.365d.ratings: column is list<element: double>, must be a list of integers"),
    ("windows as text", "offers", "windows", pa.string(), "{}",
     "windows: column is string, must be a struct of 30d, 90d, 365d"),
    ("missing column", "offers", "handling_days", None, None, "handling_days: missing column"),
    ("missing window", "offers", "windows.365d", None, None, "windows.365d: missing column"),
    ("missing count", "sellers", "windows.30d.returns", None, None,
     "windows.30d.returns: missing column"),
    ("unknown column", "offers", "discount", pa.int64(), 5, "discount: unknown column"),
    ("unknown count", "offers", "windows.30d.refunds", pa.int64(), 0,
     "windows.30d.refunds: unknown column"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "path", "new", "value", "problem"),
    [rule[1:] for rule in COLUMN_RULES],
    ids=[rule[0] for rule in COLUMN_RULES],
)
def test_a_column_unlike_the_schema_is_one_problem_naming_it(
    tmp_path: Path,
    store: SqliteSnapshotStore,
    kind: str,
    path: str,
    new: pa.DataType | None,
    value: Any,
    problem: str,
) -> None:
    records = {"sellers": sellers(3), "offers": offers(3)}
    for record in records[kind]:
        _with_value(record, path, value)
    schemas = {**SCHEMAS, kind: retyped(SCHEMAS[kind], path, new)}
    directory = parquet_snapshot(
        tmp_path, records["offers"], sellers=records["sellers"], parquet=schemas
    )

    assert problems_of(directory, store) == [f"{kind}.parquet: {problem}"]
    assert store.list_snapshots() == []


def test_column_problems_of_both_files_are_reported_together(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    schemas = {
        "sellers": retyped(SELLER_SCHEMA, "tenure_days", None),
        "offers": retyped(retyped(OFFER_SCHEMA, "free_returns", None), "discount", pa.int64()),
    }

    assert problems_of(parquet_snapshot(tmp_path, parquet=schemas), store) == [
        "sellers.parquet: tenure_days: missing column",
        "offers.parquet: free_returns: missing column",
        "offers.parquet: discount: unknown column",
    ]


def test_a_repeated_column_is_reported(tmp_path: Path, store: SqliteSnapshotStore) -> None:
    directory = parquet_snapshot(tmp_path)
    table = pa.Table.from_pylist(offers(3), schema=OFFER_SCHEMA)
    repeated = table.append_column("handling_days", table.column("handling_days"))
    _rewrite_with_checksum(directory, "offers", _parquet_of(repeated))

    assert problems_of(directory, store) == ["offers.parquet: handling_days: duplicate column"]


def _parquet_of(table: pa.Table, **options: Any) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **options)
    return out.getvalue()


def test_seller_problems_are_those_of_the_jsonl_form_by_row(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    records = sellers(4)
    records[1]["location"] = "us"
    records[2]["windows"]["365d"]["ratings"] = [1, 2, 3, 4]
    records[3]["windows"]["30d"].update(domestic_sales_amount=5000.0, sales_amount=4000.0)
    jsonl = problems_of(parquet_snapshot(tmp_path, sellers=records, parquet=False), store)

    problems = problems_of(parquet_snapshot(tmp_path, sellers=records, name="pq"), store)

    assert problems == [p.replace("sellers.jsonl", "sellers.parquet") for p in jsonl]
    assert problems == [
        "sellers.parquet:2: location: String does not match expected pattern.",
        "sellers.parquet:3: windows.365d.ratings: must hold five counts, for 1 to 5 stars",
        "sellers.parquet:4: windows.30d.domestic_sales_amount: "
        "must not exceed sales_amount (4000.0)",
    ]


def test_rules_across_records_name_the_rows(tmp_path: Path, store: SqliteSnapshotStore) -> None:
    records = [
        *offers(2),
        offer_record(offer_id="O-0", seller_id="S-1"),
        offer_record(offer_id="O-7", seller_id="S-404"),
        offer_record(offer_id="O-8", seller_id="S-0", marketplace="DE"),
    ]

    assert problems_of(parquet_snapshot(tmp_path, records), store) == [
        "offers.parquet:3: offer_id: duplicate 'O-0', first on row 1",
        "offers.parquet:4: seller_id: 'S-404' is not in sellers.parquet",
        "offers.parquet:5: marketplace: 'DE' is not the manifest's 'US'",
    ]


def test_corrupt_row_data_is_reported_at_the_row_it_stops(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    directory = parquet_snapshot(tmp_path)
    table = pa.Table.from_pylist(offers(BATCH_ROWS + 10), schema=OFFER_SCHEMA)
    data = bytearray(_parquet_of(table, row_group_size=BATCH_ROWS))
    column = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(1).column(0)
    start = column.dictionary_page_offset or column.data_page_offset  # its first page header
    data[start : start + 16] = b"\xff" * 16
    _rewrite_with_checksum(directory, "offers", bytes(data))

    (problem,) = problems_of(directory, store)

    assert problem.startswith(f"offers.parquet:{BATCH_ROWS + 1}: unreadable Parquet data: ")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_of_more_rows_than_a_batch_is_read_and_stored_batch_by_batch(
    tmp_path: Path, store: SqliteSnapshotStore, workers: int
) -> None:
    records = offers(2 * BATCH_ROWS + 1)
    directory = parquet_snapshot(tmp_path, records)  # one row group: batches cut it
    read: list[int] = []

    info = load_snapshot(
        directory, store, workers=workers, progress=read.append, cohort_artifacts=seller_ids_and_pid
    )

    assert read == [3, BATCH_ROWS, BATCH_ROWS, 1]
    assert store.get_offers(
        info.snapshot_id, ["O-0", f"O-{BATCH_ROWS}", f"O-{2 * BATCH_ROWS}"]
    ) == [offer_from_dict(records[n]) for n in (0, BATCH_ROWS, 2 * BATCH_ROWS)]
    assert store.get_artifact(info.snapshot_id, "ids") == b"S-0,S-1,S-2"


def test_problems_in_later_batches_carry_their_row_in_the_file(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    records = offers(2 * BATCH_ROWS + 1)
    records[10]["windows"]["30d"]["damaged"] = 99
    records[BATCH_ROWS + 5]["seller_id"] = "S-9"
    records[-1]["handling_days"] = 99
    directory = parquet_snapshot(tmp_path, records)

    problems = problems_of(directory, store, workers=2)

    assert problems == problems_of(directory, store, workers=1)
    assert [p.split(": ")[0] for p in problems] == [
        "offers.parquet:11",
        f"offers.parquet:{BATCH_ROWS + 6}",
        f"offers.parquet:{2 * BATCH_ROWS + 1}",
    ]


def _as_spark_might(data_type: pa.DataType) -> pa.DataType:
    """The type with narrower integers and dictionary-encoded strings, as other writers use."""
    if pa.types.is_struct(data_type):
        return pa.struct([pa.field(f.name, _as_spark_might(f.type)) for f in data_type])
    if pa.types.is_list(data_type):
        return pa.list_(pa.int32())
    if pa.types.is_int64(data_type):
        return pa.int32()
    if pa.types.is_string(data_type):
        return pa.dictionary(pa.int32(), pa.string())
    return data_type


def test_narrower_integers_and_dictionary_strings_load_as_the_same_records(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    schemas = {
        kind: pa.schema([pa.field(f.name, _as_spark_might(f.type)) for f in schema])
        for kind, schema in SCHEMAS.items()
    }

    info = load_snapshot(parquet_snapshot(tmp_path, parquet=schemas), store)

    assert store.get_sellers(info.snapshot_id, ["S-0", "S-2"]) == [
        seller_from_dict(sellers(3)[n]) for n in (0, 2)
    ]
    assert store.get_offers(info.snapshot_id, ["O-1"]) == [offer_from_dict(offers(3)[1])]
