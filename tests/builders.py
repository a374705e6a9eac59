"""Test builders: valid snapshot records and snapshot directories; override what matters."""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from trust_signals.domain.snapshots import WINDOW_DAYS, WINDOWS
from trust_signals.ingest.parquet import SCHEMAS

Record = dict[str, Any]
# A line of a snapshot file: a record, or raw text/bytes written as they are (for bad lines).
Line = Mapping[str, Any] | str | bytes

_SELLER_COUNTS_30D: dict[str, Any] = {
    "orders": 120,
    "shipments": 118,
    "late_shipments": 3,
    "shipments_with_valid_tracking": 115,
    "on_time_tracked_shipments": 112,
    "late_deliveries": 4,
    "cancellations": 1,
    "damaged": 1,
    "not_as_described": 1,
    "fq_claims": 0,
    "fq_negative_feedback": 1,
    "contacts": 30,
    "contacts_answered_24h": 28,
    "contacts_unsatisfactory": 2,
    "returns": 5,
    "return_dissatisfaction": 1,
    "cs_claims": 0,
    "cs_negative_feedback": 0,
    "first_messages": 20,
    "first_messages_answered_24h": 19,
    "feedback_count": 40,
    "positive_feedback": 37,
    "defective_orders": 2,
    "transactions": 120,
    "transaction_defects": 2,
    "transaction_defect_buyers": 2,
    "cases_closed_without_resolution": 0,
    "domestic_transactions": 110,
    "sales_amount": 4200.5,
    "domestic_sales_amount": 3900.25,
    "ratings": [1, 1, 2, 6, 30],
}
_OFFER_COUNTS_30D: dict[str, int] = {
    "orders": 40,
    "on_time_deliveries": 37,
    "late_deliveries": 2,
    "cancellations": 1,
    "damaged": 0,
    "not_as_described": 1,
    "returns": 3,
}


def _scaled(counts: Mapping[str, Any], window: str) -> dict[str, Any]:
    # Scaling every count by the same factor keeps each event within its opportunity.
    factor = WINDOW_DAYS[window] // 30
    return {
        name: [n * factor for n in value] if isinstance(value, list) else value * factor
        for name, value in counts.items()
    }


def seller_counts(window: str = "30d", **overrides: Any) -> Record:
    """Valid seller counts for one window."""
    return {**_scaled(_SELLER_COUNTS_30D, window), **overrides}


def offer_counts(window: str = "30d", **overrides: Any) -> Record:
    """Valid offer counts for one window."""
    return {**_scaled(_OFFER_COUNTS_30D, window), **overrides}


def seller_record(**overrides: Any) -> Record:
    """A valid sellers.jsonl record (a fresh dict: mutate it freely)."""
    return {
        "seller_id": "S-1",
        "marketplace": "US",
        "tenure_days": 400,
        "first_sale_date": "2025-10-01",
        "location": "US",
        "category_group": "electronics",
        "fulfillment_channel": "fba",
        "cs_provider": "marketplace_cs",
        "first_party": False,
        "windows": {window: seller_counts(window) for window in WINDOWS},
        **overrides,
    }


def offer_record(**overrides: Any) -> Record:
    """A valid offers.jsonl record (a fresh dict: mutate it freely)."""
    return {
        "offer_id": "O-1",
        "seller_id": "S-1",
        "product_id": "P-1",
        "marketplace": "US",
        "fulfillment_channel": "fba",
        "handling_days": 1,
        "return_window_days": 30,
        "free_returns": True,
        "windows": {window: offer_counts(window) for window in WINDOWS},
        **overrides,
    }


def _jsonl(lines: Iterable[Line]) -> bytes:
    out = bytearray()
    for line in lines:
        if isinstance(line, str):
            out += line.encode()
        elif isinstance(line, bytes):
            out += line
        else:
            out += orjson.dumps(line)
        out += b"\n"
    return bytes(out)


def parquet_bytes(records: Iterable[Any], schema: pa.Schema) -> bytes:
    """A Parquet file of the records under `schema`, one row group; dates may be YYYY-MM-DD."""
    dates = [f.name for f in schema if pa.types.is_date32(f.type)]
    rows = [
        {**r, **{n: date.fromisoformat(r[n]) for n in dates if isinstance(r.get(n), str)}}
        for r in records
    ]
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), out)
    return out.getvalue()


def write_snapshot_dir(
    path: Path,
    sellers: Iterable[Line],
    offers: Iterable[Line],
    *,
    marketplace: str = "US",
    snapshot_id: str | None = None,
    as_of: date | str = "2026-11-27",
    compress: bool = False,
    parquet: Mapping[str, pa.Schema] | bool = False,
) -> Path:
    """A snapshot directory with both files and a manifest that matches them; returns `path`.

    `parquet`: True writes both files as Parquet of their own schema; a mapping, the kinds it
    names as Parquet of the schema it gives (lines must then be records).
    """
    as_of = as_of if isinstance(as_of, str) else as_of.isoformat()
    path.mkdir(parents=True, exist_ok=True)
    schemas = SCHEMAS if parquet is True else parquet or {}
    files = {}
    for kind, lines in (("sellers", list(sellers)), ("offers", list(offers))):
        if kind in schemas:
            data, name = parquet_bytes(lines, schemas[kind]), f"{kind}.parquet"
        elif compress:
            data, name = gzip.compress(_jsonl(lines), mtime=0), f"{kind}.jsonl.gz"
        else:
            data, name = _jsonl(lines), f"{kind}.jsonl"
        (path / name).write_bytes(data)
        files[kind] = {
            "path": name,
            "records": len(lines),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    manifest = {
        "schema_version": 1,
        "snapshot_id": snapshot_id or f"{marketplace}-{as_of}",
        "marketplace": marketplace,
        "as_of": as_of,
        "files": files,
    }
    (path / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return path


def read_manifest_dict(path: Path) -> Record:
    """The manifest of a snapshot directory, as a dict (to tamper with in tests)."""
    return dict(orjson.loads((path / "manifest.json").read_bytes()))


def write_manifest_dict(path: Path, manifest: Mapping[str, Any]) -> None:
    """Overwrite a snapshot directory's manifest."""
    (path / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
