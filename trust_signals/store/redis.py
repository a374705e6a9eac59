"""RedisSnapshotStore: snapshots as one key per entity on a Redis server or a Redis Cluster.

Key layout (prefix `ts` by default; see redis_catalog.RedisKeys):
    ts:{ts:catalog}:snapshots   hash snapshot_id -> entry JSON (facts + the gen its keys use)
    ts:{ts:catalog}:active      hash marketplace -> snapshot_id
    ts:{ts:catalog}:unlisted    hash 'snapshot_id:gen' -> last touched (loads, deletions)
    ts:{ts:catalog}:retired     hash snapshot_id -> when it stopped being active
    ts:{ts:catalog}:deactivated hash marketplace -> when it was deactivated on purpose
    ts:{ts:catalog}:signals     hash snapshot_id -> {signals version: [gen, token]} JSON of
                                its materialized signals (see redis_signals)
    ts:{ts:catalog}:configs, :config_activations, :active_config   config versions (see
                                redis_config)
    ts:snap:<id>:<gen>:o:{<id>:<gen>:o:<bucket>}:<offer_id>   (likewise :s: sellers and
                                        :a: artifacts; bucket = CRC-32 of the id mod 64)
    ts:snap:<id>:<gen>:sellers          sorted set of the seller ids
    ts:snap:<id>:<gen>:offers           sorted set of 'seller_id|offer_id' (offers by seller)
    ts:snap:<id>:<gen>:g<version><token><kind>:{<id>:<gen>:g<version><token><kind>:<bucket>}:
        <entity_id>                     one materialized signal row (kind o, s or m)
The catalog keys share one hash tag (one slot), so every catalog change is one Lua script;
entity keys spread over 64 bucket slots per load and kind, so a cluster read is one MGET per
bucket hit rather than per id (RedisKeys.entity). Each load writes under a fresh gen, so a
forced reload never touches the keys being served and commit is the one atomic switch.

A read is one round trip: the catalog entry and the bodies in one pipeline (MULTI on a single
server, so both come from one instant); a gen changed meanwhile is re-read at once, and a
process's first read of a snapshot first learns its gen (one more round trip). Failure:
every redis-py error becomes StoreUnavailable, after the store timeout (a refused connection
is retried once at once; on a cluster a timeout is too, so up to twice the timeout). With a
cluster node down (no replica), a read touching its slots (the catalog's slot or any id's)
raises StoreUnavailable, so a batch of 48 ids almost surely does; reads wholly on the other
nodes still answer until they mark the node failed (cluster-node-timeout), after which every
read raises StoreUnavailable (CLUSTERDOWN) unless cluster-require-full-coverage is off, until
a replica is promoted or the node returns. A cluster read is not atomic across nodes: one
racing the purge after a forced reload of the snapshot it reads may see some ids as absent.

Over 300 lines on purpose: the catalog scripts' callers and the key layout they share.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final, cast

from trust_signals.domain.snapshots import OfferSnapshot, SellerSnapshot
from trust_signals.errors import (
    SnapshotExists,
    SnapshotInUse,
    SnapshotNotFound,
    SnapshotRetiring,
    StoreUnavailable,
)
from trust_signals.store.base import SnapshotInfo
from trust_signals.store.codec import decode_offer, decode_seller
from trust_signals.store.redis_catalog import (
    ACTIVATE_SCRIPT,
    DEACTIVATE_SCRIPT,
    UNLIST_SCRIPT,
    CatalogEntry,
    RedisKeys,
    entry_info,
    purge,
)
from trust_signals.store.redis_config import RedisConfigCatalog
from trust_signals.store.redis_connection import (
    RedisConnector,
    parse_store_url,
    redis_errors,
)
from trust_signals.store.redis_signals import Made, RedisSignalStore
from trust_signals.store.redis_writer import RedisSnapshotWriter
from trust_signals.store.retention import RETIRE_GRACE_SECONDS, newest_first, prune_settled
from trust_signals.store.sqlite_writer import checked_snapshot_id

# A read that finds the gen changed re-reads; more than this many changes is not a reload.
_READ_ATTEMPTS: Final = 3
_SELLER_PAGE: Final = 1000
# A load that renewed its lease this long ago is taken for dead by prune().
STALE_LOAD_SECONDS: Final = 900.0


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def redis_store_from_url(
    url: str,
    *,
    key_prefix: str = "ts",
    timeout_seconds: float = 0.02,
    clock: Callable[[], datetime] = utc_now,
    grace_seconds: float = RETIRE_GRACE_SECONDS,
) -> RedisSnapshotStore:
    """A store on `redis://host:port/db` or `redis+cluster://host:port,host:port` (no I/O yet)."""
    connector = RedisConnector(parse_store_url(url), read_timeout_seconds=timeout_seconds)
    return RedisSnapshotStore(
        connector, key_prefix=key_prefix, clock=clock, grace_seconds=grace_seconds
    )


class RedisSnapshotStore(RedisConfigCatalog, RedisSignalStore):
    """Every port of ServingStore over Redis; one pool per process."""

    def __init__(
        self,
        connector: RedisConnector,
        *,
        key_prefix: str = "ts",
        clock: Callable[[], datetime] = utc_now,
        stale_load_seconds: float = STALE_LOAD_SECONDS,
        grace_seconds: float = RETIRE_GRACE_SECONDS,
    ) -> None:
        self._connector = connector
        self._keys = RedisKeys(key_prefix)
        self._clock = clock
        self._stale_load_seconds = stale_load_seconds
        self._grace_seconds = grace_seconds
        # snapshot_id -> gen last seen; every read checks it again in its own round trip.
        self._gens: dict[str, str] = {}
        self._made: dict[tuple[str, str], Made] = {}

    # -- catalog -----------------------------------------------------------------------------

    def begin(
        self, snapshot_id: str, marketplace: str, as_of: date, *, force: bool = False
    ) -> RedisSnapshotWriter:
        """Start loading under a fresh gen; refuses a known id unless forced.

        Keys left by an earlier load of the same id that died are deleted first (a second
        live load of the same id is thereby stopped: it fails instead of committing).
        """
        checked_snapshot_id(snapshot_id)
        client = self._connector.bulk_client()
        with redis_errors("begin"):
            pipe = client.pipeline(transaction=True)
            pipe.hexists(self._keys.snapshots, snapshot_id)
            pipe.hkeys(self._keys.unlisted)
            exists, unlisted = pipe.execute()
        if exists and not force:
            raise SnapshotExists(snapshot_id)
        for member in (m.decode() for m in unlisted):
            if member.rpartition(":")[0] == snapshot_id:
                purge(client, self._keys, member)
        info = SnapshotInfo(snapshot_id, marketplace, as_of, self._clock(), 0, 0, False)
        entry = CatalogEntry(info, secrets.token_hex(8))
        writer = RedisSnapshotWriter(
            self._connector, self._keys, entry, force=force, clock=self._clock
        )
        writer.start()
        return writer

    def activate(self, snapshot_id: str) -> None:
        """Atomically make a loaded snapshot the active one of its marketplace; the one it
        replaces retires."""
        keys = self._keys
        found = self._catalog_script(
            "activate",
            ACTIVATE_SCRIPT,
            [keys.snapshots, keys.active, keys.retired, keys.deactivated],
            snapshot_id,
            self._clock().timestamp(),
        )
        if not found:
            raise SnapshotNotFound("snapshot", snapshot_id)

    def deactivate(self, marketplace: str) -> str:
        """Stop serving a marketplace on purpose; the snapshot that was active (it retires)."""
        keys = self._keys
        old = self._catalog_script(
            "deactivate",
            DEACTIVATE_SCRIPT,
            [keys.active, keys.retired, keys.deactivated],
            marketplace,
            self._clock().timestamp(),
        )
        if old is None:
            raise SnapshotNotFound("marketplace", marketplace)
        return str(old.decode())

    def delete(self, snapshot_id: str) -> None:
        """Remove a snapshot that is neither active nor retiring: unlist it atomically, then
        purge its keys."""
        keys = self._keys
        status, detail = self._catalog_script(
            "delete",
            UNLIST_SCRIPT,
            [keys.snapshots, keys.active, keys.unlisted, keys.retired, keys.signals],
            snapshot_id,
            int(time.time()),
            self._clock().timestamp(),
            self._grace_seconds,
        )
        if status == 0:
            raise SnapshotNotFound("snapshot", snapshot_id)
        if status == 2:
            raise SnapshotInUse(snapshot_id)
        if status == 3:
            raise SnapshotRetiring(snapshot_id, float(detail))
        self._gens.pop(snapshot_id, None)
        purge(self._connector.bulk_client(), keys, f"{snapshot_id}:{detail.decode()}")

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` settled inactive snapshots per marketplace.

        Also purges the keys of loads and deletions that died (idle past stale_load_seconds).
        """
        self._purge_dead_loads()
        return prune_settled(self.list_snapshots(), keep, self.delete)

    def _catalog_script(
        self, what: str, script: str, keys: list[str], *args: str | int | float
    ) -> Any:
        """One catalog script on the bulk client (the catalog keys share one slot)."""
        with redis_errors(what):
            return self._connector.bulk_client().eval(script, len(keys), *keys, *args)

    def deactivated_marketplaces(self) -> frozenset[str]:
        """Marketplaces deactivated on purpose."""
        with redis_errors("catalog"):
            found = self._connector.request_client().hkeys(self._keys.deactivated)
        return frozenset(m.decode() for m in cast(list[bytes], found))

    def active_snapshots(self) -> dict[str, SnapshotInfo]:
        """The active snapshot per marketplace."""
        return {info.marketplace: info for info in self._listing() if info.active}

    def list_snapshots(self) -> list[SnapshotInfo]:
        """Every retained snapshot, newest first."""
        return newest_first(self._listing())

    def ping(self) -> None:
        """Return if the catalog's node answers within the store timeout, else StoreUnavailable."""
        with redis_errors("ping"):
            self._connector.request_client().exists(self._keys.active)

    def close(self) -> None:
        """Close this process's connections (reopened on next use)."""
        self._connector.close()

    # -- read side ---------------------------------------------------------------------------

    def get_sellers(self, snapshot_id: str, ids: Sequence[str]) -> list[SellerSnapshot | None]:
        """Sellers of one snapshot, aligned with `ids` (None where absent)."""
        bodies = self._bodies(snapshot_id, "s", ids)
        return [None if b is None else decode_seller(b) for b in bodies]

    def get_offers(self, snapshot_id: str, ids: Sequence[str]) -> list[OfferSnapshot | None]:
        """Offers of one snapshot, aligned with `ids` (None where absent)."""
        bodies = self._bodies(snapshot_id, "o", ids)
        return [None if b is None else decode_offer(b) for b in bodies]

    def iter_sellers(self, snapshot_id: str) -> Iterable[SellerSnapshot]:
        """Every seller of one snapshot, streamed in id order (pages on the bulk client)."""
        gen = self._remembered_gen(snapshot_id, self._fetch(snapshot_id, [])[0])
        return self._streamed_sellers(snapshot_id, gen)

    def get_artifact(self, snapshot_id: str, name: str) -> bytes | None:
        """A blob stored with the snapshot at load time, None if there is none by that name."""
        return self._bodies(snapshot_id, "a", [name])[0]

    def _bodies(self, snapshot_id: str, kind: str, ids: Sequence[str]) -> list[bytes | None]:
        """Bodies aligned with `ids`, read with the catalog entry in one round trip."""
        gen = self._gens.get(snapshot_id)
        if gen is None:
            # First read of this snapshot in this process: learn its gen (once per process).
            gen = self._remembered_gen(snapshot_id, self._fetch(snapshot_id, [])[0])
        for _ in range(_READ_ATTEMPTS):
            member, entity = f"{snapshot_id}:{gen}", self._keys.entity
            current, bodies = self._fetch(snapshot_id, [entity(member, kind, i) for i in ids])
            if current == gen:
                return bodies
            # Replaced by a forced reload (or deleted) since last seen: read again.
            gen = self._remembered_gen(snapshot_id, current)
        raise StoreUnavailable(f"redis store: snapshot {snapshot_id!r} keeps being replaced")

    def _streamed_sellers(self, snapshot_id: str, gen: str) -> Iterator[SellerSnapshot]:
        namespace = self._keys.namespace(f"{snapshot_id}:{gen}")
        start: bytes = b"-"
        while True:
            # The bulk client: pages of a thousand sellers are megabytes, read off the request
            # path (a refresh), where the read budget of a request does not apply.
            client = self._connector.bulk_client()
            with redis_errors("sellers"):
                ids = cast(
                    list[bytes],
                    client.zrange(
                        f"{namespace}:sellers", start, "+", bylex=True, offset=0, num=_SELLER_PAGE
                    ),
                )
            if not ids:
                return
            keys = [self._keys.entity(f"{snapshot_id}:{gen}", "s", i.decode()) for i in ids]
            current, bodies = self._fetch(snapshot_id, keys, client)
            if current != gen or None in bodies:
                # Deleted or replaced mid-stream: the rest would be another snapshot's sellers.
                raise SnapshotNotFound("snapshot", snapshot_id)
            yield from (decode_seller(body) for body in bodies if body is not None)
            start = b"(" + ids[-1]

    def _listing(self) -> list[SnapshotInfo]:
        with redis_errors("catalog"):
            pipe = self._connector.request_client().pipeline(transaction=True)
            pipe.hgetall(self._keys.snapshots)
            pipe.hgetall(self._keys.active)
            entries, active = pipe.execute()
        return [entry_info(sid.decode(), raw, active) for sid, raw in entries.items()]

    def _purge_dead_loads(self) -> None:
        client = self._connector.bulk_client()
        with redis_errors("prune"):
            touched = cast(dict[bytes, bytes], client.hgetall(self._keys.unlisted))
        deadline = time.time() - self._stale_load_seconds
        for member, touched_at in touched.items():
            if int(touched_at) < deadline:
                purge(client, self._keys, member.decode())
