"""The Redis store's key layout, catalog entries and catalog scripts, and namespace purging."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zlib import crc32

import orjson

from trust_signals.store.base import SnapshotInfo
from trust_signals.store.redis_connection import Client, redis_errors

# Keys are matched with SCAN globs and the catalog's slot is chosen by a {hash tag}, so the
# prefix may hold neither glob nor brace characters.
_PREFIX: Final = re.compile(r"[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)*")
UNLINK_BATCH: Final = 1000
# Hash-tag buckets per load and kind: see RedisKeys.entity.
ENTITY_BUCKETS: Final = 64

# KEYS: snapshots, active, unlisted, signals. ARGV: snapshot_id, gen, entry, marketplace,
# force, now. Returns {status, replaced gen, active}: 1 published, 0 the load was taken over or
# purged meanwhile (nothing published), -1 the id was loaded meanwhile and this load is not
# forced. Signals of the id's earlier load are unlisted: they describe its old records.
COMMIT_SCRIPT: Final = """
local member = ARGV[1] .. ':' .. ARGV[2]
local old = redis.call('HGET', KEYS[1], ARGV[1])
local old_gen = ''
if old then old_gen = cjson.decode(old)['gen'] end
local function active() return redis.call('HGET', KEYS[2], ARGV[4]) == ARGV[1] and 1 or 0 end
if old_gen == ARGV[2] then return {1, '', active()} end
if redis.call('HEXISTS', KEYS[3], member) == 0 then return {0, '', 0} end
if old and ARGV[5] ~= '1' then return {-1, '', 0} end
redis.call('HDEL', KEYS[3], member)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HDEL', KEYS[4], ARGV[1])
if old then
  redis.call('HSET', KEYS[3], ARGV[1] .. ':' .. old_gen, ARGV[6])
  local market = cjson.decode(old)['marketplace']
  if market ~= ARGV[4] and redis.call('HGET', KEYS[2], market) == ARGV[1] then
    redis.call('HDEL', KEYS[2], market)
  end
end
return {1, old_gen, active()}
"""
# KEYS: unlisted. ARGV: 'snapshot_id:gen', now. Returns 1 renewed, 0 purged (never revived).
RENEW_SCRIPT: Final = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
# KEYS: snapshots, active, retired, deactivated. ARGV: snapshot_id, now.
# Returns 1, or 0 for an unknown snapshot. The snapshot it replaces starts retiring.
ACTIVATE_SCRIPT: Final = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
local market = cjson.decode(entry)['marketplace']
local old = redis.call('HGET', KEYS[2], market)
if old then redis.call('HSET', KEYS[3], old, ARGV[2]) end
redis.call('HSET', KEYS[2], market, ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], market)
return 1
"""
# KEYS: active, retired, deactivated. ARGV: marketplace, now.
# Returns the snapshot_id that was active (it starts retiring), or false when none was.
DEACTIVATE_SCRIPT: Final = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], old, ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return old
"""
# KEYS: snapshots, active, unlisted, retired, signals. ARGV: snapshot_id, unix seconds, now,
# grace.
# Returns {1, gen} unlisted (its keys are now to be purged), {0, ''} unknown, {2, ''} active,
# {3, seconds left} retiring (active too recently: a worker may still be serving it).
UNLIST_SCRIPT: Final = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return {0, ''} end
local info = cjson.decode(entry)
if redis.call('HGET', KEYS[2], info['marketplace']) == ARGV[1] then return {2, ''} end
local retired = redis.call('HGET', KEYS[4], ARGV[1])
if retired then
  local left = tonumber(retired) + tonumber(ARGV[4]) - tonumber(ARGV[3])
  if left > 0 then return {3, tostring(left)} end
end
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1] .. ':' .. info['gen'], ARGV[2])
return {1, info['gen']}
"""


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """Every key name the store uses, under one prefix."""

    prefix: str

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ValueError(f"key_prefix {self.prefix!r}: use A-Z a-z 0-9 . _ - and ':'")

    @property
    def _catalog(self) -> str:
        # One hash tag for the three catalog keys: one slot, so scripts may touch them all.
        return f"{self.prefix}:{{{self.prefix}:catalog}}"

    @property
    def snapshots(self) -> str:
        """Hash: snapshot_id -> catalog entry JSON."""
        return f"{self._catalog}:snapshots"

    @property
    def active(self) -> str:
        """Hash: marketplace -> active snapshot_id."""
        return f"{self._catalog}:active"

    @property
    def unlisted(self) -> str:
        """Hash: 'snapshot_id:gen' -> unix seconds last touched, for namespaces not listed."""
        return f"{self._catalog}:unlisted"

    @property
    def retired(self) -> str:
        """Hash: snapshot_id -> unix seconds it stopped being active (until deleted)."""
        return f"{self._catalog}:retired"

    @property
    def deactivated(self) -> str:
        """Hash: marketplace -> unix seconds it was deactivated on purpose."""
        return f"{self._catalog}:deactivated"

    @property
    def signals(self) -> str:
        """Hash: snapshot_id -> JSON {signals version: [gen, token]} of its materializations."""
        return f"{self._catalog}:signals"

    @property
    def config_keys(self) -> list[str]:
        """The config keys, in the config scripts' KEYS order: versions, their activations,
        the active version (redis_config); under the catalog's hash tag, so one slot."""
        names = ("configs", "config_activations", "active_config")
        return [f"{self._catalog}:{name}" for name in names]

    @property
    def catalog(self) -> list[str]:
        """The keys the commit script takes, in its KEYS order."""
        return [self.snapshots, self.active, self.unlisted, self.signals]

    def namespace(self, member: str) -> str:
        """The key prefix of one load ('snapshot_id:gen'): every key of the load starts so."""
        return f"{self.prefix}:snap:{member}"

    def entity(self, member: str, kind: str, entity_id: str) -> str:
        """The key of one seller ('s'), offer ('o') or artifact ('a') of a load.

        Its hash tag names one of ENTITY_BUCKETS buckets, chosen by the id's CRC-32. On a
        cluster a batch read is one MGET per slot: without buckets, 500 random ids were about
        490 MGETs; with them, at most 64. A load's keys still spread over 64 slots per kind,
        so over every node of a cluster of a few dozen.
        """
        bucket = crc32(entity_id.encode()) % ENTITY_BUCKETS
        return f"{self.namespace(member)}:{kind}:{{{member}:{kind}:{bucket}}}:{entity_id}"

    def signal_row(self, member: str, rows: str, kind: str, entity_id: str) -> str:
        """The key of one materialized row: an entity key of the load, its kind prefixed with
        `rows` ('g<version><token>', one materialization), so it goes with the load's keys."""
        return self.entity(member, f"{rows}{kind}", entity_id)

    def signal_rows(self, member: str, rows: str) -> str:
        """The SCAN pattern of every row of one materialization."""
        return f"{self.namespace(member)}:{rows}?:*"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A catalog entry: the snapshot's facts and the gen (load) its keys live under."""

    info: SnapshotInfo
    gen: str

    def to_json(self) -> bytes:
        """The entry as stored in the snapshots hash (`active` is kept in its own hash)."""
        info = self.info
        return orjson.dumps(
            {
                "marketplace": info.marketplace,
                "as_of": info.as_of.isoformat(),
                "loaded_at": info.loaded_at.isoformat(),
                "seller_count": info.seller_count,
                "offer_count": info.offer_count,
                "gen": self.gen,
            }
        )


def entry_gen(raw: bytes) -> str:
    """The gen of a stored catalog entry."""
    return str(orjson.loads(raw)["gen"])


def entry_info(snapshot_id: str, raw: bytes, active: dict[bytes, bytes]) -> SnapshotInfo:
    """SnapshotInfo of a stored catalog entry, active if `active` (marketplace -> id) says so."""
    record = orjson.loads(raw)
    return SnapshotInfo(
        snapshot_id=snapshot_id,
        marketplace=record["marketplace"],
        as_of=date.fromisoformat(record["as_of"]),
        loaded_at=datetime.fromisoformat(record["loaded_at"]),
        seller_count=record["seller_count"],
        offer_count=record["offer_count"],
        active=active.get(record["marketplace"].encode()) == snapshot_id.encode(),
    )


def purge(client: Client, keys: RedisKeys, member: str) -> None:
    """Delete one unlisted namespace's keys in bounded batches, then forget the namespace."""
    unlink_matching(client, f"{keys.namespace(member)}:*")
    with redis_errors("purge"):
        client.hdel(keys.unlisted, member)


def unlink_matching(client: Client, pattern: str) -> None:
    """Delete every key matching a SCAN pattern, in bounded batches."""
    with redis_errors("purge"):
        batch: list[bytes] = []
        # SCAN + UNLINK in batches: a million-key snapshot never blocks the server for long,
        # and UNLINK frees the memory off the main thread. On a cluster scan_iter visits every
        # primary in turn.
        for key in client.scan_iter(match=pattern, count=UNLINK_BATCH):
            batch.append(key)
            if len(batch) >= UNLINK_BATCH:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
