"""Reading the ranking answer's Arrow tables in tests: matrices and metadata."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa


def matrix(table: pa.Table, column: str, width: int) -> np.ndarray:  # type: ignore[type-arg]
    """A fixed-size list column (`values` or `missing`) as an (ids x width) matrix."""
    flat = table[column].combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(table.num_rows, width)


def table_metadata(table: pa.Table) -> dict[str, Any]:
    """The schema's metadata, its JSON values (lists and the degraded flag) read."""
    found = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    return found | {k: json.loads(found[k]) for k in ("feature_names", "missing", "degraded")}
