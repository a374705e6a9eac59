"""Precomputed feature rows of the benchmark snapshot, for the lookup baseline (lookup_app.py).

Every offer's answer to POST /v1/features as the service itself computes it: its own
`TrustSignals` over the benchmark store, under the store's active config, cache off. Rows
are orjson fragments (the vector, the missing mask), so the baseline only looks up and
joins bytes. They are computed in batches on every core (1M offers: about 40 s on two) and
written once to a SQLite file under var/, reused while the snapshots, the config version and
the code that computes them stay the same.

Run from the repository root: `PYTHONPATH=. .venv/bin/python bench/lookup_rows.py`
(`bench/http_ratio.py` calls `ensure_rows` itself).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from multiprocessing import get_context
from pathlib import Path
from typing import Final

import orjson

from load_tests.bench_store import (
    LOADER_CODE,
    SNAPSHOT_DIR,
    STORE_DIR,
    code_fingerprint,
    ensure_loaded,
    ensure_snapshot,
)
from load_tests.server import ROOT
from load_tests.wrk_requests import offer_ids
from trust_signals.bootstrap import build_store, build_trust_signals
from trust_signals.config import load_settings
from trust_signals.service.reads import TrustSignals
from trust_signals.service.view import Market, View

ROWS_FILE: Final = ROOT / "var/bench-lookup-rows.sqlite"
BATCH: Final = 1_000  # offers per service call: bounds the memory, whatever the snapshot size
# What decides a row besides the snapshot and the config: the stored form and the engine.
_ROW_CODE: Final = (
    *LOADER_CODE,
    "domain/*.py",
    "config/*.py",
    "service/*.py",
)
_SCHEMA: Final = """
CREATE TABLE meta (key BLOB NOT NULL);
CREATE TABLE markets (
    marketplace TEXT PRIMARY KEY,
    fixed BLOB NOT NULL,           -- the answer's fixed fields, as a JSON object
    unknown_vector BLOB NOT NULL,  -- what an unknown offer gets: the defaults ...
    unknown_mask BLOB NOT NULL     -- ... all missing
);
CREATE TABLE masks (mask_id INTEGER PRIMARY KEY, mask BLOB NOT NULL);
CREATE TABLE rows (
    marketplace TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    vector BLOB NOT NULL,
    mask_id INTEGER NOT NULL REFERENCES masks
);
"""


def fixed_fields(view: View, market: Market) -> bytes:
    """The fields every answer for the market carries, in the endpoint's key order."""
    schema = market.config.feature_schema
    return orjson.dumps(
        {
            "snapshot_id": market.snapshot.snapshot_id,
            "config_version": view.config.version,
            "marketplace": market.snapshot.marketplace,
            "schema_version": schema.version,
            "feature_names": schema.names,
        }
    )


def stored_key(path: Path) -> bytes | None:
    """The key the rows file was written under; None if there is no complete file."""
    if not path.exists():
        return None
    with closing(sqlite3.connect(path)) as db:
        found = db.execute("SELECT key FROM meta").fetchone()
    return None if found is None else bytes(found[0])


def ensure_rows(
    markets: Mapping[str, Sequence[str]], store_dir: Path = STORE_DIR, out: Path = ROWS_FILE
) -> Path:
    """The rows file for every offer of `markets` (marketplace -> offer ids), written first
    if the snapshots, config version or code changed since it was."""
    view = _open_service(store_dir).view()
    key = orjson.dumps(
        {
            "snapshots": {code: view.market(code).snapshot.snapshot_id for code in markets},
            "config_version": view.config.version,
            "code": code_fingerprint(_ROW_CODE),
        },
        option=orjson.OPT_SORT_KEYS,
    )
    if stored_key(out) == key:
        return out
    scratch = out.with_name(f".{out.name}-writing")
    scratch.unlink(missing_ok=True)
    started = time.perf_counter()
    total = sum(len(ids) for ids in markets.values())
    print(f"computing {total:,} feature rows into {out} ...", flush=True)
    batches = [
        (code, ids[start : start + BATCH])
        for code, ids in markets.items()
        for start in range(0, len(ids), BATCH)
    ]
    masks: dict[bytes, int] = {}
    # One process per core, each with its own service: spawned, since a forked child must
    # not inherit this process's open SQLite connections.
    with (
        get_context("spawn").Pool(os.cpu_count(), _start_process, (store_dir,)) as pool,
        closing(sqlite3.connect(scratch)) as db,
    ):
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO markets VALUES (?, ?, ?, ?)", [_market_row(view, c) for c in markets]
        )
        for rows in pool.imap(_rows, batches):
            db.executemany(
                "INSERT INTO rows VALUES (?, ?, ?, ?)",
                [(c, i, vector, masks.setdefault(mask, len(masks))) for c, i, vector, mask in rows],
            )
        db.executemany("INSERT INTO masks VALUES (?, ?)", [(i, m) for m, i in masks.items()])
        db.execute("INSERT INTO meta VALUES (?)", (key,))
        db.commit()
    scratch.replace(out)  # a half-written file never sits where the next run looks
    print(f"computed in {time.perf_counter() - started:.0f} s", flush=True)
    return out


def _market_row(view: View, code: str) -> tuple[str, bytes, bytes, bytes]:
    market = view.market(code)
    defaults = market.config.feature_schema.defaults
    unknown_mask = [True] * len(defaults)
    return code, fixed_fields(view, market), orjson.dumps(defaults), orjson.dumps(unknown_mask)


def _open_service(store_dir: Path) -> TrustSignals:
    """The real read service over the store, its cache off."""
    settings = load_settings(
        {"TRUST_SIGNALS_STORE": str(store_dir), "TRUST_SIGNALS_CACHE_SIZE": "0"}
    )
    return build_trust_signals(settings, build_store(settings))


_service: TrustSignals | None = None  # a computing process's own


def _start_process(store_dir: Path) -> None:
    global _service
    _service = _open_service(store_dir)


def _rows(batch: tuple[str, Sequence[str]]) -> list[tuple[str, str, bytes, bytes]]:
    """One batch of offers' rows (marketplace, offer id, vector, mask), in a pool process."""
    code, ids = batch
    assert _service is not None
    found = _service.features(code, ids)
    unknown = set(found.missing)
    numpy = orjson.OPT_SERIALIZE_NUMPY
    return [
        (code, offer_id, orjson.dumps(values, option=numpy), orjson.dumps(missing, option=numpy))
        for offer_id, values, missing in zip(ids, found.values, found.missing_mask, strict=True)
        if offer_id not in unknown
    ]


def main() -> int:
    dirs = ensure_snapshot(SNAPSHOT_DIR)
    ensure_loaded(SNAPSHOT_DIR, STORE_DIR)
    path = ensure_rows(dict(offer_ids(d) for d in dirs))
    print(f"{path}: {path.stat().st_size / 1e6:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
