"""SqliteSnapshotStore behaviour beyond the shared contract: files, crashes, threads."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.builders import seller_record
from trust_signals.errors import SnapshotNotFound, StoreUnavailable
from trust_signals.store.base import SnapshotInfo
from trust_signals.store.codec import seller_body, seller_from_dict
from trust_signals.store.sqlite import SqliteSnapshotStore
from trust_signals.store.sqlite_reads import MMAP_BYTES
from trust_signals.store.sqlite_writer import SqliteSnapshotWriter

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteSnapshotStore]:
    store = SqliteSnapshotStore(tmp_path)
    yield store
    store.close()


def load_one_seller(store: SqliteSnapshotStore, snapshot_id: str = "US-1") -> None:
    writer = store.begin(snapshot_id, "US", date(2026, 11, 27))
    writer.add_sellers([("S-1", seller_body(seller_record()))])
    writer.commit()


def test_begin_removes_partial_files_left_by_a_dead_load(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    (tmp_path / "snapshots").mkdir()
    stray = tmp_path / "snapshots" / "US-0.sqlite.partial"
    stray.write_bytes(b"half a snapshot")

    store.begin("US-1", "US", date(2026, 11, 27)).abort()

    assert list((tmp_path / "snapshots").iterdir()) == []


def test_begin_keeps_the_partial_file_of_a_live_load(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    live = store.begin("US-1", "US", date(2026, 11, 27))

    store.begin("US-2", "US", date(2026, 11, 27)).abort()

    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["US-1.sqlite.partial"]
    live.abort()


def test_begin_removes_a_file_renamed_into_place_whose_load_died_before_listing_it(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    load_one_seller(store, "US-1")
    orphan = tmp_path / "snapshots" / "US-0.sqlite"
    orphan.write_bytes((tmp_path / "snapshots" / "US-1.sqlite").read_bytes())

    store.begin("US-2", "US", date(2026, 11, 27)).abort()

    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ["US-1.sqlite"]
    assert store.get_sellers("US-1", ["S-1"])[0] is not None


def test_a_renamed_file_is_kept_while_its_writer_still_holds_it(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    """Between the rename and the catalog row the writer still holds its lock: a load
    starting in that moment must not take the file for an orphan."""
    seen: list[list[str]] = []

    def publish_after_another_load_began(info: SnapshotInfo, path: Path) -> SnapshotInfo:
        store.begin("US-2", "US", date(2026, 11, 27)).abort()
        seen.append(sorted(p.name for p in path.parent.iterdir()))
        return info

    (tmp_path / "snapshots").mkdir()
    writer = SqliteSnapshotWriter(
        tmp_path / "snapshots" / "US-1.sqlite",
        SnapshotInfo("US-1", "US", date(2026, 11, 27), datetime.now(UTC), 0, 0, False),
        publish=publish_after_another_load_began,
    )
    writer.commit()

    assert seen == [["US-1.sqlite"]]


def test_committed_snapshot_is_one_file_named_after_its_id(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    load_one_seller(store)

    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ["US-1.sqlite"]


def test_file_renamed_but_never_cataloged_is_not_served(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    load_one_seller(store, "US-1")
    (tmp_path / "snapshots" / "US-1.sqlite").rename(tmp_path / "snapshots" / "US-9.sqlite")

    with pytest.raises(SnapshotNotFound):
        store.get_sellers("US-9", ["S-1"])
    assert [i.snapshot_id for i in store.list_snapshots()] == ["US-1"]


def test_ping_raises_store_unavailable_when_the_catalog_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    store = SqliteSnapshotStore(tmp_path)

    with pytest.raises(StoreUnavailable) as caught:
        store.ping()

    assert caught.value.__cause__ is not None
    store.close()


def test_corrupt_snapshot_file_raises_store_unavailable(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    load_one_seller(store)
    path = tmp_path / "snapshots" / "US-1.sqlite"
    path.write_bytes(b"garbage" * 10_000)

    with pytest.raises(StoreUnavailable):
        store.get_sellers("US-1", ["S-1"])


def test_begin_refuses_a_snapshot_id_that_is_not_a_safe_file_name(
    store: SqliteSnapshotStore,
) -> None:
    with pytest.raises(ValueError, match="snapshot_id"):
        store.begin("../escape", "US", date(2026, 11, 27))


def test_threads_read_through_their_own_connections(store: SqliteSnapshotStore) -> None:
    load_one_seller(store)
    expected = [seller_from_dict(seller_record())]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: store.get_sellers("US-1", ["S-1"]), range(40)))

    assert results == [expected] * 40


def test_read_connections_map_the_snapshot_file(store: SqliteSnapshotStore) -> None:
    load_one_seller(store)
    store.get_sellers("US-1", ["S-1"])

    connection = store._snapshot("US-1")  # noqa: SLF001 - the one place this is visible

    assert connection.execute("PRAGMA mmap_size").fetchone() == (MMAP_BYTES,)


V1 = "0123456789ab"


def materialize(store: SqliteSnapshotStore, snapshot_id: str = "US-1") -> None:
    writer = store.begin_signals(snapshot_id, V1)
    writer.add_rows("s", [("S-1", b"row")])
    writer.commit()


def test_signals_are_one_more_file_beside_the_snapshot(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    load_one_seller(store)

    materialize(store)

    names = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert [names[0]] == ["US-1.sqlite"]
    assert names[1].startswith(f"US-1@{V1}.") and names[1].endswith(".sqlite")
    assert len(names) == 2


def test_begin_signals_removes_files_of_a_materialization_that_died(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    load_one_seller(store)
    materialize(store)
    listed = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    dead = tmp_path / "snapshots" / f"US-1@{V1}.dead.sqlite"
    dead.write_bytes((tmp_path / "snapshots" / listed[1]).read_bytes())
    (tmp_path / "snapshots" / f"US-1@{V1}.half.sqlite.partial").write_bytes(b"half")

    store.begin_signals("US-1", V1).abort()

    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == listed
    assert store.get_signal_rows("US-1", V1, "s", ["S-1"]) == [b"row"]


def test_loading_another_snapshot_keeps_the_listed_signals_files(
    store: SqliteSnapshotStore, tmp_path: Path
) -> None:
    load_one_seller(store)
    materialize(store)

    load_one_seller(store, "US-2")

    assert store.get_signal_rows("US-1", V1, "s", ["S-1"]) == [b"row"]
    assert len(list((tmp_path / "snapshots").iterdir())) == 3


def test_signals_read_connections_map_their_file(store: SqliteSnapshotStore) -> None:
    load_one_seller(store)
    materialize(store)
    store.get_signal_rows("US-1", V1, "s", ["S-1"])

    connection = store._signals("US-1", V1)  # noqa: SLF001 - the one place this is visible

    assert connection.execute("PRAGMA mmap_size").fetchone() == (MMAP_BYTES,)


def test_offers_of_sellers_are_found_through_the_seller_index(store: SqliteSnapshotStore) -> None:
    load_one_seller(store)

    plan = store._snapshot("US-1").execute(  # noqa: SLF001 - the one place this is visible
        "EXPLAIN QUERY PLAN SELECT offer_id, body FROM offers WHERE seller_id IN (?, ?)",
        ("S-1", "S-2"),
    )

    assert "USING INDEX offers_by_seller" in " ".join(row[-1] for row in plan)
