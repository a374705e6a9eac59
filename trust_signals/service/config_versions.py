"""The served config as versions in the store: activation, rollback, seeding, and the reader
every worker polls.

Every node serves the store's active version, so an activation reaches all of them within
the reload interval and a config file edited in place reaches none: a file only seeds a
store in which no config is active yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from trust_signals.config import TrustConfig, parse_config, read_config_text
from trust_signals.errors import ConfigError, TrustSignalsError
from trust_signals.store.base import ConfigCatalog, StoredConfig

SEEDED_BY: Final = "seed"
Prepare = Callable[[TrustConfig], object]


@dataclass(frozen=True, slots=True)
class Activation:
    """The version an activation left active; `changed` is False if it was active already."""

    config: StoredConfig
    changed: bool


def parse_stored(stored: StoredConfig) -> TrustConfig:
    """A stored version as this code reads it; ConfigError if this code cannot serve it."""
    return parse_config(stored.text, f"stored config {stored.version}")


def active_version(catalog: ConfigCatalog, seed_file: Path) -> str:
    """The active version; a store with none first gets `seed_file`'s config, once."""
    version = catalog.active_config_version()
    if version is not None:
        return version
    text = read_config_text(seed_file)
    config = parse_config(text, str(seed_file))
    if catalog.seed_config(config.version, text, config.approval_reference, SEEDED_BY):
        return config.version
    return active_version(catalog, seed_file)  # another process seeded first: serve its own


def active_config(catalog: ConfigCatalog, seed_file: Path) -> TrustConfig:
    """The store's active config, seeding an empty store from `seed_file`."""
    return parse_stored(catalog.get_config(active_version(catalog, seed_file)))


def stored_config_reader(catalog: ConfigCatalog, seed_file: Path) -> Callable[[], TrustConfig]:
    """What each worker polls: the store's active config, each version parsed once.

    One small read per call. A version this code cannot parse raises ConfigError on every
    call (the worker keeps serving the previous one and reports why) without being parsed
    again.
    """
    last: dict[str, TrustConfig | tuple[str, ...]] = {}

    def read() -> TrustConfig:
        version = active_version(catalog, seed_file)
        if version not in last:
            try:
                parsed: TrustConfig | tuple[str, ...] = parse_stored(catalog.get_config(version))
            except ConfigError as error:
                parsed = error.problems
            last.clear()
            last[version] = parsed
        found = last[version]
        if isinstance(found, tuple):
            raise ConfigError(found)  # a new error each time: one raised again keeps growing
        return found

    return read


def activate_config_file(
    catalog: ConfigCatalog,
    path: Path,
    approval_reference: str,
    by: str,
    *,
    prepare: Prepare | None = None,
) -> Activation:
    """Validate the file whole, store it and make it the active config of every node.

    Nothing is stored when the file has any problem: ConfigError lists them all. `prepare`
    runs before the switch (the active snapshots' signals are computed for the new config,
    so that every node can serve it the moment it sees it).
    """
    check_approval_reference(approval_reference)
    text = read_config_text(path)
    config = parse_config(text, str(path))
    catalog.add_config(config.version, text, approval_reference, by)
    return _activated(catalog, config, by, prepare)


def check_approval_reference(approval_reference: str) -> None:
    """ConfigError unless the reference names an approval (is not blank)."""
    if not approval_reference.strip():
        raise ConfigError(["approval reference: must not be empty"])


def rollback_config(
    catalog: ConfigCatalog, version: str | None, by: str, *, prepare: Prepare | None = None
) -> Activation:
    """Activate a stored version again: `version`, else the one active before the current."""
    target = version if version is not None else previous_version(catalog)
    config = parse_stored(catalog.get_config(target))  # never activate what cannot serve
    return _activated(catalog, config, by, prepare)


def previous_version(catalog: ConfigCatalog) -> str:
    """The version active before the current one: the last activated of the others."""
    active = catalog.active_config_version()
    earlier = [
        (stored.activated_at, stored.version)
        for stored in catalog.list_configs()
        if stored.activated_at is not None and stored.version != active
    ]
    if not earlier:
        raise TrustSignalsError("no other config version was ever active: nothing to roll back to")
    return max(earlier)[1]


def _activated(
    catalog: ConfigCatalog, config: TrustConfig, by: str, prepare: Prepare | None
) -> Activation:
    version = config.version
    if catalog.active_config_version() == version:
        return Activation(catalog.get_config(version), changed=False)
    if prepare is not None:
        prepare(config)
    catalog.activate_config(version, by)
    return Activation(catalog.get_config(version), changed=True)
