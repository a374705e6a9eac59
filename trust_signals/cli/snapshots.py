"""`trust-signals snapshots`: list, activate (a rollback too), deactivate and delete the
loaded snapshots."""

from __future__ import annotations

import time

import click

from trust_signals.bootstrap import store_opener
from trust_signals.cli.boundary import settings
from trust_signals.cli.common import ALLOW_SHRINK_HELP, command_store, shrink_limit, store_config
from trust_signals.errors import SnapshotRetiring
from trust_signals.plurals import counted
from trust_signals.service.administration import activate_snapshot


@click.group()
def snapshots() -> None:
    """List, activate, deactivate and delete loaded snapshots."""


@snapshots.command("list")
def snapshots_list() -> None:
    """Every retained snapshot, newest first; * marks the active ones."""
    listed = command_store().list_snapshots()
    if not listed:
        click.echo("no snapshot loaded yet: `trust-signals load DIR` loads one")
    for info in listed:
        mark = "*" if info.active else " "
        click.echo(
            f"{mark} {info.snapshot_id:<24} {info.marketplace}  as_of {info.as_of}  "
            f"{counted(info.seller_count, 'seller')}  {counted(info.offer_count, 'offer')}  "
            f"loaded {info.loaded_at}"
        )


@snapshots.command("activate")
@click.argument("snapshot_id")
@click.option("--allow-shrink", is_flag=True, help=ALLOW_SHRINK_HELP)
def snapshots_activate(snapshot_id: str, allow_shrink: bool) -> None:
    """Make SNAPSHOT_ID (as `snapshots list` shows it) the active snapshot of its
    marketplace; a rollback too."""
    store = command_store()
    config = store_config(store)
    activate_snapshot(
        store,
        snapshot_id,
        config,
        max_shrink=shrink_limit(allow_shrink),
        open_store=store_opener(settings()),
    )
    click.echo(f"activated {snapshot_id}")


@snapshots.command("deactivate")
@click.argument("marketplace")
def snapshots_deactivate(marketplace: str) -> None:
    """Stop serving MARKETPLACE (e.g. US) on purpose; its snapshot stays loaded for rollback.

    Unlike a store that lost its data, which workers ride out on their last good view, a
    deactivated marketplace is dropped by every worker within the reload interval.
    """
    snapshot_id = command_store().deactivate(marketplace)
    click.echo(f"deactivated {marketplace} (was serving {snapshot_id})")


@snapshots.command("delete")
@click.argument("snapshot_id")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Fail instead of waiting when workers may still be serving the snapshot.",
)
def snapshots_delete(snapshot_id: str, no_wait: bool) -> None:
    """Delete the inactive snapshot SNAPSHOT_ID, once no worker can still be serving it.

    A snapshot replaced or deactivated moments ago may still be read by a worker that has
    not refreshed yet; the deletion waits out that grace period (or fails with --no-wait).
    """
    store = command_store()
    while True:
        try:
            store.delete(snapshot_id)
            break
        except SnapshotRetiring as retiring:
            if no_wait:
                raise
            click.echo(f"waiting {retiring.seconds_left:.1f} s for workers to move off it")
            time.sleep(retiring.seconds_left)
    click.echo(f"deleted {snapshot_id}")
