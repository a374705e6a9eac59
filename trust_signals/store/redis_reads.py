"""Reads of the Redis store's keys: a snapshot's listed gen, with values, in one round trip."""

from __future__ import annotations

from collections.abc import Sequence

from redis.crc import key_slot

from trust_signals.errors import SnapshotNotFound
from trust_signals.store.redis_catalog import RedisKeys, entry_gen
from trust_signals.store.redis_connection import Client, RedisConnector, redis_errors


class RedisReader:
    """The round trip every read makes; the base of the store's snapshot and signal reads."""

    _connector: RedisConnector
    _keys: RedisKeys
    # snapshot_id -> gen last seen; every read checks it again in its own round trip.
    _gens: dict[str, str]

    def _remembered_gen(self, snapshot_id: str, current: str | None) -> str:
        """`current`, the gen the catalog lists, remembered; SnapshotNotFound if unlisted."""
        if current is None:
            self._gens.pop(snapshot_id, None)
            raise SnapshotNotFound("snapshot", snapshot_id)
        self._gens[snapshot_id] = current
        return current

    def _fetch(
        self, snapshot_id: str, keys: list[str], client: Client | None = None
    ) -> tuple[str | None, list[bytes | None]]:
        """The listed gen of a snapshot and the values of `keys`, in one pipeline.

        On the request client (the store timeout) unless another `client` is given.
        """
        raw, _, bodies = self._round_trip(snapshot_id, keys, client)
        return (None if raw is None else entry_gen(raw)), bodies

    def _round_trip(
        self,
        snapshot_id: str,
        keys: list[str],
        client: Client | None = None,
        *,
        signals: bool = False,
    ) -> tuple[bytes | None, bytes | None, list[bytes | None]]:
        """The snapshot's catalog entry, its signals entry if `signals`, and the values of
        `keys`, in one pipeline (on the request client unless another `client` is given)."""
        client = self._connector.request_client() if client is None else client
        cluster = self._connector.target.is_cluster
        groups: Sequence[Sequence[int]] = (
            slot_groups(keys) if cluster else [range(len(keys))] if keys else []
        )
        with redis_errors("read"):
            # MULTI on one server: the entries and the bodies come from the same instant. A
            # cluster cannot span slots in one transaction; its pipeline sends every node's
            # share before reading any reply, still one round trip.
            pipe = client.pipeline(transaction=not cluster)
            pipe.hget(self._keys.snapshots, snapshot_id)
            if signals:
                pipe.hget(self._keys.signals, snapshot_id)
            for group in groups:
                # execute_command: a cluster pipeline refuses mget(), not a one-slot MGET.
                pipe.execute_command("MGET", *[keys[i] for i in group])
            raw, *replies = pipe.execute()
        listed = replies.pop(0) if signals else None
        bodies: list[bytes | None] = [None] * len(keys)
        for group, reply in zip(groups, replies, strict=True):
            for index, body in zip(group, reply, strict=True):
                bodies[index] = body
        return raw, listed, bodies


def slot_groups(keys: list[str]) -> list[list[int]]:
    """Indexes of `keys` grouped by cluster slot: MGET may only span one slot."""
    groups: dict[int, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key_slot(key.encode()), []).append(index)
    return list(groups.values())
