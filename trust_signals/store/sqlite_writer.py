"""Database files built in a .partial file and renamed into place; SqliteSnapshotWriter."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Final

from trust_signals.domain.snapshots import ID_PATTERN
from trust_signals.errors import StoreUnavailable
from trust_signals.store.base import SnapshotInfo

PARTIAL_SUFFIX: Final = ".partial"
_SNAPSHOT_SCHEMA: Final = """
CREATE TABLE sellers (seller_id TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE offers (
    offer_id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, body BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE artifacts (name TEXT PRIMARY KEY, body BLOB NOT NULL);
"""
# Built after the inserts, in one sorted pass: kept up to date row by row it would slow the
# load. The materializer reads a page of sellers' offers at a time through it.
_OFFERS_BY_SELLER: Final = "CREATE INDEX offers_by_seller ON offers (seller_id)"
# A file is written once by one connection and never again: no journal, no syncs until the
# single fsync at commit. 16 KiB pages keep a whole seller record (~2.5 KB of JSON) inside its
# B-tree leaf instead of spilling to overflow pages, so a lookup reads one page.
_WRITE_PRAGMAS: Final = (
    "PRAGMA page_size = 16384",
    "PRAGMA journal_mode = OFF",
    "PRAGMA synchronous = OFF",
    "PRAGMA locking_mode = EXCLUSIVE",
    "PRAGMA cache_size = -65536",
)
_SNAPSHOT_ID: Final = re.compile(ID_PATTERN)

Publish = Callable[[SnapshotInfo, Path], SnapshotInfo]


@contextmanager
def driver_errors(what: str) -> Iterator[None]:
    """Re-raise SQLite and file-system errors as StoreUnavailable, so none leave store/."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise StoreUnavailable(f"snapshot store: {what}: {exc}") from exc


def checked_snapshot_id(snapshot_id: str) -> str:
    """The id itself, if it follows the id rule (it becomes a file name)."""
    if not _SNAPSHOT_ID.match(snapshot_id):
        raise ValueError(
            f"snapshot_id {snapshot_id!r}: must be 1-64 characters of A-Z a-z 0-9 . _ -"
        )
    return snapshot_id


def remove_stray_partials(directory: Path) -> None:
    """Delete .partial files left by loads that died; files a live writer holds are kept."""
    with driver_errors("cleanup"):
        for path in directory.glob(f"*{PARTIAL_SUFFIX}"):
            try:
                fd = _locked(path, create=False)
            except (BlockingIOError, FileNotFoundError):
                continue
            try:
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)


def remove_unlisted(directory: Path, is_listed: Callable[[Path], bool]) -> None:
    """Delete snapshot files a load renamed into place but died before listing.

    A writer holds its lock from the .partial file to the catalog row, so a file whose lock
    can be taken and that is still unlisted has no live writer: nothing will ever list it.
    """
    with driver_errors("cleanup"):
        for path in directory.glob("*.sqlite"):
            if is_listed(path):
                continue
            try:
                fd = _locked(path, create=False)
            except (BlockingIOError, FileNotFoundError):
                continue
            try:
                if not is_listed(path):  # listed while we waited for the lock: keep it
                    path.unlink(missing_ok=True)
            finally:
                os.close(fd)


class PartialDatabase:
    """A database file being written by one connection into a .partial file, under an
    exclusive lock; `finish` renames it into place, where the lock is kept until `release`."""

    def __init__(self, final_path: Path, schema: str, *, what: str) -> None:
        self.final = final_path
        self._partial = final_path.with_name(final_path.name + PARTIAL_SUFFIX)
        self._what = what
        try:
            self._lock_fd: int | None = _locked(self._partial, create=True)
        except BlockingIOError:
            raise StoreUnavailable(f"{what} is being written by another process") from None
        try:
            with driver_errors("begin"):
                os.ftruncate(self._lock_fd, 0)
                self._conn: sqlite3.Connection | None = _created(self._partial, schema)
        except BaseException:
            self.abort()
            raise

    @property
    def conn(self) -> sqlite3.Connection:
        """The open write connection; ValueError once finished or aborted."""
        if self._conn is None:
            raise ValueError(f"{self._what} writer already committed or aborted")
        return self._conn

    def finish(self) -> None:
        """Close and fsync the file, then rename it into place (still locked)."""
        conn = self.conn
        with driver_errors("commit"):
            conn.execute("COMMIT")
            conn.close()
            self._conn = None
            _fsync(self._partial)
            # The rename is the commit point of the file, the catalog row that of what it
            # holds: a crash in between leaves an unlisted complete file, never a listed
            # partial one.
            os.replace(self._partial, self.final)
            _fsync(self.final.parent)

    def release(self) -> None:
        """Drop the lock: call once the renamed file is listed (`remove_unlisted` skips a
        file whose lock is held)."""
        # Closed only after SQLite's own descriptor: closing any descriptor of a file drops the
        # process's POSIX locks on it, SQLite's included.
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def abort(self) -> None:
        """Discard everything written (safe to call more than once)."""
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        if self._lock_fd is not None:
            self._partial.unlink(missing_ok=True)
            self.release()


class SqliteSnapshotWriter:
    """Writes one snapshot; nothing is visible until commit renames the file into place."""

    def __init__(self, final_path: Path, info: SnapshotInfo, *, publish: Publish) -> None:
        self._file = PartialDatabase(
            final_path, _SNAPSHOT_SCHEMA, what=f"snapshot {info.snapshot_id!r}"
        )
        self._info = info
        self._publish = publish
        self._counts = [0, 0]

    def add_sellers(self, sellers: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (seller_id, canonical JSON record)."""
        with driver_errors("sellers"):
            self._file.conn.executemany("INSERT INTO sellers VALUES (?, ?)", sellers)
        self._counts[0] += len(sellers)

    def add_offers(self, offers: Sequence[tuple[str, str, bytes]]) -> None:
        """Store a batch of (offer_id, seller_id, canonical JSON record)."""
        with driver_errors("offers"):
            self._file.conn.executemany("INSERT INTO offers VALUES (?, ?, ?)", offers)
        self._counts[1] += len(offers)

    def put_artifact(self, name: str, blob: bytes) -> None:
        """Store a precomputed blob with the snapshot (a second put replaces the first)."""
        with driver_errors("artifacts"):
            self._file.conn.execute("INSERT OR REPLACE INTO artifacts VALUES (?, ?)", (name, blob))

    def commit(self) -> SnapshotInfo:
        """Index, close and fsync the file, rename it into place, then list it in the catalog."""
        with driver_errors("index"):
            self._file.conn.execute(_OFFERS_BY_SELLER)
        self._file.finish()
        sellers, offers = self._counts
        try:
            return self._publish(
                replace(self._info, seller_count=sellers, offer_count=offers), self._file.final
            )
        finally:
            # Held (on the renamed file) until it is listed: `remove_unlisted` skips it.
            self._file.release()

    def abort(self) -> None:
        """Discard everything written (safe to call more than once)."""
        self._file.abort()


def _locked(path: Path, *, create: bool) -> int:
    """A descriptor of `path` holding an exclusive flock (BlockingIOError if someone has it)."""
    fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _created(path: Path, schema: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in _WRITE_PRAGMAS:
            conn.execute(pragma)
        conn.executescript(schema)
        conn.execute("BEGIN")
    except BaseException:
        conn.close()
        raise
    return conn


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
