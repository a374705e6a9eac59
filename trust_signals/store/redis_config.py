"""The Redis store's config versions: three keys under the catalog's hash tag.

    ts:{ts:catalog}:configs              hash version -> record JSON (text, approval, who, when)
    ts:{ts:catalog}:config_activations   hash version -> {"by", "at"} of its last activation
    ts:{ts:catalog}:active_config        string: the active version
One slot, so activation and seeding are each one Lua script, on a server or a cluster. A
stored record is never rewritten: activations are kept beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, cast

import orjson

from trust_signals.errors import ConfigVersionNotFound
from trust_signals.store.base import StoredConfig
from trust_signals.store.redis_catalog import RedisKeys
from trust_signals.store.redis_connection import RedisConnector, redis_errors
from trust_signals.store.retention import configs_newest_first

# KEYS: configs, config_activations, active_config. ARGV: version, activation JSON.
# Returns 1, or 0 for a version not stored (nothing changed).
ACTIVATE_CONFIG_SCRIPT: Final = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SET', KEYS[3], ARGV[1])
return 1
"""
# KEYS: configs, config_activations, active_config. ARGV: version, record JSON, activation
# JSON. Returns 1 seeded, 0 a config was active already (nothing changed).
SEED_CONFIG_SCRIPT: Final = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('SET', KEYS[3], ARGV[1])
return 1
"""


class RedisConfigCatalog:
    """ConfigCatalog over Redis; mixed into RedisSnapshotStore, whose clients it uses.

    Workers poll the active version (one GET) on the request client; everything else uses
    the bulk client, whose longer timeout suits a config's text.
    """

    _connector: RedisConnector
    _keys: RedisKeys
    _clock: Callable[[], datetime]

    def add_config(self, version: str, text: str, approval_reference: str, by: str) -> StoredConfig:
        """Store a version, not active yet; a version already stored keeps its first record."""
        configs, _, _ = self._keys.config_keys
        record = _record_json(text, approval_reference, by, self._clock())
        with redis_errors("config"):
            self._connector.bulk_client().hsetnx(configs, version, record)
        return self.get_config(version)

    def activate_config(self, version: str, by: str) -> None:
        """Atomically make a stored version the active one; ConfigVersionNotFound if absent."""
        with redis_errors("config"):
            found = self._connector.bulk_client().eval(
                ACTIVATE_CONFIG_SCRIPT, 3, *self._keys.config_keys, version, self._activation(by)
            )
        if not found:
            raise ConfigVersionNotFound(version)

    def seed_config(self, version: str, text: str, approval_reference: str, by: str) -> bool:
        """Store and activate a version only if no config is active; True if this call did."""
        record = _record_json(text, approval_reference, by, self._clock())
        with redis_errors("config"):
            seeded = self._connector.bulk_client().eval(
                SEED_CONFIG_SCRIPT,
                3,
                *self._keys.config_keys,
                version,
                record,
                self._activation(by),
            )
        return bool(seeded)

    def active_config_version(self) -> str | None:
        """The active config version; None until one is seeded or activated."""
        _, _, active = self._keys.config_keys
        with redis_errors("config"):
            raw = self._connector.request_client().get(active)
        return None if raw is None else cast(bytes, raw).decode()

    def get_config(self, version: str) -> StoredConfig:
        """One stored version; ConfigVersionNotFound if absent."""
        configs, activations, _ = self._keys.config_keys
        with redis_errors("config"):
            pipe = self._connector.bulk_client().pipeline(transaction=True)
            pipe.hget(configs, version)
            pipe.hget(activations, version)
            record, activation = pipe.execute()
        if record is None:
            raise ConfigVersionNotFound(version)
        return _stored_config(version, record, activation)

    def list_configs(self) -> list[StoredConfig]:
        """Every stored version, newest stored first."""
        configs, activations, _ = self._keys.config_keys
        with redis_errors("config"):
            pipe = self._connector.bulk_client().pipeline(transaction=True)
            pipe.hgetall(configs)
            pipe.hgetall(activations)
            records, activated = pipe.execute()
        return configs_newest_first(
            _stored_config(version.decode(), record, activated.get(version))
            for version, record in records.items()
        )

    def _activation(self, by: str) -> bytes:
        return orjson.dumps({"by": by, "at": self._clock().isoformat()})


def _record_json(text: str, approval_reference: str, by: str, stored_at: datetime) -> bytes:
    return orjson.dumps(
        {
            "text": text,
            "approval_reference": approval_reference,
            "stored_by": by,
            "stored_at": stored_at.isoformat(),
        }
    )


def _stored_config(version: str, record: bytes, activation: bytes | None) -> StoredConfig:
    fields = orjson.loads(record)
    last = orjson.loads(activation) if activation is not None else {"by": None, "at": None}
    return StoredConfig(
        version=version,
        text=fields["text"],
        approval_reference=fields["approval_reference"],
        stored_by=fields["stored_by"],
        stored_at=datetime.fromisoformat(fields["stored_at"]),
        activated_by=last["by"],
        activated_at=None if last["at"] is None else datetime.fromisoformat(last["at"]),
    )
