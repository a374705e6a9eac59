"""RedisSnapshotWriter: writes one snapshot under a fresh namespace, then lists it atomically."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Final

from trust_signals.errors import SnapshotExists, StoreUnavailable
from trust_signals.store.base import SnapshotInfo
from trust_signals.store.redis_catalog import (
    COMMIT_SCRIPT,
    RENEW_SCRIPT,
    CatalogEntry,
    RedisKeys,
    purge,
)
from trust_signals.store.redis_connection import Pipeline, RedisConnector, redis_errors

# SETs per pipeline: big enough that the round trip is noise, small enough that one batch's
# replies (and a cluster pipeline's per-node buffers) stay a few hundred kilobytes.
PIPELINE_BATCH: Final = 2000


def set_all(pipe: Pipeline, bodies: dict[str, bytes], *, cluster: bool) -> None:
    """Queue SETs of every (key, body) on the pipeline."""
    if cluster:
        # Keys spread over slots and one MSET may not span slots: one SET each, which the
        # cluster pipeline groups by node.
        for key, body in bodies.items():
            pipe.set(key, body)
    else:
        # One MSET per batch: a third of the client CPU of as many SETs.
        pipe.mset(bodies)


class RedisSnapshotWriter:
    """Writes one snapshot's keys in pipelined batches; `commit` lists it in the catalog.

    The keys live under a namespace of their own ('snapshot_id:gen'), recorded in the
    catalog's unlisted hash until commit, so a forced reload never touches the keys being
    served and a load that dies leaves keys that a later begin() or prune() can find.
    """

    def __init__(
        self,
        connector: RedisConnector,
        keys: RedisKeys,
        entry: CatalogEntry,
        *,
        force: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self._connector = connector
        self._keys = keys
        self._entry = entry
        self._force = force
        self._clock = clock
        self._member = f"{entry.info.snapshot_id}:{entry.gen}"
        self._namespace = keys.namespace(self._member)
        self._counts = [0, 0]
        self._open = True

    def add_sellers(self, sellers: Sequence[tuple[str, bytes]]) -> None:
        """Store a batch of (seller_id, canonical JSON record)."""
        self._check_open()
        for start in range(0, len(sellers), PIPELINE_BATCH):
            batch = sellers[start : start + PIPELINE_BATCH]
            with redis_errors("sellers"):
                pipe = self._pipeline()
                keys = self._keys
                self._set_all(pipe, {keys.entity(self._member, "s", i): b for i, b in batch})
                # Equal scores order a sorted set by member bytes, which for UTF-8 is the code
                # point order of Python's sorted(): iter_sellers pages through it in id order.
                pipe.zadd(f"{self._namespace}:sellers", {seller_id: 0 for seller_id, _ in batch})
                renewed = pipe.execute()[0]
            self._check_renewed(renewed)
        self._counts[0] += len(sellers)

    def add_offers(self, offers: Sequence[tuple[str, str, bytes]]) -> None:
        """Store a batch of (offer_id, seller_id, canonical JSON record)."""
        self._check_open()
        for start in range(0, len(offers), PIPELINE_BATCH):
            with redis_errors("offers"):
                pipe = self._pipeline()
                batch = offers[start : start + PIPELINE_BATCH]
                keys = self._keys
                self._set_all(pipe, {keys.entity(self._member, "o", i): b for i, _, b in batch})
                # The materializer reads a seller's offers as one range: '|' is not in the id
                # alphabet, so 'seller|' prefixes exactly that seller's members.
                pipe.zadd(f"{self._namespace}:offers", {f"{s}|{i}": 0 for i, s, _ in batch})
                renewed = pipe.execute()[0]
            self._check_renewed(renewed)
        self._counts[1] += len(offers)

    def put_artifact(self, name: str, blob: bytes) -> None:
        """Store a precomputed blob with the snapshot (a second put replaces the first)."""
        self._check_open()
        with redis_errors("artifacts"):
            key = self._keys.entity(self._member, "a", name)
            pipe = self._pipeline()
            pipe.set(key, blob)
            renewed = pipe.execute()[0]
        self._check_renewed(renewed)

    def commit(self) -> SnapshotInfo:
        """List the snapshot in the catalog (not active), then purge any snapshot it replaced."""
        self._check_open()
        sellers, offers = self._counts
        info = replace(
            self._entry.info, loaded_at=self._clock(), seller_count=sellers, offer_count=offers
        )
        entry = replace(self._entry, info=info)
        client = self._connector.bulk_client()
        with redis_errors("commit"):
            status, replaced, active = client.eval(
                COMMIT_SCRIPT, len(self._keys.catalog), *self._keys.catalog,
                info.snapshot_id, entry.gen, entry.to_json(), info.marketplace,
                "1" if self._force else "0", str(int(time.time())),
            )  # fmt: skip
        if status == -1:
            raise SnapshotExists(info.snapshot_id)
        self._check_renewed(status)
        self._open = False
        if replaced:
            purge(client, self._keys, f"{info.snapshot_id}:{replaced.decode()}")
        return replace(info, active=bool(active))

    def abort(self) -> None:
        """Discard everything written (safe to call more than once)."""
        if self._open:
            self._open = False
            purge(self._connector.bulk_client(), self._keys, self._member)

    def start(self) -> None:
        """Record the namespace as in progress, before any of its keys exist."""
        with redis_errors("begin"):
            self._connector.bulk_client().hset(self._keys.unlisted, self._member, int(time.time()))

    def _pipeline(self) -> Pipeline:
        pipe = self._connector.bulk_client().pipeline(transaction=False)
        # Each batch renews the lease, so only a load idle that long looks dead to prune; a
        # lease already purged stays gone, and this load then fails instead of committing.
        # execute_command: a cluster pipeline has no eval(), but routes EVAL by its key.
        pipe.execute_command(
            "EVAL", RENEW_SCRIPT, 1, self._keys.unlisted, self._member, int(time.time())
        )
        return pipe

    def _set_all(self, pipe: Pipeline, bodies: dict[str, bytes]) -> None:
        set_all(pipe, bodies, cluster=self._connector.target.is_cluster)

    def _check_renewed(self, renewed: int) -> None:
        if not renewed:
            self.abort()
            raise StoreUnavailable(
                f"snapshot {self._entry.info.snapshot_id!r}: this load was purged meanwhile"
                " (another begin() of the same id, or prune() took it for dead)"
            )

    def _check_open(self) -> None:
        if not self._open:
            raise ValueError("snapshot writer already committed or aborted")
