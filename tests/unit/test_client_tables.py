"""The client's ranking tables: Arrow streams read and checked, defaults for failed batches,
batches joined in order; and pyarrow optional for the rest of the client."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

import trust_signals.client
from tests.arrow_tables import matrix, table_metadata
from trust_signals.client import MalformedResponse, TrustSignalsClient
from trust_signals.client.tables import TableBatch, default_rows, joined, read_batch, table_schema

NAMES = ("orders_log", "on_time", "tenure_days")
ENVELOPE = {
    "snapshot_id": "US-A",
    "config_version": "c1",
    "marketplace": "US",
    "schema_version": "fs-1",
    "feature_names": json.dumps(NAMES),
    "missing": json.dumps(["ghost"]),
    "degraded": "false",
}
VALUES = [[4.5, 0.95, 400.0], [0.0, 0.5, 0.0]]
MASKS = [[False, False, False], [True, True, True]]


def rows(ids: list[str], values: list[list[float]], masks: list[list[bool]]) -> pa.Table:
    """A table in the answer's layout, built the plain way."""
    width = len(values[0]) if values else 0
    return pa.table(
        {
            "offer_id": pa.array(ids, pa.string()),
            "values": pa.array(values, pa.list_(pa.float32(), width)),
            "missing": pa.array(masks, pa.list_(pa.bool_(), width)),
        }
    )


def stream(table: pa.Table, **metadata: str) -> bytes:
    """`table` as an Arrow IPC stream, with `metadata` on its schema."""
    table = table.replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def batch(ids: list[str], values: list[list[float]], masks: list[list[bool]]) -> TableBatch:
    return read_batch(stream(rows(ids, values, masks), **ENVELOPE), ids)


def test_a_stream_is_read_with_its_envelope_and_rows() -> None:
    read = batch(["O-1", "ghost"], VALUES, MASKS)
    assert (read.snapshot_id, read.config_version, read.schema_version) == ("US-A", "c1", "fs-1")
    assert (read.feature_names, read.missing) == (NAMES, ("ghost",))
    assert read.table == rows(["O-1", "ghost"], VALUES, MASKS)


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        pytest.param(b"<html>upstream says hi</html>", ["O-1", "ghost"], id="html"),
        pytest.param(b'{"snapshot_id": "US-A"}', ["O-1", "ghost"], id="json"),
        pytest.param(b"", ["O-1", "ghost"], id="empty"),
        pytest.param(stream(rows(["O-1", "ghost"], VALUES, MASKS), **ENVELOPE), ["O-1"], id="ids"),
        pytest.param(
            stream(rows(["O-1", "ghost"], VALUES, MASKS), **ENVELOPE | {"feature_names": "[]"}),
            ["O-1", "ghost"],
            id="width",
        ),
        pytest.param(
            stream(rows(["O-1", "ghost"], VALUES, MASKS), **ENVELOPE | {"missing": "ghost"}),
            ["O-1", "ghost"],
            id="missing-not-json",
        ),
        pytest.param(
            stream(rows(["O-1"], [[1.0, 2.0, 3.0]], [[False] * 3]), marketplace="US"),
            ["O-1"],
            id="no-envelope",
        ),
        pytest.param(
            stream(
                pa.table({"offer_id": ["O-1"], "values": pa.array([[1.0, 2.0, 3.0]])}), **ENVELOPE
            ),
            ["O-1"],
            id="columns",
        ),
    ],
)
def test_a_body_that_is_not_the_documented_stream_is_malformed(body: bytes, ids: list[str]) -> None:
    with pytest.raises(MalformedResponse):
        read_batch(body, ids)


def test_defaults_are_read_off_masked_positions_as_json_would_carry_them() -> None:
    read = batch(
        ["O-1", "ghost", "O-2"],
        [[1.0, 0.95, 400.0], [0.0, 0.95, 7.0], [0.0, 0.0, 1.0]],
        [[False, False, False], [True, True, False], [False, False, False]],
    )
    # 0.95 as float32 is 0.949999988...; JSON says 0.95, and so does the table's client.
    assert read.defaults_seen() == [0.0, 0.95, None]


def test_rows_of_defaults_are_all_masked_with_nan_where_a_default_is_unknown() -> None:
    table = default_rows(["O-1", "O-2"], [0.0, None, 2.5])
    values = matrix(table, "values", 3)
    assert np.isnan(values[:, 1]).all()
    assert values[:, [0, 2]].tolist() == [[0.0, 2.5], [0.0, 2.5]]
    assert table["missing"].to_pylist() == [[True] * 3, [True] * 3]


def test_batches_join_in_order_with_defaults_where_one_failed() -> None:
    first = batch(["O-1", "ghost"], VALUES, MASKS)
    table = joined("US", [["O-1", "ghost"], ["O-2"]], [first, None], "fs-1", NAMES, [0, 0.5, 0])

    assert table.replace_schema_metadata(None) == rows(
        ["O-1", "ghost", "O-2"], [*VALUES, [0.0, 0.5, 0.0]], [*MASKS, [True] * 3]
    )
    assert table_metadata(table) == {
        "snapshot_id": "US-A",
        "config_version": "c1",
        "marketplace": "US",
        "schema_version": "fs-1",
        "feature_names": list(NAMES),
        "missing": ["ghost"],
        "degraded": True,
    }


def test_a_batch_under_another_schema_gets_defaults_rather_than_its_columns() -> None:
    older = read_batch(
        stream(
            rows(["O-1"], [[1.0, 2.0]], [[False] * 2]),
            **ENVELOPE
            | {"schema_version": "fs-0", "feature_names": json.dumps(NAMES[:2]), "missing": "[]"},
        ),
        ["O-1"],
    )
    newer = batch(["O-2", "ghost"], VALUES, MASKS)
    table = joined("US", [["O-1"], ["O-2", "ghost"]], [older, newer], "fs-1", NAMES, [0, 0.5, 0])

    assert table["missing"].to_pylist()[0] == [True] * 3
    assert table_metadata(table)["degraded"] is True


def test_with_no_answer_and_no_schema_known_the_table_has_no_features() -> None:
    table = joined("US", [["O-1", "O-2"]], [None], None, (), ())

    assert table.schema.remove_metadata() == table_schema(0)
    assert table["offer_id"].to_pylist() == ["O-1", "O-2"]
    assert table_metadata(table) == {
        "marketplace": "US",
        "feature_names": [],
        "missing": [],
        "degraded": True,
    }


def test_features_table_without_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    monkeypatch.delitem(sys.modules, "trust_signals.client.tables")
    monkeypatch.delattr(trust_signals.client, "tables")

    with (
        TrustSignalsClient("http://127.0.0.1:1") as client,
        pytest.raises(ModuleNotFoundError, match=r"pip install 'trust-signals\[arrow\]'"),
    ):
        client.features_table("US", ["O-1"])


def test_the_client_imports_without_pyarrow() -> None:
    code = "import sys, trust_signals.client; print('pyarrow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
