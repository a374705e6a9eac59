"""The trust-signals command line: generate, load, snapshots, config, demo."""

from __future__ import annotations

import getpass
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click
import orjson

from trust_signals.bootstrap import build_store, load_snapshot_dir, snapshot_dirs
from trust_signals.config import TrustConfig, load_config, load_settings
from trust_signals.errors import ConfigError, SnapshotRejected, SnapshotRetiring, TrustSignalsError
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.ingest.manifest import read_manifest
from trust_signals.service.config_versions import (
    Activation,
    activate_config_file,
    active_config,
    rollback_config,
)
from trust_signals.store.activation import activate_checked
from trust_signals.store.base import ServingStore, StoredConfig

DEMO_SIZE = {"sellers": 3_000, "offers": 30_000}
ALLOW_SHRINK_HELP = (
    "Activate even if the snapshot has far fewer sellers or offers than the active one "
    "(more than TRUST_SIGNALS_MAX_SNAPSHOT_SHRINK, default 20 %, fewer)."
)


def _active_config(store: ServingStore) -> TrustConfig:
    """The store's active config; an empty store is seeded from TRUST_SIGNALS_CONFIG."""
    return active_config(store, load_settings(os.environ).config)


def _store() -> ServingStore:
    return build_store(load_settings(os.environ))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry (some containers)
        return "unknown"


@contextmanager
def _refusals() -> Iterator[None]:
    """Exit 1 on a refusal: a config's every problem on its own line, else one line."""
    try:
        yield
    except ConfigError as error:
        for line in error.problems:
            click.echo(line, err=True)
        sys.exit(1)
    except TrustSignalsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


@click.group()
def main() -> None:
    """Trust signals from seller and offer performance snapshots."""


@main.command()
@click.option("--sellers", type=click.IntRange(min=1), required=True)
@click.option("--offers", type=click.IntRange(min=1), required=True)
@click.option("--marketplaces", default="US,DE,IN", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--plain", is_flag=True, help="Write .jsonl instead of .jsonl.gz.")
def generate(
    sellers: int, offers: int, marketplaces: str, seed: int, as_of: object, out: Path, plain: bool
) -> None:
    """Write a synthetic snapshot per marketplace under OUT."""
    day = as_of.date() if as_of is not None else date.today()  # type: ignore[attr-defined]
    dirs = generate_snapshots(
        out,
        sellers=sellers,
        offers=offers,
        marketplaces=[m.strip() for m in marketplaces.split(",") if m.strip()],
        seed=seed,
        as_of=day,
        compress=not plain,
    )
    for directory in dirs:
        click.echo(str(directory))


def _max_shrink(allow_shrink: bool) -> float | None:
    """The shrink guard's limit from the settings, or None when the operator allows any."""
    return None if allow_shrink else load_settings(os.environ).max_snapshot_shrink


def load_dirs(
    paths: Iterable[Path], *, force: bool, activate: bool, allow_shrink: bool = False
) -> list[str]:
    """Load each snapshot directory with a progress bar on a terminal; ids loaded.

    Cohort artifacts are computed for the store's active config, the one workers serve.
    """
    store = _store()
    config = _active_config(store)
    max_shrink = _max_shrink(allow_shrink)
    loaded = []
    for directory in snapshot_dirs(paths):
        manifest = read_manifest(directory)
        total = manifest.sellers.records + manifest.offers.records
        with click.progressbar(length=total, label=f"loading {directory}", file=sys.stderr) as bar:
            info = load_snapshot_dir(
                store,
                directory,
                config,
                force=force,
                activate=activate,
                max_shrink=max_shrink,
                progress=bar.update if sys.stderr.isatty() else None,
            )
        loaded.append(info.snapshot_id)
        click.echo(
            f"loaded {info.snapshot_id} ({info.marketplace}, {info.seller_count} sellers, "
            f"{info.offer_count} offers){' and activated' if activate else ''}"
        )
    return loaded


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a snapshot already loaded.")
@click.option("--no-activate", is_flag=True, help="Load without activating.")
@click.option("--allow-shrink", is_flag=True, help=ALLOW_SHRINK_HELP)
def load(paths: tuple[Path, ...], force: bool, no_activate: bool, allow_shrink: bool) -> None:
    """Verify, validate and load snapshot directories, then activate them."""
    try:
        load_dirs(paths, force=force, activate=not no_activate, allow_shrink=allow_shrink)
    except SnapshotRejected as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    except TrustSignalsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


@main.group()
def snapshots() -> None:
    """List, activate and delete loaded snapshots."""


@snapshots.command("list")
def snapshots_list() -> None:
    """Every retained snapshot, newest first; * marks the active ones."""
    for info in _store().list_snapshots():
        mark = "*" if info.active else " "
        click.echo(
            f"{mark} {info.snapshot_id:<24} {info.marketplace}  as_of {info.as_of}  "
            f"{info.seller_count} sellers  {info.offer_count} offers  loaded {info.loaded_at}"
        )


@snapshots.command("activate")
@click.argument("snapshot_id")
@click.option("--allow-shrink", is_flag=True, help=ALLOW_SHRINK_HELP)
def snapshots_activate(snapshot_id: str, allow_shrink: bool) -> None:
    """Make SNAPSHOT_ID the active snapshot of its marketplace (rollback too)."""
    try:
        activate_checked(_store(), snapshot_id, max_shrink=_max_shrink(allow_shrink))
    except TrustSignalsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"activated {snapshot_id}")


@snapshots.command("deactivate")
@click.argument("marketplace")
def snapshots_deactivate(marketplace: str) -> None:
    """Stop serving MARKETPLACE on purpose (its snapshot stays loaded for rollback).

    Unlike a store that lost its data, which workers ride out on their last good view, a
    deactivated marketplace is dropped by every worker within the reload interval.
    """
    try:
        snapshot_id = _store().deactivate(marketplace)
    except TrustSignalsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"deactivated {marketplace} (was serving {snapshot_id})")


@snapshots.command("delete")
@click.argument("snapshot_id")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Fail instead of waiting when workers may still be serving the snapshot.",
)
def snapshots_delete(snapshot_id: str, no_wait: bool) -> None:
    """Delete an inactive snapshot, once no worker can still be serving it.

    A snapshot replaced or deactivated moments ago may still be read by a worker that has
    not refreshed yet; the deletion waits out that grace period (or fails with --no-wait).
    """
    store = _store()
    try:
        while True:
            try:
                store.delete(snapshot_id)
                break
            except SnapshotRetiring as retiring:
                if no_wait:
                    raise
                click.echo(f"waiting {retiring.seconds_left:.1f} s for workers to move off it")
                time.sleep(retiring.seconds_left)
    except TrustSignalsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"deleted {snapshot_id}")


@main.group()
def config() -> None:
    """Check, activate, roll back and show the legal-approved configuration."""


@config.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def config_check(file: Path) -> None:
    """Validate FILE; print every problem with its path and exit non-zero if any."""
    with _refusals():
        checked = load_config(file)
    click.echo(f"ok: {file} config_version {checked.version}")


@config.command("activate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--approval-ref", "approval_ref", required=True, help="The approval of FILE.")
@click.option("--by", default=None, help="Who activates it (default: the OS user).")
def config_activate(file: Path, approval_ref: str, by: str | None) -> None:
    """Validate FILE whole, store it and make it every node's config at once."""
    with _refusals():
        done = activate_config_file(_store(), file, approval_ref, by or _os_user())
    _echo_activation(done)


@config.command("rollback")
@click.argument("version", required=False)
@click.option("--by", default=None, help="Who activates it (default: the OS user).")
def config_rollback(version: str | None, by: str | None) -> None:
    """Activate stored VERSION again (default: the one active before the current)."""
    with _refusals():
        done = rollback_config(_store(), version, by or _os_user())
    _echo_activation(done)


@config.command("history")
def config_history() -> None:
    """Every stored config version, newest first, with its approval; * marks the active one."""
    with _refusals():
        store = _store()
        active = store.active_config_version()
        stored = store.list_configs()
    if not stored:
        click.echo("no config stored yet: the first worker or load stores TRUST_SIGNALS_CONFIG")
    for entry in stored:
        mark = "*" if entry.version == active else " "
        click.echo(f"{mark} {_history_line(entry)}")


@config.command("show")
@click.option("--config", "config_file", default=None, help="A config file instead.")
def config_show(config_file: str | None) -> None:
    """The store's active configuration (or FILE's) per marketplace, as JSON."""
    with _refusals():
        checked = load_config(config_file) if config_file else _active_config(_store())
    click.echo(orjson.dumps(checked.describe(), option=orjson.OPT_INDENT_2).decode())


def _echo_activation(done: Activation) -> None:
    if not done.changed:
        click.echo(f"config {done.config.version} is already active; nothing changed")
        return
    click.echo(
        f"activated config {done.config.version} (approval {done.config.approval_reference}): "
        "every node serves it within the reload interval"
    )


def _history_line(entry: StoredConfig) -> str:
    activated = (
        f"activated {_when(entry.activated_at)} by {entry.activated_by}"
        if entry.activated_at is not None
        else "never activated"
    )
    return (
        f"{entry.version}  approval {entry.approval_reference}  "
        f"stored {_when(entry.stored_at)} by {entry.stored_by}  {activated}"
    )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def demo(out: Path) -> None:
    """Generate and load a small demo snapshot unless one is already active."""
    if _store().active_snapshots():
        click.echo("a snapshot is already active; nothing to do")
        return
    if not any(snapshot_dirs([out])) if out.exists() else True:
        generate_snapshots(
            out, marketplaces=["US", "DE", "IN"], seed=7, as_of=date.today(), **DEMO_SIZE
        )
    load_dirs([out], force=True, activate=True)
