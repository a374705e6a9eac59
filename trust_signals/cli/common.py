"""What the command groups share: the store and active config the settings name, the shrink
guard's limit, who runs a command, the folder and file options, and the signals stored
under a config before it is activated."""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable
from pathlib import Path

import click

from trust_signals.bootstrap import build_store, store_opener
from trust_signals.cli.boundary import progress_bar, settings
from trust_signals.config import TrustConfig
from trust_signals.service.config_versions import active_config
from trust_signals.service.materializer import materialize_active
from trust_signals.store.base import ServingStore

ALLOW_SHRINK_HELP = (
    "Activate even if the snapshot has far fewer sellers or offers than the active one "
    "(more than TRUST_SIGNALS_MAX_SNAPSHOT_SHRINK, default 20 %, fewer)."
)
BY_HELP = "Who activates it (default: the OS user)."
SNAPSHOT_FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)
OUT_FOLDER = click.Path(file_okay=False, path_type=Path)
OUT_FILE = click.Path(dir_okay=False, path_type=Path)


def command_store(*, create: bool = False) -> ServingStore:
    """The store the settings name; only commands that write may create it."""
    return build_store(settings(), create=create)


def store_config(store: ServingStore) -> TrustConfig:
    """The store's active config; an empty store is seeded from TRUST_SIGNALS_CONFIG."""
    return active_config(store, settings().config)


def shrink_limit(allow_shrink: bool) -> float | None:
    """The shrink guard's limit from the settings, or None when the operator allows any."""
    return None if allow_shrink else settings().max_snapshot_shrink


def os_user() -> str:
    """Who runs the command, for a config's record of who stored or activated it."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry (some containers)
        return "unknown"


def materializing(store: ServingStore) -> Callable[[TrustConfig], list[str]]:
    """What a config activation runs first: the active snapshots' signals under the new
    config, stored before any node can see it."""

    def prepare(config: TrustConfig) -> list[str]:
        started = time.perf_counter()
        active = store.active_snapshots().values()
        total = sum(info.seller_count + info.offer_count for info in active)
        with progress_bar(total, f"signals under config {config.version}") as progress:
            done = materialize_active(
                store, config, open_store=store_opener(settings()), progress=progress
            )
        if done:
            click.echo(
                f"stored the signals of {', '.join(done)} under config {config.version} "
                f"in {time.perf_counter() - started:.1f} s"
            )
        return done

    return prepare
