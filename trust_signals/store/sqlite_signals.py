"""The SQLite store's materialized signals: one immutable file per (snapshot, version).

    snapshots/<snapshot_id>@<version>.<token>.sqlite   rows(kind, id, body), WITHOUT ROWID
    catalog.sqlite: signals(snapshot_id, version, file)  the committed versions
'@' is not in the id alphabet, so no snapshot's file is ever named like a signals file. Each
materialization writes a file of its own (the token), so replacing a version or a reload
dropping it only unlinks files: a reader holding one open finishes on it, and its next read
sees the file gone and asks the catalog again.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

from trust_signals.errors import SnapshotNotFound
from trust_signals.store.signals import checked_kind, checked_version
from trust_signals.store.sqlite_reads import FileConnections, existing, inode, rows_in
from trust_signals.store.sqlite_writer import PartialDatabase, driver_errors

SIGNALS_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS signals (
    snapshot_id TEXT NOT NULL,
    version TEXT NOT NULL,
    file TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, version)
);
"""
_ROWS_SCHEMA: Final = """
CREATE TABLE rows (
    kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (kind, id)
) WITHOUT ROWID;
"""
_LOOKUP: Final = """
SELECT g.file FROM snapshots AS s
LEFT JOIN signals AS g ON g.snapshot_id = s.snapshot_id AND g.version = ?2
WHERE s.snapshot_id = ?1
"""

# The snapshot as loaded when its materialization began: (loaded_at, file's inode). A forced
# reload writes a new file (new inode) and a new loaded_at.
LoadedAs = tuple[str, int | None]


class SqliteSignalWriter:
    """Writes one materialization's rows into a file of its own; `commit` lists it."""

    def __init__(self, final_path: Path, *, publish: Callable[[Path], None], what: str) -> None:
        self._file = PartialDatabase(final_path, _ROWS_SCHEMA, what=what)
        self._publish = publish

    def add_rows(self, kind: str, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (entity id, row) of one kind (a row written again replaces it)."""
        checked_kind(kind)
        with driver_errors("signals"):
            self._file.conn.executemany(
                "INSERT OR REPLACE INTO rows VALUES (?, ?, ?)",
                ((kind, entity_id, row) for entity_id, row in rows),
            )

    def commit(self) -> None:
        """Close and rename the file into place, then list it; unlinked if the catalog refuses."""
        self._file.finish()
        try:
            self._publish(self._file.final)
        except BaseException:
            self._file.final.unlink(missing_ok=True)
            raise
        finally:
            self._file.release()

    def abort(self) -> None:
        """Discard everything written (safe to call more than once)."""
        self._file.abort()


class SqliteSignalCatalog:
    """SignalCatalog and the signal half of SignalStore; mixed into SqliteSnapshotStore."""

    _root: Path
    _snapshot_dir: Path
    _files: FileConnections

    def _catalog(self) -> sqlite3.Connection:
        raise NotImplementedError  # the store's connection to catalog.sqlite

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # the store's write transaction on it

    def _clean_directory(self) -> None:
        raise NotImplementedError  # removes files of loads that died

    def signal_versions(self, snapshot_id: str) -> frozenset[str]:
        """Signals versions materialized for the snapshot as loaded now."""
        with driver_errors("catalog"):
            rows = (
                self._catalog()
                .execute("SELECT version FROM signals WHERE snapshot_id = ?", (snapshot_id,))
                .fetchall()
            )
        return frozenset(row[0] for row in rows)

    def get_signal_rows(
        self, snapshot_id: str, version: str, kind: str, ids: Sequence[str]
    ) -> list[bytes | None]:
        """Rows of one kind of a materialized version, aligned with `ids` (None where absent)."""
        checked_kind(kind)
        conn = self._signals(snapshot_id, version)
        with driver_errors("signals"):
            found = dict(rows_in(conn, "SELECT id, body FROM rows WHERE kind = ?", "id", ids, kind))
        return [found.get(i) for i in ids]

    def begin_signals(self, snapshot_id: str, version: str) -> SqliteSignalWriter:
        """Start materializing a version of a loaded snapshot into a .partial file."""
        checked_version(version)
        loaded_as = self._loaded_as(snapshot_id)
        self._clean_directory()
        token = secrets.token_hex(4)
        return SqliteSignalWriter(
            self._snapshot_dir / f"{snapshot_id}@{version}.{token}.sqlite",
            publish=lambda path: self._publish_signals(snapshot_id, version, loaded_as, path),
            what=f"signals {snapshot_id}@{version}",
        )

    def delete_signals(self, snapshot_id: str, version: str) -> None:
        """Delete one materialized version: its catalog row, then its file."""
        with driver_errors("delete"), self._write() as conn:
            self._check_loaded(conn, snapshot_id)
            gone = conn.execute(
                "DELETE FROM signals WHERE snapshot_id = ? AND version = ? RETURNING file",
                (snapshot_id, version),
            ).fetchall()
        self._unlink(gone)

    def _signals(self, snapshot_id: str, version: str) -> sqlite3.Connection:
        """This thread's read-only connection to a version's file, opened on first use."""
        key = f"{snapshot_id}@{version}"
        return self._files.opened(key, lambda: self._signals_file(snapshot_id, version))

    def _signals_file(self, snapshot_id: str, version: str) -> tuple[Path, int]:
        with driver_errors("catalog"):
            row = self._catalog().execute(_LOOKUP, (snapshot_id, version)).fetchone()
        if row is None:
            raise SnapshotNotFound("snapshot", snapshot_id)
        path = None if row[0] is None else self._root / row[0]
        return existing(path, SnapshotNotFound("signals", f"{snapshot_id}@{version}"))

    def _publish_signals(
        self, snapshot_id: str, version: str, loaded_as: LoadedAs, path: Path
    ) -> None:
        """List a complete signals file, unless its snapshot was deleted or reloaded since."""
        file = path.relative_to(self._root).as_posix()
        with driver_errors("catalog"), self._write() as conn:
            if self._check_loaded(conn, snapshot_id) != loaded_as:
                raise SnapshotNotFound("snapshot", snapshot_id)
            replaced = conn.execute(
                "SELECT file FROM signals WHERE snapshot_id = ? AND version = ?",
                (snapshot_id, version),
            ).fetchall()
            conn.execute(
                "INSERT OR REPLACE INTO signals VALUES (?, ?, ?)", (snapshot_id, version, file)
            )
        self._unlink(replaced)

    def _loaded_as(self, snapshot_id: str) -> LoadedAs:
        with driver_errors("catalog"):
            return self._check_loaded(self._catalog(), snapshot_id)

    def _check_loaded(self, conn: sqlite3.Connection, snapshot_id: str) -> LoadedAs:
        """How the snapshot is loaded now; SnapshotNotFound if it is not."""
        row = conn.execute(
            "SELECT loaded_at, file FROM snapshots WHERE snapshot_id = ?", (snapshot_id,)
        ).fetchone()
        if row is None:
            raise SnapshotNotFound("snapshot", snapshot_id)
        return str(row[0]), inode(self._root / row[1])

    def _unlink(self, files: list[tuple[str]]) -> None:
        with driver_errors("delete"):
            for (file,) in files:
                (self._root / file).unlink(missing_ok=True)
