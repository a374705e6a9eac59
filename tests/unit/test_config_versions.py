"""Config versions over the in-memory store: seeding, the workers' reader, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from trust_signals.config import load_config
from trust_signals.errors import ConfigError, TrustSignalsError
from trust_signals.service.config_versions import (
    activate_config_file,
    active_config,
    rollback_config,
    stored_config_reader,
)
from trust_signals.store.memory import InMemorySnapshotStore


def with_wilson_z(config_path: Path, z: str) -> Path:
    """A copy of the config with another wilson_z (so another version)."""
    path = config_path.with_name(f"z-{z}.toml")
    path.write_text(config_path.read_text().replace("wilson_z = 1.96", f"wilson_z = {z}"))
    return path


def test_reader_seeds_an_empty_store_and_parses_each_version_once(config_path: Path) -> None:
    store = InMemorySnapshotStore()
    read = stored_config_reader(store, config_path)

    first, second = read(), read()

    assert first is second
    assert first.version == load_config(config_path).version
    assert [(c.stored_by, c.approval_reference) for c in store.list_configs()] == [
        ("seed", "TEST-0001")
    ]


def test_reader_follows_activations_not_the_config_path(config_path: Path) -> None:
    store = InMemorySnapshotStore()
    read = stored_config_reader(store, config_path)
    seeded = read().version
    config_path.write_text(with_wilson_z(config_path, "1.64").read_text())
    assert read().version == seeded

    activated = activate_config_file(store, config_path, "LEGAL-2", "ops")

    assert read().version == activated.config.version != seeded


def test_invalid_config_path_is_refused_and_nothing_is_stored(config_path: Path) -> None:
    store = InMemorySnapshotStore()
    cut = config_path.with_name("cut.toml")
    cut.write_text(config_path.read_text().replace("[end]", ""))

    with pytest.raises(ConfigError):
        active_config(store, cut)

    assert (store.active_config_version(), store.list_configs()) == (None, [])


def test_a_version_this_code_cannot_read_raises_on_every_read_until_another_is_active(
    config_path: Path,
) -> None:
    store = InMemorySnapshotStore()
    read = stored_config_reader(store, config_path)
    seeded = read().version
    store.add_config("future", "format = 2\n", "LEGAL-9", "next release")
    store.activate_config("future", "ops")

    refusals = []
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            read()
        refusals.append(caught.value.problems[0])
    rollback_config(store, seeded, "ops")

    assert (
        refusals
        == [
            "end: missing: a config ends with an [end] table repeating its config_name; "
            "without it the file may be cut short"
        ]
        * 2
    )
    assert read().version == seeded


def test_rollback_refuses_a_version_this_code_cannot_read(config_path: Path) -> None:
    store = InMemorySnapshotStore()
    seeded = active_config(store, config_path).version
    store.add_config("future", "format = 2\n", "LEGAL-9", "next release")

    with pytest.raises(ConfigError):
        rollback_config(store, "future", "ops")

    assert store.active_config_version() == seeded


def test_rollback_without_a_version_goes_back_and_forth_between_the_last_two(
    config_path: Path,
) -> None:
    store = InMemorySnapshotStore()
    seeded = active_config(store, config_path).version
    second = activate_config_file(store, with_wilson_z(config_path, "1.64"), "L2", "ops")
    third = activate_config_file(store, with_wilson_z(config_path, "2.33"), "L3", "ops")

    back = [rollback_config(store, None, "ops").config.version for _ in range(3)]

    assert back == [second.config.version, third.config.version, second.config.version]
    assert seeded not in back


def test_rollback_with_nothing_earlier_is_refused(config_path: Path) -> None:
    store = InMemorySnapshotStore()
    active_config(store, config_path)

    with pytest.raises(TrustSignalsError, match="nothing to roll back to"):
        rollback_config(store, None, "ops")
