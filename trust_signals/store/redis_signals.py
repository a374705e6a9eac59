"""The Redis store's materialized signals, and the snapshot reads the materializer makes.

A materialization's rows are entity keys of the snapshot's own load (RedisKeys.signal_row),
so deleting the snapshot or reloading it purges them with the load's other keys. Its kind is
prefixed 'g<version><token>': each materialization writes keys of its own, so nothing is
visible before its commit, and an abort or a replacement deletes only its own keys. The
catalog's signals hash lists, per snapshot, each version's gen and token; a version counts
only while its gen is the snapshot's, so a forced reload hides its old signals at once.

A materialization that dies leaves its keys until the snapshot is deleted or reloaded.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

import orjson

from trust_signals.domain.snapshots import OfferSnapshot
from trust_signals.errors import SnapshotNotFound, StoreUnavailable
from trust_signals.store.codec import decode_offer
from trust_signals.store.redis_catalog import RedisKeys, entry_gen, unlink_matching
from trust_signals.store.redis_connection import RedisConnector, redis_errors
from trust_signals.store.redis_reads import RedisReader
from trust_signals.store.redis_writer import PIPELINE_BATCH, set_all
from trust_signals.store.signals import checked_kind, checked_version

# KEYS: snapshots, signals. ARGV: snapshot_id, gen, version, token.
# Returns {1, replaced token} listed, {0, ''} the snapshot is gone or reloaded (its gen is not
# ARGV[2]). Versions of another gen are dropped from the listing on the way.
COMMIT_SIGNALS_SCRIPT: Final = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry or cjson.decode(entry)['gen'] ~= ARGV[2] then return {0, ''} end
local raw = redis.call('HGET', KEYS[2], ARGV[1])
local listed, kept = {}, {}
if raw then listed = cjson.decode(raw) end
for version, made in pairs(listed) do
  if made[1] == ARGV[2] then kept[version] = made end
end
local replaced = kept[ARGV[3]] and kept[ARGV[3]][2] or ''
kept[ARGV[3]] = {ARGV[2], ARGV[4]}
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(kept))
return {1, replaced}
"""
# KEYS: snapshots, signals. ARGV: snapshot_id, version.
# Returns {1, gen, token} unlisted ({1, '', ''} if it was not listed), {0, '', ''} unknown id.
DELETE_SIGNALS_SCRIPT: Final = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return {0, '', ''} end
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return {1, '', ''} end
local listed = cjson.decode(raw)
local made = listed[ARGV[2]]
if not made then return {1, '', ''} end
listed[ARGV[2]] = nil
if next(listed) == nil then
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(listed))
end
return {1, made[1], made[2]}
"""
_READ_ATTEMPTS: Final = 3
# Seller ids per page of seller_ids(): one ZRANGE on the bulk client.
SELLER_ID_PAGE: Final = 1000
# A materialization as the catalog lists it: (gen of the load, token).
Made = tuple[str, str]


class RedisSignalWriter:
    """Writes one materialization's rows under keys of its own; `commit` lists it."""

    def __init__(
        self, connector: RedisConnector, keys: RedisKeys, snapshot_id: str, gen: str, version: str
    ) -> None:
        self._connector = connector
        self._keys = keys
        self._snapshot_id = snapshot_id
        self._gen = gen
        self._version = version
        self._token = secrets.token_hex(4)
        self._member = f"{snapshot_id}:{gen}"
        self._rows = f"g{version}{self._token}"
        self._open = True

    def add_rows(self, kind: str, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (entity id, row) of one kind (a row written again replaces it)."""
        self._check_open()
        checked_kind(kind)
        client = self._connector.bulk_client()
        row_key = self._keys.signal_row
        for start in range(0, len(rows), PIPELINE_BATCH):
            batch = rows[start : start + PIPELINE_BATCH]
            with redis_errors("signals"):
                pipe = client.pipeline(transaction=False)
                bodies = {row_key(self._member, self._rows, kind, i): row for i, row in batch}
                set_all(pipe, bodies, cluster=self._connector.target.is_cluster)
                pipe.execute()

    def commit(self) -> None:
        """List the version for the snapshot's load, then delete the rows it replaced."""
        self._check_open()
        self._open = False
        client = self._connector.bulk_client()
        keys = self._keys
        with redis_errors("commit"):
            listed, replaced = client.eval(
                COMMIT_SIGNALS_SCRIPT, 2, keys.snapshots, keys.signals,
                self._snapshot_id, self._gen, self._version, self._token,
            )  # fmt: skip
        if not listed:
            unlink_matching(client, keys.signal_rows(self._member, self._rows))
            raise SnapshotNotFound("snapshot", self._snapshot_id)
        if replaced:
            rows = f"g{self._version}{replaced.decode()}"
            unlink_matching(client, keys.signal_rows(self._member, rows))

    def abort(self) -> None:
        """Discard everything written (safe to call more than once)."""
        if self._open:
            self._open = False
            client = self._connector.bulk_client()
            unlink_matching(client, self._keys.signal_rows(self._member, self._rows))

    def _check_open(self) -> None:
        if not self._open:
            raise ValueError("signal writer already committed or aborted")


class RedisSignalStore(RedisReader):
    """SignalStore and SignalCatalog over Redis; mixed into RedisSnapshotStore."""

    # (snapshot_id, version) -> materialization last seen; every read checks it again.
    _made: dict[tuple[str, str], Made]

    def signal_versions(self, snapshot_id: str) -> frozenset[str]:
        """Signals versions materialized for the snapshot's current load."""
        raw, listed, _ = self._round_trip(snapshot_id, [], signals=True)
        if raw is None or listed is None:
            return frozenset()
        gen = entry_gen(raw)
        return frozenset(v for v, made in orjson.loads(listed).items() if made[0] == gen)

    def get_signal_rows(
        self, snapshot_id: str, version: str, kind: str, ids: Sequence[str]
    ) -> list[bytes | None]:
        """Rows of one kind of a materialized version, aligned with `ids`: one round trip
        that also checks the load and the materialization are still the ones listed."""
        checked_kind(kind)
        made = self._made.get((snapshot_id, version))
        if made is None:
            # First read of this version in this process: learn where its rows are.
            made = self._listed_made(snapshot_id, version, [])[0]
        for _ in range(_READ_ATTEMPTS):
            gen, token = made
            member, rows = f"{snapshot_id}:{gen}", f"g{version}{token}"
            keys = [self._keys.signal_row(member, rows, kind, i) for i in ids]
            current, found = self._listed_made(snapshot_id, version, keys)
            if current == made:
                return found
            made = current  # materialized again, or the snapshot reloaded: read again
        raise StoreUnavailable(f"redis store: signals {snapshot_id}@{version} keep changing")

    def seller_ids(self, snapshot_id: str) -> Iterable[str]:
        """Every seller id of the snapshot in id order, a page per round trip."""
        gen = self._remembered_gen(snapshot_id, self._fetch(snapshot_id, [])[0])
        return self._paged_seller_ids(snapshot_id, gen)

    def offers_of_sellers(self, snapshot_id: str, seller_ids: Sequence[str]) -> list[OfferSnapshot]:
        """Every offer of these sellers: their ranges of the offers set, then the bodies."""
        client = self._connector.bulk_client()
        gen = self._remembered_gen(snapshot_id, self._fetch(snapshot_id, [], client)[0])
        member = f"{snapshot_id}:{gen}"
        offers = f"{self._keys.namespace(member)}:offers"
        with redis_errors("offers"):
            pipe = client.pipeline(transaction=False)
            for seller in dict.fromkeys(seller_ids):
                # Members are 'seller_id|offer_id' and ids are ASCII: this range is the seller's.
                prefix = f"{seller}|".encode()
                pipe.zrange(offers, b"[" + prefix, b"(" + prefix + b"\xff", bylex=True)
            ranges = pipe.execute()
        offer_ids = [m.decode().partition("|")[2] for found in ranges for m in found]
        keys = [self._keys.entity(member, "o", offer_id) for offer_id in offer_ids]
        current, bodies = self._fetch(snapshot_id, keys, client)
        if current != gen or None in bodies:
            raise SnapshotNotFound("snapshot", snapshot_id)  # deleted or reloaded meanwhile
        return [decode_offer(body) for body in bodies if body is not None]

    def begin_signals(self, snapshot_id: str, version: str) -> RedisSignalWriter:
        """Start materializing a version of the snapshot's current load."""
        checked_version(version)
        gen = self._fetch(snapshot_id, [], self._connector.bulk_client())[0]
        if gen is None:
            raise SnapshotNotFound("snapshot", snapshot_id)
        return RedisSignalWriter(self._connector, self._keys, snapshot_id, gen, version)

    def delete_signals(self, snapshot_id: str, version: str) -> None:
        """Unlist one materialized version atomically, then delete its rows."""
        keys = self._keys
        client = self._connector.bulk_client()
        with redis_errors("delete"):
            found, gen, token = client.eval(
                DELETE_SIGNALS_SCRIPT, 2, keys.snapshots, keys.signals, snapshot_id, version
            )
        if not found:
            raise SnapshotNotFound("snapshot", snapshot_id)
        if token:
            member, rows = f"{snapshot_id}:{gen.decode()}", f"g{version}{token.decode()}"
            unlink_matching(client, keys.signal_rows(member, rows))

    def _listed_made(
        self, snapshot_id: str, version: str, keys: list[str]
    ) -> tuple[Made, list[bytes | None]]:
        """The materialization listed now for the version, and the values of `keys`, in one
        round trip; SnapshotNotFound if the snapshot or that version is not listed."""
        raw, listed, found = self._round_trip(snapshot_id, keys, signals=True)
        if raw is None:
            self._made.pop((snapshot_id, version), None)
            raise SnapshotNotFound("snapshot", snapshot_id)
        made = None if listed is None else orjson.loads(listed).get(version)
        if made is None or made[0] != entry_gen(raw):
            self._made.pop((snapshot_id, version), None)
            raise SnapshotNotFound("signals", f"{snapshot_id}@{version}")
        self._made[snapshot_id, version] = (made[0], made[1])
        return (made[0], made[1]), found

    def _paged_seller_ids(self, snapshot_id: str, gen: str) -> Iterator[str]:
        sellers = f"{self._keys.namespace(f'{snapshot_id}:{gen}')}:sellers"
        start: bytes = b"-"
        while True:
            client = self._connector.bulk_client()
            with redis_errors("sellers"):
                pipe = client.pipeline(transaction=not self._connector.target.is_cluster)
                pipe.hget(self._keys.snapshots, snapshot_id)
                pipe.zrange(sellers, start, "+", bylex=True, offset=0, num=SELLER_ID_PAGE)
                raw, ids = pipe.execute()
            if raw is None or entry_gen(raw) != gen:
                # Deleted or replaced mid-stream: the rest would be another snapshot's sellers.
                raise SnapshotNotFound("snapshot", snapshot_id)
            yield from (i.decode() for i in ids)
            if len(ids) < SELLER_ID_PAGE:
                return
            start = b"(" + ids[-1]
