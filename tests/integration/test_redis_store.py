"""RedisSnapshotStore behaviour beyond the shared contract: gens, paging, spread, fork, URLs."""

from __future__ import annotations

import os
from datetime import date

import pytest
import redis

from tests.builders import offer_record, seller_record
from tests.integration.conftest import RedisStoreOpener
from tests.integration.redis_cluster import free_port
from trust_signals.errors import SnapshotNotFound, StoreUnavailable
from trust_signals.store.base import SnapshotInfo
from trust_signals.store.codec import offer_body, seller_body
from trust_signals.store.redis import RedisSnapshotStore, redis_store_from_url
from trust_signals.store.redis_catalog import ENTITY_BUCKETS, RedisKeys
from trust_signals.store.redis_connection import parse_store_url
from trust_signals.store.redis_reads import slot_groups

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "redis_cluster"])
def opener(request: pytest.FixtureRequest) -> RedisStoreOpener:
    return request.getfixturevalue(f"open_{request.param}_store")  # type: ignore[no-any-return]


def load(
    store: RedisSnapshotStore, offers: int, *, handling_days: int = 1, force: bool = False
) -> SnapshotInfo:
    writer = store.begin("US-1", "US", date(2026, 11, 27), force=force)
    records = [offer_record(offer_id=f"O-{n}", handling_days=handling_days) for n in range(offers)]
    writer.add_offers([(r["offer_id"], "S-1", offer_body(r)) for r in records])
    return writer.commit()


def test_forced_reload_by_another_process_is_seen_by_a_reader(opener: RedisStoreOpener) -> None:
    reader, loader = opener(), opener()
    load(loader, 3)
    loader.activate("US-1")
    assert reader.get_offers("US-1", ["O-1"])[0].handling_days == 1  # type: ignore[union-attr]

    load(loader, 2, handling_days=5, force=True)

    assert [o and o.handling_days for o in reader.get_offers("US-1", ["O-1", "O-2"])] == [5, None]


def test_delete_by_another_process_is_seen_by_a_reader(opener: RedisStoreOpener) -> None:
    reader, admin = opener(), opener()
    load(admin, 1)
    reader.get_offers("US-1", ["O-0"])

    admin.delete("US-1")

    with pytest.raises(SnapshotNotFound):
        reader.get_offers("US-1", ["O-0"])


def test_iter_sellers_pages_through_every_seller_in_id_order(opener: RedisStoreOpener) -> None:
    store = opener()
    ids = [f"S-{n:05d}" for n in range(2500, 0, -1)]
    writer = store.begin("US-1", "US", date(2026, 11, 27))
    writer.add_sellers([(i, seller_body(seller_record(seller_id=i))) for i in ids])
    writer.commit()

    assert [s.seller_id for s in store.iter_sellers("US-1")] == sorted(ids)


def test_entity_keys_spread_over_every_cluster_node(
    open_redis_cluster_store: RedisStoreOpener,
) -> None:
    load(open_redis_cluster_store(), 300)
    nodes = parse_store_url(open_redis_cluster_store.url).cluster_nodes
    pattern = f"{open_redis_cluster_store.prefix}:*"

    per_node = [
        len(list(redis.Redis(host=host, port=port).scan_iter(match=pattern, count=1000)))
        for host, port in nodes
    ]

    assert min(per_node) > 50


def test_forked_child_reads_through_its_own_connections(open_redis_store: RedisStoreOpener) -> None:
    store = open_redis_store()
    load(store, 3)
    store.get_offers("US-1", ["O-1"])  # the parent's pool now holds a connection

    pid = os.fork()
    if pid == 0:  # the child: exit status tells the parent what it read
        ok = store.get_offers("US-1", ["O-1", "O-9"])[0] is not None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert store.get_offers("US-1", ["O-2"])[0] is not None  # the parent's socket still works


def test_store_is_built_without_io_and_fails_on_use_when_nothing_listens() -> None:
    store = redis_store_from_url(f"redis://127.0.0.1:{free_port()}/0")

    with pytest.raises(StoreUnavailable):
        store.ping()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379", "redis+cluster://127.0.0.1", "redis+cluster://127.0.0.1:x,b:1"],
)
def test_url_that_names_no_redis_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="redis"):
        redis_store_from_url(url)


@pytest.mark.parametrize("prefix", ["", "ts*", "{ts}", "a b"])
def test_key_prefix_that_could_match_or_tag_other_keys_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="key_prefix"):
        redis_store_from_url("redis://127.0.0.1:6379/0", key_prefix=prefix)


def test_a_batch_read_on_a_cluster_is_one_mget_per_bucket_not_per_id(
    open_redis_cluster_store: RedisStoreOpener,
) -> None:
    store = open_redis_cluster_store()
    load(store, 500)
    ids = [f"O-{n}" for n in range(500)]
    keys = [RedisKeys("ts").entity("US-1:gen", "o", i) for i in ids]

    found = store.get_offers("US-1", ids)

    assert [o and o.offer_id for o in found] == ids
    # One MGET per slot: with one slot per id this would be about 490.
    assert len(slot_groups(keys)) <= ENTITY_BUCKETS


V1 = "0123456789ab"


def materialize(store: RedisSnapshotStore, row: bytes) -> None:
    writer = store.begin_signals("US-1", V1)
    writer.add_rows("o", [("O-1", row)])
    writer.commit()


def test_forced_reload_by_another_process_hides_the_signals_a_reader_saw(
    opener: RedisStoreOpener,
) -> None:
    reader, loader = opener(), opener()
    load(loader, 3)
    materialize(loader, b"old")
    assert reader.get_signal_rows("US-1", V1, "o", ["O-1"]) == [b"old"]

    load(loader, 3, force=True)

    assert reader.signal_versions("US-1") == frozenset()
    with pytest.raises(SnapshotNotFound) as caught:
        reader.get_signal_rows("US-1", V1, "o", ["O-1"])
    assert caught.value.kind == "signals"


def test_materialization_by_another_process_is_seen_by_a_reader(
    opener: RedisStoreOpener,
) -> None:
    reader, materializer = opener(), opener()
    load(materializer, 3)
    materialize(materializer, b"first")
    assert reader.get_signal_rows("US-1", V1, "o", ["O-1"]) == [b"first"]

    materialize(materializer, b"second")

    assert reader.get_signal_rows("US-1", V1, "o", ["O-1"]) == [b"second"]


def test_a_signal_batch_read_on_a_cluster_is_one_mget_per_bucket_not_per_id() -> None:
    keys = RedisKeys("ts")
    ids = [f"O-{n}" for n in range(1000)]

    row_keys = [keys.signal_row("US-1:gen", f"g{V1}token", "o", i) for i in ids]

    assert len(slot_groups(row_keys)) <= ENTITY_BUCKETS
