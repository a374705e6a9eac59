"""Ranking answers as pyarrow Tables: each batch's Arrow stream read and checked, rows of
defaults for the batches that failed, and the batches joined in the order asked.

Only `TrustSignalsClient.features_table` imports this module, so the rest of the client
works without pyarrow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa

from trust_signals.client.results import MalformedResponse

ARROW_STREAM: Final = "application/vnd.apache.arrow.stream"


def table_schema(width: int) -> pa.Schema:
    """The columns of an answer whose schema has `width` features."""
    return pa.schema(
        [
            ("offer_id", pa.string()),
            ("values", pa.list_(pa.float32(), width)),
            ("missing", pa.list_(pa.bool_(), width)),
        ]
    )


def _matrix(column: pa.ChunkedArray, width: int) -> np.ndarray:
    """A fixed-size list column as an (ids x width) matrix."""
    flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(column), width)


@dataclass(frozen=True, slots=True)
class TableBatch:
    """One batch's answer: its envelope, and its rows without metadata."""

    snapshot_id: str
    config_version: str
    schema_version: str
    feature_names: tuple[str, ...]
    missing: tuple[str, ...]
    table: pa.Table

    def defaults_seen(self) -> list[float | None]:
        """Each feature's default as a masked position shows it (the service fills them
        with the configured default); None where no row is masked."""
        width = len(self.feature_names)
        values = _matrix(self.table["values"], width)
        masked = _matrix(self.table["missing"], width)
        seen = values[masked.argmax(axis=0), np.arange(width)]
        # str() gives the shortest decimal, the one JSON carries, so features() and
        # features_table() learn the very same default.
        any_masked: list[bool] = np.asarray(masked.any(axis=0)).tolist()
        return [float(str(v)) if m else None for v, m in zip(seen, any_masked, strict=True)]


def _text(metadata: dict[bytes, bytes], key: str) -> str:
    try:
        return metadata[key.encode()].decode()
    except (KeyError, UnicodeDecodeError):
        raise MalformedResponse(f"the Arrow stream's metadata lacks {key!r}") from None


def _ids(metadata: dict[bytes, bytes], key: str) -> tuple[str, ...]:
    try:
        found = json.loads(_text(metadata, key))
    except ValueError:
        found = None
    if not isinstance(found, list) or not all(isinstance(i, str) for i in found):
        raise MalformedResponse(f"the Arrow stream's {key!r} is not a JSON list of strings")
    return tuple(found)


def read_batch(content: bytes, ids: Sequence[str]) -> TableBatch:
    """One batch's Arrow stream, checked against the documented columns and the ids asked."""
    try:
        table = pa.ipc.open_stream(content).read_all()
    except (pa.ArrowException, OSError):  # OSError: a bad message length
        raise MalformedResponse("the body is not an Arrow stream") from None
    metadata = table.schema.metadata or {}
    names = _ids(metadata, "feature_names")
    table = table.replace_schema_metadata(None)
    if table.schema != table_schema(len(names)):
        raise MalformedResponse("the Arrow stream's columns do not match feature_names")
    if table["offer_id"].to_pylist() != list(ids):
        raise MalformedResponse("offer_id does not echo the ids asked")
    return TableBatch(
        snapshot_id=_text(metadata, "snapshot_id"),
        config_version=_text(metadata, "config_version"),
        schema_version=_text(metadata, "schema_version"),
        feature_names=names,
        missing=_ids(metadata, "missing"),
        table=table,
    )


def _rows(flat: np.ndarray, kind: pa.DataType, ids: int, width: int) -> pa.Array:
    # from_buffers takes the row count, so an unknown schema (no features) still has rows.
    values = pa.array(flat, type=kind)
    return pa.Array.from_buffers(pa.list_(kind, width), ids, [None], children=[values])


def default_rows(ids: Sequence[str], defaults: Sequence[float | None]) -> pa.Table:
    """Rows for ids without an answer: the defaults (NaN where unknown), all masked."""
    width = len(defaults)
    vector = np.array([math.nan if d is None else d for d in defaults], dtype=np.float32)
    return pa.Table.from_arrays(
        [
            pa.array(ids, type=pa.string()),
            _rows(np.tile(vector, len(ids)), pa.float32(), len(ids), width),
            _rows(np.ones(len(ids) * width, dtype=np.bool_), pa.bool_(), len(ids), width),
        ],
        schema=table_schema(width),
    )


def joined(
    marketplace: str,
    chunks: Sequence[Sequence[str]],
    parts: Sequence[TableBatch | None],
    schema_version: str | None,
    feature_names: tuple[str, ...],
    defaults: Sequence[float | None],
) -> pa.Table:
    """The chunks' rows in order, default rows where a part is None or under another schema
    (its columns could not join the others), and the envelope as the schema's metadata."""
    kept = [
        part
        if part is not None
        and (part.schema_version, part.feature_names) == (schema_version, feature_names)
        else None
        for part in parts
    ]
    answered = [part for part in kept if part is not None]
    envelope: dict[str, Any] = {
        "snapshot_id": answered[-1].snapshot_id if answered else None,
        "config_version": answered[-1].config_version if answered else None,
        "marketplace": marketplace,
        "schema_version": schema_version,
        "feature_names": feature_names,
        "missing": [i for part in answered for i in part.missing],
        "degraded": len(answered) < len(parts),
    }
    tables = [
        part.table if part is not None else default_rows(chunk, defaults)
        for chunk, part in zip(chunks, kept, strict=True)
    ]
    # Unknown values are left out; lists and the flag are JSON, as the service sends them.
    metadata = {
        key: value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        for key, value in envelope.items()
        if value is not None
    }
    return pa.concat_tables(tables).replace_schema_metadata(metadata)
