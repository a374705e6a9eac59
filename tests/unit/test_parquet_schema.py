"""The Parquet schemas hold the record schemas' fields: one format, two encodings."""

from __future__ import annotations

import pyarrow as pa
import pytest

from trust_signals.domain.snapshots import OFFER_COUNT_FIELDS, SELLER_COUNT_FIELDS, WINDOWS
from trust_signals.ingest.parquet import OFFER_SCHEMA, SELLER_SCHEMA
from trust_signals.ingest.records import OfferRecordSchema, SellerRecordSchema


@pytest.mark.parametrize(
    ("schema", "record_schema", "count_fields"),
    [
        (SELLER_SCHEMA, SellerRecordSchema(), SELLER_COUNT_FIELDS),
        (OFFER_SCHEMA, OfferRecordSchema(), OFFER_COUNT_FIELDS),
    ],
    ids=["sellers", "offers"],
)
def test_parquet_schema_names_every_record_field_and_count(
    schema: pa.Schema, record_schema: object, count_fields: tuple[str, ...]
) -> None:
    windows = schema.field("windows").type

    assert sorted(schema.names) == sorted(record_schema.fields)  # type: ignore[attr-defined]
    assert [window.name for window in windows] == list(WINDOWS)
    assert all([f.name for f in window.type] == list(count_fields) for window in windows)
