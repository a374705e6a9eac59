"""SqliteSnapshotStore: a small catalog database plus one immutable database file per snapshot
(and per materialized signals version: see sqlite_signals).

Over 300 lines on purpose: the catalog's transactions (load, activation, retirement,
deletion) belong together.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot
from trust_signals.errors import SnapshotExists, SnapshotInUse, SnapshotNotFound, SnapshotRetiring
from trust_signals.store.base import SnapshotInfo
from trust_signals.store.codec import decode_offer, decode_seller
from trust_signals.store.retention import (
    RETIRE_GRACE_SECONDS,
    newest_first,
    prune_settled,
    seconds_left,
)
from trust_signals.store.sqlite_config import CONFIG_SCHEMA, SqliteConfigCatalog
from trust_signals.store.sqlite_reads import FileConnections, existing, rows_in
from trust_signals.store.sqlite_signals import SIGNALS_SCHEMA, SqliteSignalCatalog
from trust_signals.store.sqlite_writer import (
    SqliteSnapshotWriter,
    checked_snapshot_id,
    driver_errors,
    remove_stray_partials,
    remove_unlisted,
)

_CATALOG_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id TEXT PRIMARY KEY,
    marketplace TEXT NOT NULL,
    as_of TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    file TEXT NOT NULL,
    seller_count INTEGER NOT NULL,
    offer_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS active (
    marketplace TEXT PRIMARY KEY,
    snapshot_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS retired (
    snapshot_id TEXT PRIMARY KEY,
    retired_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deactivated (
    marketplace TEXT PRIMARY KEY,
    deactivated_at REAL NOT NULL
);
"""
CATALOG_FILE: Final = "catalog.sqlite"
_LISTING: Final = """
SELECT s.snapshot_id, s.marketplace, s.as_of, s.loaded_at, s.seller_count, s.offer_count,
       a.snapshot_id IS NOT NULL
FROM snapshots AS s LEFT JOIN active AS a ON a.snapshot_id = s.snapshot_id
"""
_WAL_ATTEMPTS: Final = 100
# Seller ids per page of seller_ids(): a page is one short query on the snapshot file.
SELLER_ID_PAGE: Final = 1000


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Connections(threading.local):
    """This thread's connection to the catalog, opened on first use."""

    def __init__(self) -> None:
        self.catalog: sqlite3.Connection | None = None


class SqliteSnapshotStore(SqliteConfigCatalog, SqliteSignalCatalog):
    """Every port of ServingStore over SQLite files under `root`."""

    def __init__(
        self,
        root: Path,
        *,
        clock: Callable[[], datetime] = _utc_now,
        grace_seconds: float = RETIRE_GRACE_SECONDS,
    ) -> None:
        self._root = Path(root)
        self._snapshot_dir = self._root / "snapshots"
        self._clock = clock
        self._grace_seconds = grace_seconds
        self._local = _Connections()
        self._files = FileConnections()

    def exists(self) -> bool:
        """True if the store's catalog is there: any use creates it, a read too."""
        return (self._root / CATALOG_FILE).is_file()

    def begin(
        self, snapshot_id: str, marketplace: str, as_of: date, *, force: bool = False
    ) -> SqliteSnapshotWriter:
        """Start loading a snapshot into a .partial file; refuses a known id unless forced."""
        checked_snapshot_id(snapshot_id)
        if self._catalog_file(snapshot_id) is not None and not force:
            raise SnapshotExists(snapshot_id)
        self._clean_directory()
        return SqliteSnapshotWriter(
            self._snapshot_dir / f"{snapshot_id}.sqlite",
            SnapshotInfo(snapshot_id, marketplace, as_of, self._clock(), 0, 0, False),
            publish=self._publish,
        )

    def activate(self, snapshot_id: str) -> None:
        """Atomically make a loaded snapshot the active one of its marketplace; the one it
        replaces retires."""
        with driver_errors("activate"), self._write() as conn:
            row = conn.execute(
                "SELECT marketplace FROM snapshots WHERE snapshot_id = ?", (snapshot_id,)
            ).fetchone()
            if row is None:
                raise SnapshotNotFound("snapshot", snapshot_id)
            self._retire(conn, row[0])
            conn.execute(
                "INSERT INTO active (marketplace, snapshot_id) VALUES (?, ?)"
                " ON CONFLICT (marketplace) DO UPDATE SET snapshot_id = excluded.snapshot_id",
                (row[0], snapshot_id),
            )
            conn.execute("DELETE FROM retired WHERE snapshot_id = ?", (snapshot_id,))
            conn.execute("DELETE FROM deactivated WHERE marketplace = ?", (row[0],))

    def deactivate(self, marketplace: str) -> str:
        """Stop serving a marketplace on purpose; the snapshot that was active (it retires)."""
        with driver_errors("deactivate"), self._write() as conn:
            snapshot_id = self._retire(conn, marketplace)
            if snapshot_id is None:
                raise SnapshotNotFound("marketplace", marketplace)
            conn.execute("DELETE FROM active WHERE marketplace = ?", (marketplace,))
            conn.execute(
                "INSERT OR REPLACE INTO deactivated VALUES (?, ?)",
                (marketplace, self._clock().timestamp()),
            )
        return snapshot_id

    def delete(self, snapshot_id: str) -> None:
        """Remove a snapshot that is neither active nor retiring: its catalog rows (its
        signals' too), then its files."""
        with driver_errors("delete"), self._write() as conn:
            row = conn.execute(
                "SELECT file, retired_at FROM snapshots LEFT JOIN retired USING (snapshot_id)"
                " WHERE snapshot_id = ?",
                (snapshot_id,),
            ).fetchone()
            if row is None:
                raise SnapshotNotFound("snapshot", snapshot_id)
            if conn.execute(
                "SELECT 1 FROM active WHERE snapshot_id = ?", (snapshot_id,)
            ).fetchone():
                raise SnapshotInUse(snapshot_id)
            left = seconds_left(row[1], self._clock().timestamp(), self._grace_seconds)
            if left > 0:
                raise SnapshotRetiring(snapshot_id, left)
            conn.execute("DELETE FROM snapshots WHERE snapshot_id = ?", (snapshot_id,))
            conn.execute("DELETE FROM retired WHERE snapshot_id = ?", (snapshot_id,))
            signals = _drop_signals(conn, snapshot_id)
        self._files.forget(snapshot_id)
        self._unlink([(row[0],), *signals])

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` settled inactive snapshots per marketplace."""
        return prune_settled(self.list_snapshots(), keep, self.delete)

    def deactivated_marketplaces(self) -> frozenset[str]:
        """Marketplaces deactivated on purpose."""
        with driver_errors("catalog"):
            rows = self._catalog().execute("SELECT marketplace FROM deactivated").fetchall()
        return frozenset(row[0] for row in rows)

    def _retire(self, conn: sqlite3.Connection, marketplace: str) -> str | None:
        """Start the retirement of the marketplace's active snapshot; its id, if any."""
        row = conn.execute(
            "SELECT snapshot_id FROM active WHERE marketplace = ?", (marketplace,)
        ).fetchone()
        if row is not None:
            conn.execute(
                "INSERT OR REPLACE INTO retired VALUES (?, ?)",
                (row[0], self._clock().timestamp()),
            )
        return None if row is None else str(row[0])

    def active_snapshots(self) -> dict[str, SnapshotInfo]:
        """The active snapshot per marketplace."""
        return {
            info.marketplace: info for info in self._listing(" WHERE a.snapshot_id IS NOT NULL")
        }

    def list_snapshots(self) -> list[SnapshotInfo]:
        """Every retained snapshot, newest first."""
        return newest_first(self._listing(""))

    def ping(self) -> None:
        """Return if the catalog can be read, else raise StoreUnavailable."""
        with driver_errors("catalog"):
            self._catalog().execute("SELECT count(*) FROM active").fetchone()

    def close(self) -> None:
        """Close this thread's connections (other threads' close when their thread ends)."""
        self._files.close()
        if self._local.catalog is not None:
            self._local.catalog.close()
            self._local.catalog = None

    def get_sellers(self, snapshot_id: str, ids: Sequence[str]) -> list[SellerSnapshot | None]:
        """Sellers of one snapshot, aligned with `ids` (None where absent)."""
        bodies = self._bodies(snapshot_id, "sellers", "seller_id", ids)
        return [None if b is None else decode_seller(b) for b in bodies]

    def get_offers(self, snapshot_id: str, ids: Sequence[str]) -> list[OfferSnapshot | None]:
        """Offers of one snapshot, aligned with `ids` (None where absent)."""
        bodies = self._bodies(snapshot_id, "offers", "offer_id", ids)
        return [None if b is None else decode_offer(b) for b in bodies]

    def iter_sellers(self, snapshot_id: str) -> Iterable[SellerSnapshot]:
        """Every seller of one snapshot, streamed in id order."""
        return _streamed_sellers(self._snapshot(snapshot_id))

    def seller_ids(self, snapshot_id: str) -> Iterable[str]:
        """Every seller id of one snapshot in id order, a page per query."""
        return _paged_seller_ids(self._snapshot(snapshot_id))

    def offers_of_sellers(self, snapshot_id: str, seller_ids: Sequence[str]) -> list[OfferSnapshot]:
        """Every offer of these sellers (through the offers_by_seller index)."""
        conn = self._snapshot(snapshot_id)
        with driver_errors("offers"):
            rows = rows_in(conn, "SELECT offer_id, body FROM offers", "seller_id", seller_ids)
        return [decode_offer(body) for _, body in rows]

    def get_artifact(self, snapshot_id: str, name: str) -> bytes | None:
        """A blob stored with the snapshot at load time, None if there is none by that name."""
        conn = self._snapshot(snapshot_id)
        with driver_errors("artifact"):
            row = conn.execute("SELECT body FROM artifacts WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def _bodies(
        self, snapshot_id: str, table: str, key: str, ids: Sequence[str]
    ) -> list[bytes | None]:
        conn = self._snapshot(snapshot_id)
        with driver_errors(table):
            found = dict(rows_in(conn, f"SELECT {key}, body FROM {table}", key, ids))
        return [found.get(i) for i in ids]

    def _catalog(self) -> sqlite3.Connection:
        conn = self._local.catalog
        if conn is None:
            self._root.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._root / CATALOG_FILE, timeout=10, isolation_level=None)
            try:
                # WAL: the many reader processes never block an activation, nor it them.
                _enable_wal(conn)
                conn.executescript(_CATALOG_SCHEMA + CONFIG_SCHEMA + SIGNALS_SCHEMA)
            except BaseException:
                conn.close()
                raise
            self._local.catalog = conn
        return conn

    def _write(self) -> _Transaction:
        return _Transaction(self._catalog())

    def _catalog_file(self, snapshot_id: str) -> str | None:
        with driver_errors("catalog"):
            row = (
                self._catalog()
                .execute("SELECT file FROM snapshots WHERE snapshot_id = ?", (snapshot_id,))
                .fetchone()
            )
        return None if row is None else str(row[0])

    def _is_listed(self, path: Path) -> bool:
        file = path.relative_to(self._root).as_posix()
        with driver_errors("catalog"):
            found = self._catalog().execute(
                "SELECT 1 FROM snapshots WHERE file = ?1 UNION ALL"
                " SELECT 1 FROM signals WHERE file = ?1",
                (file,),
            )
            return found.fetchone() is not None

    def _clean_directory(self) -> None:
        """Remove the files of loads and materializations that died."""
        self._snapshot_dir.mkdir(parents=True, exist_ok=True)
        remove_stray_partials(self._snapshot_dir)
        remove_unlisted(self._snapshot_dir, self._is_listed)

    def _listing(self, where: str) -> list[SnapshotInfo]:
        with driver_errors("catalog"):
            rows = self._catalog().execute(_LISTING + where).fetchall()
        return [_info(row) for row in rows]

    def _publish(self, info: SnapshotInfo, path: Path) -> SnapshotInfo:
        """Insert (or, when forced, replace) the catalog row of a snapshot file now complete;
        signals of the id's earlier load go (they describe its old records)."""
        file = path.relative_to(self._root).as_posix()
        info = replace(info, loaded_at=self._clock())
        with driver_errors("catalog"), self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?)",
                (info.snapshot_id, info.marketplace, info.as_of.isoformat(),
                 info.loaded_at.isoformat(), file, info.seller_count, info.offer_count),
            )  # fmt: skip
            # A forced reload that moved the id to another marketplace cannot stay active there.
            conn.execute(
                "DELETE FROM active WHERE snapshot_id = ? AND marketplace != ?",
                (info.snapshot_id, info.marketplace),
            )
            active = conn.execute(
                "SELECT 1 FROM active WHERE snapshot_id = ?", (info.snapshot_id,)
            ).fetchone()
            signals = _drop_signals(conn, info.snapshot_id)
        self._unlink(signals)
        return replace(info, active=active is not None)

    def _snapshot(self, snapshot_id: str) -> sqlite3.Connection:
        """This thread's read-only connection to a snapshot's file, opened on first use."""
        return self._files.opened(snapshot_id, lambda: self._snapshot_file(snapshot_id))

    def _snapshot_file(self, snapshot_id: str) -> tuple[Path, int]:
        file = self._catalog_file(snapshot_id)
        path = None if file is None else self._root / file
        return existing(path, SnapshotNotFound("snapshot", snapshot_id))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT on the catalog, rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._conn.execute("COMMIT" if kind is None else "ROLLBACK")


def _streamed_sellers(conn: sqlite3.Connection) -> Iterator[SellerSnapshot]:
    with driver_errors("sellers"):
        for (body,) in conn.execute("SELECT body FROM sellers ORDER BY seller_id"):
            yield decode_seller(body)


def _paged_seller_ids(conn: sqlite3.Connection) -> Iterator[str]:
    after = ""
    while True:
        with driver_errors("sellers"):
            page = conn.execute(
                "SELECT seller_id FROM sellers WHERE seller_id > ? ORDER BY seller_id LIMIT ?",
                (after, SELLER_ID_PAGE),
            ).fetchall()
        yield from (seller_id for (seller_id,) in page)
        if len(page) < SELLER_ID_PAGE:
            return
        after = page[-1][0]


def _drop_signals(conn: sqlite3.Connection, snapshot_id: str) -> list[tuple[str]]:
    """Unlist every signals version of a snapshot; their files, to unlink after the commit."""
    return conn.execute(
        "DELETE FROM signals WHERE snapshot_id = ? RETURNING file", (snapshot_id,)
    ).fetchall()


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the catalog to WAL. Workers starting at once on a new store switch it together,
    and SQLite answers the losers 'locked' at once instead of waiting: they try again."""
    for attempt in range(_WAL_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.01)


def _info(row: tuple[str, str, str, str, int, int, int]) -> SnapshotInfo:
    snapshot_id, marketplace, as_of, loaded_at, sellers, offers, active = row
    return SnapshotInfo(
        snapshot_id=snapshot_id,
        marketplace=marketplace,
        as_of=date.fromisoformat(as_of),
        loaded_at=datetime.fromisoformat(loaded_at),
        seller_count=sellers,
        offer_count=offers,
        active=bool(active),
    )
