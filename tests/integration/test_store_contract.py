"""The SnapshotStore + SnapshotCatalog + ConfigCatalog contract, run against every backend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tests.builders import offer_record, seller_record
from tests.integration.backends import Backend, Store, TickingClock, load, tick
from trust_signals.errors import (
    ConfigVersionNotFound,
    SnapshotExists,
    SnapshotInUse,
    SnapshotNotFound,
    SnapshotRetiring,
)
from trust_signals.store.base import StoredConfig
from trust_signals.store.codec import offer_from_dict, seller_body, seller_from_dict

pytestmark = pytest.mark.integration

GRACE_SECONDS = 30.0  # the stores' default: each TickingClock reading is a second


@pytest.fixture
def open_store(backend: Backend) -> Callable[[], Store]:
    """Opens a store object on the same backing state each call (one process, new objects)."""
    return backend.open


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()


def active_id(store: Store, marketplace: str = "US") -> str | None:
    info = store.active_snapshots().get(marketplace)
    return None if info is None else info.snapshot_id


def test_commit_lists_the_snapshot_inactive_with_its_counts(store: Store) -> None:
    sellers = [seller_record(seller_id="S-1"), seller_record(seller_id="S-2")]
    info = load(store, "US-1", sellers=sellers, offers=[offer_record(offer_id="O-1")])

    assert (info.snapshot_id, info.marketplace, info.as_of) == ("US-1", "US", date(2026, 11, 27))
    assert (info.seller_count, info.offer_count, info.active) == (2, 1, False)
    assert store.list_snapshots() == [info]
    assert store.active_snapshots() == {}


def test_seller_lookup_is_aligned_with_ids_and_none_where_missing(store: Store) -> None:
    records = {sid: seller_record(seller_id=sid, tenure_days=n) for n, sid in enumerate("ABC")}
    load(store, "US-1", sellers=list(records.values()))

    found = store.get_sellers("US-1", ["C", "nope", "A", "C"])

    c, a = seller_from_dict(records["C"]), seller_from_dict(records["A"])
    assert found == [c, None, a, c]


def test_offer_lookup_is_aligned_with_ids_across_many_chunks(store: Store) -> None:
    offers = [offer_record(offer_id=f"O-{n:04d}", handling_days=n % 60) for n in range(1200)]
    load(store, "US-1", sellers=[seller_record()], offers=offers)
    ids = [f"O-{n:04d}" for n in range(1199, -1, -2)] + ["O-9999"]

    found = store.get_offers("US-1", ids)

    expected = [offer_from_dict(offers[n]) for n in range(1199, -1, -2)] + [None]
    assert found == expected


def test_empty_lookup_returns_empty_list(store: Store) -> None:
    load(store, "US-1", sellers=[seller_record()])

    assert (store.get_sellers("US-1", []), store.get_offers("US-1", [])) == ([], [])


def test_iter_sellers_yields_every_seller_in_id_order(store: Store) -> None:
    records = [seller_record(seller_id=sid) for sid in ("b", "C", "a", "B")]
    load(store, "US-1", sellers=records)

    ids = [seller.seller_id for seller in store.iter_sellers("US-1")]

    assert ids == ["B", "C", "a", "b"]


def test_artifact_round_trips_and_unknown_name_is_none(store: Store) -> None:
    writer = store.begin("US-1", "US", date(2026, 11, 27))
    writer.put_artifact("cohorts", b"\x00blob\xff")
    writer.commit()

    assert store.get_artifact("US-1", "cohorts") == b"\x00blob\xff"
    assert store.get_artifact("US-1", "other") is None


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_sellers("nope", ["S-1"]),
        lambda s: s.get_offers("nope", ["O-1"]),
        lambda s: s.iter_sellers("nope"),
        lambda s: s.get_artifact("nope", "cohorts"),
        lambda s: s.activate("nope"),
        lambda s: s.delete("nope"),
    ],
    ids=["get_sellers", "get_offers", "iter_sellers", "get_artifact", "activate", "delete"],
)
def test_unknown_snapshot_id_raises_not_found(store: Store, call: Callable[[Store], Any]) -> None:
    load(store, "US-1")

    with pytest.raises(SnapshotNotFound) as caught:
        call(store)

    assert (caught.value.kind, caught.value.id) == ("snapshot", "nope")


def test_activate_switches_and_activating_older_id_rolls_back(store: Store) -> None:
    load(store, "US-1", as_of=date(2026, 11, 26))
    load(store, "US-2")
    store.activate("US-1")
    store.activate("US-2")
    assert active_id(store) == "US-2"

    store.activate("US-1")

    assert active_id(store) == "US-1"
    assert [(i.snapshot_id, i.active) for i in store.list_snapshots()] == [
        ("US-2", False),
        ("US-1", True),
    ]


def test_each_marketplace_has_its_own_active_snapshot(store: Store) -> None:
    load(store, "US-1")
    load(store, "DE-1", marketplace="DE")
    store.activate("US-1")
    store.activate("DE-1")

    active = store.active_snapshots()

    assert {m: i.snapshot_id for m, i in active.items()} == {"US": "US-1", "DE": "DE-1"}


def test_delete_refuses_the_active_snapshot(store: Store) -> None:
    load(store, "US-1", sellers=[seller_record()])
    store.activate("US-1")

    with pytest.raises(SnapshotInUse):
        store.delete("US-1")

    assert store.get_sellers("US-1", ["S-1"])[0] is not None


def test_delete_removes_an_inactive_snapshot(store: Store) -> None:
    load(store, "US-1", sellers=[seller_record()])

    store.delete("US-1")

    assert store.list_snapshots() == []
    with pytest.raises(SnapshotNotFound):
        store.get_sellers("US-1", ["S-1"])


def test_prune_keeps_the_newest_inactive_snapshots_per_marketplace(store: Store) -> None:
    for day in range(1, 6):
        load(store, f"US-{day}", as_of=date(2026, 11, day))
    load(store, "DE-1", marketplace="DE")
    store.activate("US-2")

    deleted = store.prune(keep=2)

    assert sorted(deleted) == ["US-1", "US-3"]
    assert [i.snapshot_id for i in store.list_snapshots()] == ["DE-1", "US-5", "US-4", "US-2"]


def test_replaced_snapshot_is_kept_from_deletion_for_the_grace_period(
    store: Store, clock: TickingClock
) -> None:
    load(store, "US-1", sellers=[seller_record()])
    load(store, "US-2")
    store.activate("US-1")
    store.activate("US-2")  # workers may read US-1 until they have refreshed

    with pytest.raises(SnapshotRetiring) as caught:
        store.delete("US-1")
    assert 0 < caught.value.seconds_left <= GRACE_SECONDS
    assert store.get_sellers("US-1", ["S-1"])[0] is not None

    clock.advance(GRACE_SECONDS)
    store.delete("US-1")
    assert [i.snapshot_id for i in store.list_snapshots()] == ["US-2"]


def test_prune_skips_retiring_snapshots_and_takes_them_later(
    store: Store, clock: TickingClock
) -> None:
    for day in range(1, 4):
        load(store, f"US-{day}", as_of=date(2026, 11, day))
        store.activate(f"US-{day}")

    assert store.prune(keep=0) == []

    clock.advance(GRACE_SECONDS)
    assert sorted(store.prune(keep=0)) == ["US-1", "US-2"]
    assert [i.snapshot_id for i in store.list_snapshots()] == ["US-3"]


def test_reactivated_snapshot_is_no_longer_retiring(store: Store) -> None:
    load(store, "US-1")
    load(store, "US-2")
    store.activate("US-1")
    store.activate("US-2")
    store.activate("US-1")

    with pytest.raises(SnapshotRetiring):
        store.delete("US-2")  # replaced just now
    with pytest.raises(SnapshotInUse):
        store.delete("US-1")


def test_deactivate_stops_serving_a_marketplace_on_purpose(
    store: Store, clock: TickingClock
) -> None:
    load(store, "US-1")
    load(store, "DE-1", marketplace="DE")
    store.activate("US-1")
    store.activate("DE-1")

    assert store.deactivate("US") == "US-1"

    assert active_id(store) is None
    assert active_id(store, "DE") == "DE-1"
    assert store.deactivated_marketplaces() == {"US"}
    with pytest.raises(SnapshotRetiring):
        store.delete("US-1")
    clock.advance(GRACE_SECONDS)
    store.delete("US-1")


def test_activating_a_deactivated_marketplace_clears_its_mark(store: Store) -> None:
    load(store, "US-1")
    store.activate("US-1")
    store.deactivate("US")

    store.activate("US-1")

    assert active_id(store) == "US-1"
    assert store.deactivated_marketplaces() == frozenset()


def test_deactivating_a_marketplace_without_an_active_snapshot_is_not_found(
    store: Store,
) -> None:
    load(store, "US-1")

    with pytest.raises(SnapshotNotFound) as caught:
        store.deactivate("US")

    assert (caught.value.kind, caught.value.id) == ("marketplace", "US")
    assert store.deactivated_marketplaces() == frozenset()


def test_prune_refuses_negative_keep(store: Store) -> None:
    with pytest.raises(ValueError, match="keep"):
        store.prune(keep=-1)


def test_list_snapshots_is_newest_first(store: Store) -> None:
    load(store, "US-b", as_of=date(2026, 11, 2))
    load(store, "US-a", as_of=date(2026, 11, 3))
    load(store, "US-c", as_of=date(2026, 11, 2))

    assert [i.snapshot_id for i in store.list_snapshots()] == ["US-a", "US-c", "US-b"]


def test_duplicate_snapshot_id_is_refused(store: Store) -> None:
    load(store, "US-1", sellers=[seller_record(tenure_days=1)])

    with pytest.raises(SnapshotExists):
        store.begin("US-1", "US", date(2026, 11, 27))

    assert store.get_sellers("US-1", ["S-1"])[0].tenure_days == 1  # type: ignore[union-attr]


def test_forced_reload_replaces_the_snapshot_and_keeps_it_active(store: Store) -> None:
    load(store, "US-1", sellers=[seller_record(tenure_days=1)])
    store.activate("US-1")
    store.get_sellers("US-1", ["S-1"])  # an open reader must see the replacement too

    info = load(store, "US-1", sellers=[seller_record(tenure_days=2)], force=True)

    assert (info.seller_count, info.active) == (1, True)
    assert store.get_sellers("US-1", ["S-1"])[0].tenure_days == 2  # type: ignore[union-attr]
    assert [i.snapshot_id for i in store.list_snapshots()] == ["US-1"]


def test_abort_leaves_nothing_visible(store: Store) -> None:
    writer = store.begin("US-1", "US", date(2026, 11, 27))
    writer.add_sellers([("S-1", seller_body(seller_record()))])

    writer.abort()

    assert store.list_snapshots() == []
    with pytest.raises(SnapshotNotFound):
        store.get_sellers("US-1", ["S-1"])
    load(store, "US-1")  # and the id is free again


def test_writer_refuses_use_after_commit(store: Store) -> None:
    writer = store.begin("US-1", "US", date(2026, 11, 27))
    writer.commit()

    with pytest.raises(ValueError, match="committed or aborted"):
        writer.add_sellers([("S-1", seller_body(seller_record()))])


def test_reopened_store_sees_the_same_state(open_store: Callable[[], Store]) -> None:
    first = open_store()
    load(first, "US-1", sellers=[seller_record()])
    load(first, "US-2", as_of=date(2026, 11, 28))
    first.activate("US-1")

    second = open_store()

    assert second.list_snapshots() == first.list_snapshots()
    assert active_id(second) == "US-1"
    assert second.get_sellers("US-1", ["S-1"]) == [seller_from_dict(seller_record())]


def test_ping_answers(store: Store) -> None:
    store.ping()


# --- config versions ---------------------------------------------------------------------

# Text as the store must give it back, byte for byte: quotes, backslashes, non-ASCII, newlines.
TEXT = 'config_name = "défaut"\n# a "quoted" \\ comment\r\n[end]\nconfig_name = "défaut"\n'


def test_a_new_store_has_no_config(store: Store) -> None:
    assert (store.active_config_version(), store.list_configs()) == (None, [])


def test_added_config_is_stored_whole_and_not_active(store: Store) -> None:
    added = store.add_config("v1", TEXT, "LEGAL-1", "alice")

    assert added == StoredConfig("v1", TEXT, "LEGAL-1", "alice", tick(1))
    assert store.get_config("v1") == added
    assert store.active_config_version() is None


def test_adding_a_stored_version_again_keeps_its_first_record(store: Store) -> None:
    first = store.add_config("v1", TEXT, "LEGAL-1", "alice")

    again = store.add_config("v1", "other text", "LEGAL-2", "bob")

    assert again == first
    assert store.list_configs() == [first]


def test_activate_config_makes_it_active_and_records_who_and_when(store: Store) -> None:
    store.add_config("v1", TEXT, "LEGAL-1", "alice")

    store.activate_config("v1", "bob")

    assert store.active_config_version() == "v1"
    activated = store.get_config("v1")
    assert (activated.activated_by, activated.activated_at) == ("bob", tick(2))


def test_activating_an_earlier_version_rolls_back_and_history_is_newest_first(
    store: Store,
) -> None:
    store.add_config("v1", TEXT, "LEGAL-1", "alice")
    store.add_config("v2", TEXT, "LEGAL-2", "alice")
    store.activate_config("v1", "alice")
    store.activate_config("v2", "alice")

    store.activate_config("v1", "carol")

    assert store.active_config_version() == "v1"
    assert store.list_configs() == [
        StoredConfig("v2", TEXT, "LEGAL-2", "alice", tick(2), "alice", tick(4)),
        StoredConfig("v1", TEXT, "LEGAL-1", "alice", tick(1), "carol", tick(5)),
    ]


def test_activating_an_unknown_version_is_refused_and_changes_nothing(store: Store) -> None:
    store.add_config("v1", TEXT, "LEGAL-1", "alice")
    store.activate_config("v1", "alice")

    with pytest.raises(ConfigVersionNotFound) as caught:
        store.activate_config("nope", "alice")

    assert caught.value.version == "nope"
    assert store.active_config_version() == "v1"
    assert [c.version for c in store.list_configs()] == ["v1"]


def test_getting_an_unknown_version_raises_not_found(store: Store) -> None:
    with pytest.raises(ConfigVersionNotFound, match="'nope' is not stored"):
        store.get_config("nope")


def test_seed_stores_and_activates_when_no_config_is_active(store: Store) -> None:
    assert store.seed_config("v1", TEXT, "LEGAL-1", "seed") is True

    assert store.active_config_version() == "v1"
    assert store.list_configs() == [
        StoredConfig("v1", TEXT, "LEGAL-1", "seed", tick(1), "seed", tick(2))
    ]


def test_seed_changes_nothing_once_a_config_is_active(store: Store) -> None:
    store.add_config("v1", TEXT, "LEGAL-1", "alice")
    store.activate_config("v1", "alice")

    assert store.seed_config("v2", TEXT, "LEGAL-2", "seed") is False

    assert store.active_config_version() == "v1"
    assert [c.version for c in store.list_configs()] == ["v1"]


def test_seed_activates_a_version_stored_but_never_active(store: Store) -> None:
    stored = store.add_config("v1", TEXT, "LEGAL-1", "alice")

    assert store.seed_config("v1", "other text", "LEGAL-2", "seed") is True

    seeded = store.get_config("v1")
    assert (seeded.text, seeded.approval_reference, seeded.stored_at) == (
        TEXT,
        "LEGAL-1",
        stored.stored_at,
    )
    assert seeded.activated_by == "seed"
    assert store.active_config_version() == "v1"


def test_workers_seeding_at_once_activate_exactly_one_config(
    open_store: Callable[[], Store],
) -> None:
    workers = [open_store() for _ in range(4)]
    start = threading.Barrier(len(workers))
    seeded: dict[str, bool] = {}

    def seed(index: int) -> None:
        start.wait()
        seeded[f"v{index}"] = workers[index].seed_config(f"v{index}", TEXT, "LEGAL", "seed")

    threads = [threading.Thread(target=seed, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [winner] = [version for version, won in seeded.items() if won]
    assert [w.active_config_version() for w in workers] == [winner] * len(workers)
    assert [c.version for c in workers[0].list_configs()] == [winner]


def test_reopened_store_sees_the_same_configs(open_store: Callable[[], Store]) -> None:
    first = open_store()
    first.add_config("v1", TEXT, "LEGAL-1", "alice")
    first.add_config("v2", TEXT, "LEGAL-2", "alice")
    first.activate_config("v1", "alice")

    second = open_store()

    assert second.list_configs() == first.list_configs()
    assert second.active_config_version() == "v1"
