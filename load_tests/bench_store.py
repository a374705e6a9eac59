"""The benchmark snapshot and its dedicated store: generated and loaded once, reused after."""

from __future__ import annotations

import hashlib
import shutil
import time
from datetime import date
from functools import partial
from pathlib import Path
from typing import Final

from load_tests.server import ROOT
from trust_signals.bootstrap import load_snapshot_dir, snapshot_dirs
from trust_signals.config import default_config_path, load_config
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.ingest.manifest import read_manifest
from trust_signals.store.sqlite import SqliteSnapshotStore

SNAPSHOT_DIR: Final = ROOT / "var/bench-snapshot"
STORE_DIR: Final = ROOT / "var/bench-store"
SELLERS: Final = 100_000
OFFERS: Final = 1_000_000
MARKETPLACES: Final = ("US", "DE", "IN")
SEED: Final = 1
LOADER_CODE: Final = (
    "store/*.py",
    "ingest/*.py",
    "service/cohort_artifacts.py",
    "service/materializer.py",
    "service/signal_rows.py",
    "domain/*.py",
    "config/legal.py",
)


def ensure_snapshot(
    out: Path = SNAPSHOT_DIR,
    *,
    sellers: int = SELLERS,
    offers: int = OFFERS,
    marketplaces: tuple[str, ...] = MARKETPLACES,
) -> list[Path]:
    """The snapshot directories under `out`, generated first if any is missing."""
    if all((out / code / "manifest.json").exists() for code in marketplaces):
        return [out / code for code in marketplaces]
    scratch = out.with_name(f".{out.name}-generating")
    shutil.rmtree(scratch, ignore_errors=True)
    started = time.perf_counter()
    print(f"generating {sellers:,} sellers and {offers:,} offers under {out} ...", flush=True)
    generate_snapshots(
        scratch,
        sellers=sellers,
        offers=offers,
        marketplaces=marketplaces,
        seed=SEED,
        as_of=date.today(),
    )
    shutil.rmtree(out, ignore_errors=True)
    scratch.rename(out)  # a half-written snapshot never sits where the next run looks
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return [out / code for code in marketplaces]


def loader_fingerprint() -> str:
    """A hash of the code that decides what a loaded store holds (stored form, artifacts)."""
    return code_fingerprint(LOADER_CODE)


def code_fingerprint(patterns: tuple[str, ...]) -> str:
    """A hash of the service's files matching `patterns` (globs under trust_signals/)."""
    digest = hashlib.sha256()
    for path in sorted(p for pattern in patterns for p in (ROOT / "trust_signals").glob(pattern)):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_loaded(snapshot_dir: Path = SNAPSHOT_DIR, store_dir: Path = STORE_DIR) -> None:
    """Load and activate every snapshot under `snapshot_dir` that `store_dir` does not serve.

    The store is reloaded whole when the loader or store code changed since it was loaded: a
    store written by other code may hold another stored form and fail on every read.
    """
    store = SqliteSnapshotStore(store_dir)
    stamp = store_dir.with_name(f"{store_dir.name}.loaded-by")
    fingerprint = loader_fingerprint()
    same_code = stamp.exists() and stamp.read_text().strip() == fingerprint
    active = (
        {info.snapshot_id for info in store.active_snapshots().values()} if same_code else set()
    )
    config = load_config(default_config_path())
    for directory in snapshot_dirs([snapshot_dir]):
        if read_manifest(directory).snapshot_id in active:
            continue
        started = time.perf_counter()
        print(f"loading {directory} into {store_dir} ...", flush=True)
        info = load_snapshot_dir(
            store,
            directory,
            config,
            force=True,
            activate=True,
            open_store=partial(SqliteSnapshotStore, store_dir),
        )
        print(f"loaded {info.snapshot_id} in {time.perf_counter() - started:.0f} s", flush=True)
    stamp.write_text(fingerprint + "\n")
