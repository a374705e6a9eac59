"""The SignalStore + SignalCatalog contract, run against every backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.builders import offer_record, seller_record
from tests.integration.backends import Backend, Store, load
from trust_signals.errors import SnapshotNotFound
from trust_signals.store.codec import offer_from_dict

pytestmark = pytest.mark.integration

V1, V2 = "0123456789ab", "ba9876543210"
# Rows are opaque bytes: every byte value, from a few bytes to a few kilobytes.
ROWS = {
    "o": [("O-1", b"\x00"), ("O-2", bytes(range(256)) * 16), ("O-3", b"\xff\x00\xff")],
    "s": [("S-1", b"seller \x00 row"), ("S-2", b"\xff" * 3000)],
    "m": [("meta", b'{"computed_at": "2026-11-28"}')],
}


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


def materialize(
    store: Store, snapshot_id: str, version: str, rows: dict[str, Sequence[tuple[str, bytes]]]
) -> None:
    writer = store.begin_signals(snapshot_id, version)
    for kind, kind_rows in rows.items():
        writer.add_rows(kind, kind_rows)
    writer.commit()


def test_committed_rows_round_trip_byte_for_byte(store: Store) -> None:
    load(store, "US-1")

    materialize(store, "US-1", V1, ROWS)

    assert store.signal_versions("US-1") == {V1}
    for kind, rows in ROWS.items():
        ids = [entity_id for entity_id, _ in rows]
        assert store.get_signal_rows("US-1", V1, kind, ids) == [row for _, row in rows]


def test_row_lookup_is_aligned_with_ids_and_none_where_absent(store: Store) -> None:
    load(store, "US-1")
    materialize(store, "US-1", V1, ROWS)

    found = store.get_signal_rows("US-1", V1, "o", ["O-3", "nope", "O-1", "O-3", "S-1"])

    assert found == [b"\xff\x00\xff", None, b"\x00", b"\xff\x00\xff", None]
    assert store.get_signal_rows("US-1", V1, "o", []) == []


def test_row_lookup_of_many_ids_in_one_batch(store: Store) -> None:
    load(store, "US-1")
    rows = [(f"O-{n:04d}", f"row {n}".encode()) for n in range(1500)]
    materialize(store, "US-1", V1, {"o": rows})
    ids = [f"O-{n:04d}" for n in range(1499, -1, -1)] + ["O-9999"]

    found = store.get_signal_rows("US-1", V1, "o", ids)

    assert found == [f"row {n}".encode() for n in range(1499, -1, -1)] + [None]


def test_nothing_written_is_visible_before_commit(store: Store) -> None:
    load(store, "US-1")
    writer = store.begin_signals("US-1", V1)
    writer.add_rows("o", ROWS["o"])

    assert store.signal_versions("US-1") == frozenset()
    with pytest.raises(SnapshotNotFound) as caught:
        store.get_signal_rows("US-1", V1, "o", ["O-1"])
    assert (caught.value.kind, caught.value.id) == ("signals", f"US-1@{V1}")
    writer.abort()


def test_abort_leaves_nothing(store: Store, backend: Backend) -> None:
    load(store, "US-1")
    before = backend.footprint()
    writer = store.begin_signals("US-1", V1)
    writer.add_rows("o", ROWS["o"])
    writer.add_rows("s", ROWS["s"])

    writer.abort()

    assert store.signal_versions("US-1") == frozenset()
    assert backend.footprint() == before
    with pytest.raises(SnapshotNotFound):
        store.get_signal_rows("US-1", V1, "o", ["O-1"])


def test_several_versions_of_a_snapshot_coexist(store: Store) -> None:
    load(store, "US-1")
    load(store, "US-2")
    materialize(store, "US-1", V1, {"o": [("O-1", b"one")]})
    materialize(store, "US-1", V2, {"o": [("O-1", b"two")]})
    materialize(store, "US-2", V1, {"o": [("O-1", b"other")]})

    assert store.signal_versions("US-1") == {V1, V2}
    assert store.get_signal_rows("US-1", V1, "o", ["O-1"]) == [b"one"]
    assert store.get_signal_rows("US-1", V2, "o", ["O-1"]) == [b"two"]
    assert store.get_signal_rows("US-2", V1, "o", ["O-1"]) == [b"other"]


def test_second_materialization_of_a_version_replaces_the_first_at_commit(store: Store) -> None:
    load(store, "US-1")
    materialize(store, "US-1", V1, {"o": [("O-1", b"first"), ("O-2", b"first")]})
    writer = store.begin_signals("US-1", V1)
    writer.add_rows("o", [("O-1", b"second")])
    assert store.get_signal_rows("US-1", V1, "o", ["O-1", "O-2"]) == [b"first", b"first"]

    writer.commit()

    assert store.get_signal_rows("US-1", V1, "o", ["O-1", "O-2"]) == [b"second", None]
    assert store.signal_versions("US-1") == {V1}


def test_aborted_second_materialization_keeps_the_first(store: Store) -> None:
    load(store, "US-1")
    materialize(store, "US-1", V1, {"o": [("O-1", b"first")]})
    writer = store.begin_signals("US-1", V1)
    writer.add_rows("o", [("O-1", b"second")])

    writer.abort()

    assert store.get_signal_rows("US-1", V1, "o", ["O-1"]) == [b"first"]


def test_forced_reload_drops_the_snapshots_signals(store: Store, backend: Backend) -> None:
    load(store, "US-1", sellers=[seller_record()])
    without_signals = len(backend.footprint())
    materialize(store, "US-1", V1, ROWS)
    materialize(store, "US-1", V2, ROWS)

    load(store, "US-1", sellers=[seller_record(tenure_days=2)], force=True)

    assert store.signal_versions("US-1") == frozenset()
    with pytest.raises(SnapshotNotFound) as caught:
        store.get_signal_rows("US-1", V1, "o", ["O-1"])
    assert caught.value.kind == "signals"
    assert len(backend.footprint()) == without_signals


def test_materialization_begun_before_a_forced_reload_is_refused_at_commit(
    store: Store, backend: Backend
) -> None:
    load(store, "US-1")
    loaded = len(backend.footprint())
    writer = store.begin_signals("US-1", V1)
    writer.add_rows("o", ROWS["o"])
    load(store, "US-1", force=True)

    with pytest.raises(SnapshotNotFound) as caught:
        writer.commit()

    assert (caught.value.kind, caught.value.id) == ("snapshot", "US-1")
    assert store.signal_versions("US-1") == frozenset()
    assert len(backend.footprint()) == loaded


def test_deleting_the_snapshot_deletes_its_signals(store: Store, backend: Backend) -> None:
    before = backend.footprint()
    load(store, "US-1", sellers=[seller_record()], offers=[offer_record()])
    materialize(store, "US-1", V1, ROWS)
    materialize(store, "US-1", V2, ROWS)

    store.delete("US-1")

    assert store.signal_versions("US-1") == frozenset()
    assert backend.footprint() == before
    load(store, "US-1")  # the id is free again, without signals
    assert store.signal_versions("US-1") == frozenset()


def test_materialization_of_a_snapshot_deleted_meanwhile_is_refused_at_commit(
    store: Store, backend: Backend
) -> None:
    before = backend.footprint()
    load(store, "US-1")
    writer = store.begin_signals("US-1", V1)
    writer.add_rows("o", ROWS["o"])
    store.delete("US-1")

    with pytest.raises(SnapshotNotFound):
        writer.commit()

    assert backend.footprint() == before


def test_delete_signals_removes_one_version(store: Store, backend: Backend) -> None:
    load(store, "US-1")
    materialize(store, "US-1", V1, ROWS)
    with_v1 = backend.footprint()
    materialize(store, "US-1", V2, ROWS)

    store.delete_signals("US-1", V2)
    store.delete_signals("US-1", V2)  # a version not materialized: nothing to do

    assert store.signal_versions("US-1") == {V1}
    assert store.get_signal_rows("US-1", V1, "s", ["S-1"]) == [ROWS["s"][0][1]]
    assert len(backend.footprint()) == len(with_v1)


def test_reopened_store_sees_the_same_signals(backend: Backend) -> None:
    first = backend.open()
    load(first, "US-1")
    materialize(first, "US-1", V1, ROWS)

    second = backend.open()

    assert second.signal_versions("US-1") == {V1}
    assert second.get_signal_rows("US-1", V1, "m", ["meta"]) == [ROWS["m"][0][1]]


def test_signal_writer_refuses_use_after_commit(store: Store) -> None:
    load(store, "US-1")
    writer = store.begin_signals("US-1", V1)
    writer.commit()

    with pytest.raises(ValueError, match="committed or aborted"):
        writer.add_rows("o", ROWS["o"])
    assert store.signal_versions("US-1") == {V1}


@pytest.mark.parametrize("version", ["", "0123456789AB", "0123456789a", "../../etc/pass"])
def test_a_version_that_is_not_12_hex_digits_is_refused(store: Store, version: str) -> None:
    load(store, "US-1")

    with pytest.raises(ValueError, match="signals version"):
        store.begin_signals("US-1", version)


def test_an_unknown_row_kind_is_refused(store: Store) -> None:
    load(store, "US-1")
    writer = store.begin_signals("US-1", V1)

    with pytest.raises(ValueError, match="kind"):
        writer.add_rows("x", [("O-1", b"row")])
    with pytest.raises(ValueError, match="kind"):
        store.get_signal_rows("US-1", V1, "x", ["O-1"])
    writer.abort()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_signal_rows("nope", V1, "o", ["O-1"]),
        lambda s: list(s.seller_ids("nope")),
        lambda s: s.offers_of_sellers("nope", ["S-1"]),
        lambda s: s.begin_signals("nope", V1),
        lambda s: s.delete_signals("nope", V1),
    ],
    ids=["get_signal_rows", "seller_ids", "offers_of_sellers", "begin_signals", "delete_signals"],
)
def test_unknown_snapshot_id_raises_not_found(store: Store, call: Any) -> None:
    load(store, "US-1")

    with pytest.raises(SnapshotNotFound) as caught:
        call(store)

    assert (caught.value.kind, caught.value.id) == ("snapshot", "nope")
    assert store.signal_versions("nope") == frozenset()


def test_seller_ids_streams_every_seller_id_in_id_order_over_several_pages(store: Store) -> None:
    ids = [f"S-{n:04d}" for n in range(2100, 0, -1)] + ["b", "a", "B"]
    load(store, "US-1", sellers=[seller_record(seller_id=i) for i in ids])

    assert list(store.seller_ids("US-1")) == sorted(ids)


def test_offers_of_sellers_are_exactly_the_offers_of_those_sellers(store: Store) -> None:
    many = [offer_record(offer_id=f"O-C{n:02d}", seller_id="S-C") for n in range(40)]
    offers = [offer_record(offer_id="O-B", seller_id="S-B"), *many]
    offers += [offer_record(offer_id="O-D1", seller_id="S-D"), offer_record(offer_id="O-D2")]
    sellers = [seller_record(seller_id=i) for i in ("S-A", "S-B", "S-C", "S-D", "S-1")]
    load(store, "US-1", sellers=sellers, offers=offers)

    found = store.offers_of_sellers("US-1", ["S-C", "S-A", "nope", "S-B"])

    expected = [offer_from_dict(o) for o in offers if o["seller_id"] in ("S-B", "S-C")]
    assert sorted(found, key=lambda o: o.offer_id) == sorted(expected, key=lambda o: o.offer_id)
    assert store.offers_of_sellers("US-1", []) == []
    assert store.offers_of_sellers("US-1", ["S-A"]) == []
