"""The media types an answer comes in: the caller's Accept picks one, and the ranking answer
as an Arrow IPC stream, for callers that want its arrays without parsing JSON numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import orjson
import pyarrow as pa
from flask import Response, request
from werkzeug.exceptions import NotAcceptable

from trust_signals.api.extension import DEGRADED_HEADER
from trust_signals.service.answers import FeaturesAnswer

JSON: Final = "application/json"
ARROW_STREAM: Final = "application/vnd.apache.arrow.stream"
SNAPSHOT_HEADER: Final = "X-Trust-Signals-Snapshot-Id"
CONFIG_HEADER: Final = "X-Trust-Signals-Config-Version"
SCHEMA_HEADER: Final = "X-Trust-Signals-Schema-Version"
# The Arrow answer's envelope is in its schema metadata; these repeat it for proxies and logs.
ARROW_HEADERS: Final = (
    (SNAPSHOT_HEADER, "Arrow answers: the snapshot the answer was computed from"),
    (CONFIG_HEADER, "Arrow answers: the config version it was computed under"),
    (SCHEMA_HEADER, "Arrow answers: the feature schema's version"),
)


def negotiated(offered: Sequence[str]) -> str:
    """The one of `offered` the caller's Accept prefers, the first without an Accept header;
    406 when it accepts none of them."""
    accepted = request.accept_mimetypes
    if not accepted:
        return offered[0]
    chosen = accepted.best_match(offered)
    if chosen is None:
        raise NotAcceptable(f"this answer comes as {' or '.join(offered)}")
    return chosen


def _rows(matrix: np.ndarray, kind: pa.DataType) -> pa.Array:
    """The matrix's rows as fixed-size lists over its flattened values, without a Python
    object per row. from_buffers rather than from_arrays: it takes the row count, so a
    schema of no features still has one (empty) row per id."""
    rows, width = matrix.shape
    flat = pa.array(np.ascontiguousarray(matrix).reshape(-1), type=kind)
    return pa.Array.from_buffers(pa.list_(kind, width), rows, [None], children=[flat])


def features_batch(found: FeaturesAnswer) -> pa.RecordBatch:
    """One row per id asked (`offer_id`, `values` float32 and `missing` bool, both of the
    schema's width), with the answer's envelope in the schema's metadata."""
    envelope = found.envelope
    metadata = {
        "snapshot_id": envelope.snapshot_id,
        "config_version": envelope.config_version,
        "marketplace": envelope.marketplace,
        "schema_version": found.schema_version,
        "feature_names": orjson.dumps(found.feature_names).decode(),
        "missing": orjson.dumps(found.missing).decode(),
        "degraded": "true" if found.degraded else "false",
    }
    return pa.RecordBatch.from_arrays(
        [
            pa.array(found.offer_ids, type=pa.string()),
            _rows(found.values.astype(np.float32, copy=False), pa.float32()),
            _rows(found.missing_mask.astype(np.bool_, copy=False), pa.bool_()),
        ],
        names=["offer_id", "values", "missing"],
        metadata=metadata,
    )


def arrow_features_response(found: FeaturesAnswer) -> Response:
    """The ranking answer as an Arrow IPC stream of one record batch, its envelope also in
    the ARROW_HEADERS."""
    batch = features_batch(found)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    response = Response(sink.getvalue().to_pybytes(), mimetype=ARROW_STREAM)
    response.headers[SNAPSHOT_HEADER] = found.envelope.snapshot_id
    response.headers[CONFIG_HEADER] = found.envelope.config_version
    response.headers[SCHEMA_HEADER] = found.schema_version
    if found.degraded:
        response.headers[DEGRADED_HEADER] = "true"
    return response
