"""The SQLite store's config versions: two tables in its catalog database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Final

from trust_signals.errors import ConfigVersionNotFound
from trust_signals.store.base import StoredConfig
from trust_signals.store.retention import configs_newest_first
from trust_signals.store.sqlite_writer import driver_errors

# The one-row active_config table is what every worker polls; `only` keeps it one row.
CONFIG_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS configs (
    version TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    approval_reference TEXT NOT NULL,
    stored_by TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    activated_by TEXT,
    activated_at TEXT
);
CREATE TABLE IF NOT EXISTS active_config (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    version TEXT NOT NULL REFERENCES configs (version)
);
"""
_COLUMNS: Final = (
    "version, text, approval_reference, stored_by, stored_at, activated_by, activated_at"
)


class SqliteConfigCatalog:
    """ConfigCatalog over the catalog database; mixed into SqliteSnapshotStore.

    Each change is one BEGIN IMMEDIATE transaction, so processes sharing the directory
    take turns: of two workers seeding an empty store at once, the second finds the first's
    config active.
    """

    _clock: Callable[[], datetime]

    def _catalog(self) -> sqlite3.Connection:
        raise NotImplementedError  # the store's connection to catalog.sqlite

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # the store's write transaction on it

    def add_config(self, version: str, text: str, approval_reference: str, by: str) -> StoredConfig:
        """Store a version, not active yet; a version already stored keeps its first record."""
        with driver_errors("config"), self._write() as conn:
            self._insert_config(conn, version, text, approval_reference, by)
        return self.get_config(version)

    def activate_config(self, version: str, by: str) -> None:
        """Atomically make a stored version the active one; ConfigVersionNotFound if absent."""
        with driver_errors("config"), self._write() as conn:
            self._activate_config(conn, version, by)

    def seed_config(self, version: str, text: str, approval_reference: str, by: str) -> bool:
        """Store and activate a version only if no config is active; True if this call did."""
        with driver_errors("config"), self._write() as conn:
            if conn.execute("SELECT 1 FROM active_config").fetchone() is not None:
                return False
            self._insert_config(conn, version, text, approval_reference, by)
            self._activate_config(conn, version, by)
        return True

    def active_config_version(self) -> str | None:
        """The active config version; None until one is seeded or activated."""
        with driver_errors("config"):
            row = self._catalog().execute("SELECT version FROM active_config").fetchone()
        return None if row is None else str(row[0])

    def get_config(self, version: str) -> StoredConfig:
        """One stored version; ConfigVersionNotFound if absent."""
        with driver_errors("config"):
            row = (
                self._catalog()
                .execute(f"SELECT {_COLUMNS} FROM configs WHERE version = ?", (version,))
                .fetchone()
            )
        if row is None:
            raise ConfigVersionNotFound(version)
        return _stored_config(row)

    def list_configs(self) -> list[StoredConfig]:
        """Every stored version, newest stored first."""
        with driver_errors("config"):
            rows = self._catalog().execute(f"SELECT {_COLUMNS} FROM configs").fetchall()
        return configs_newest_first(_stored_config(row) for row in rows)

    def _insert_config(
        self, conn: sqlite3.Connection, version: str, text: str, approval_reference: str, by: str
    ) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO configs"
            " (version, text, approval_reference, stored_by, stored_at) VALUES (?, ?, ?, ?, ?)",
            (version, text, approval_reference, by, self._clock().isoformat()),
        )

    def _activate_config(self, conn: sqlite3.Connection, version: str, by: str) -> None:
        updated = conn.execute(
            "UPDATE configs SET activated_by = ?, activated_at = ? WHERE version = ?",
            (by, self._clock().isoformat(), version),
        )
        if updated.rowcount == 0:
            raise ConfigVersionNotFound(version)
        conn.execute(
            "INSERT OR REPLACE INTO active_config (only, version) VALUES (1, ?)", (version,)
        )


def _stored_config(row: tuple[str, str, str, str, str, str | None, str | None]) -> StoredConfig:
    version, text, approval_reference, stored_by, stored_at, activated_by, activated_at = row
    return StoredConfig(
        version=version,
        text=text,
        approval_reference=approval_reference,
        stored_by=stored_by,
        stored_at=datetime.fromisoformat(stored_at),
        activated_by=activated_by,
        activated_at=None if activated_at is None else datetime.fromisoformat(activated_at),
    )
