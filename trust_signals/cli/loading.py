"""The commands that put snapshots into the store: `load`, `demo` (a small generated
snapshot, loaded unless one is active) and `materialize` (the active snapshots' signals
stored under the active config where they are missing)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import click

from trust_signals.bootstrap import load_snapshot_dir, snapshot_dirs, store_opener
from trust_signals.cli.boundary import progress_bar, settings
from trust_signals.cli.common import (
    ALLOW_SHRINK_HELP,
    OUT_FOLDER,
    SNAPSHOT_FOLDER,
    command_store,
    materializing,
    shrink_limit,
    store_config,
)
from trust_signals.errors import SnapshotRejected
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.ingest.manifest import read_manifest
from trust_signals.plurals import counted

DEMO_SELLERS, DEMO_OFFERS = 3_000, 30_000


def load_dirs(
    paths: Iterable[Path], *, force: bool, activate: bool, allow_shrink: bool = False
) -> list[str]:
    """Load each snapshot directory, with a progress bar on a terminal; the ids loaded.

    Cohort artifacts are computed for the store's active config, the one workers serve.
    """
    directories = snapshot_dirs(paths)  # every folder checked before anything is loaded
    store = command_store(create=True)
    config = store_config(store)
    max_shrink = shrink_limit(allow_shrink)
    loaded = []
    for directory in directories:
        manifest = read_manifest(directory)
        total = manifest.sellers.records + manifest.offers.records
        # Records read, then every seller and offer's signals computed: twice the records.
        with progress_bar(2 * total, f"loading {directory}") as progress:
            info = load_snapshot_dir(
                store,
                directory,
                config,
                force=force,
                activate=activate,
                max_shrink=max_shrink,
                progress=progress,
                open_store=store_opener(settings()),
            )
        loaded.append(info.snapshot_id)
        click.echo(
            f"loaded {info.snapshot_id} ({info.marketplace}, {counted(info.seller_count, 'seller')}"
            f", {counted(info.offer_count, 'offer')}){' and activated' if activate else ''}"
        )
    return loaded


@click.command()
@click.argument("paths", nargs=-1, required=True, type=SNAPSHOT_FOLDER)
@click.option("--force", is_flag=True, help="Replace a snapshot already loaded.")
@click.option("--no-activate", is_flag=True, help="Load without activating.")
@click.option("--allow-shrink", is_flag=True, help=ALLOW_SHRINK_HELP)
def load(paths: tuple[Path, ...], force: bool, no_activate: bool, allow_shrink: bool) -> None:
    """Verify, validate and load snapshots, then activate them.

    Each of PATHS is a snapshot folder (it holds manifest.json) or a folder of them, one per
    marketplace, as `generate` writes it. A folder in it without its manifest refuses the
    whole load, before anything is loaded.
    """
    load_dirs(paths, force=force, activate=not no_activate, allow_shrink=allow_shrink)


@click.command()
def materialize() -> None:
    """Store the active snapshots' signals under the active config, where they are missing
    (after an upgrade that changed how signals are stored; loads and activations do it)."""
    store = command_store()
    done = materializing(store)(store_config(store))
    if not done:
        click.echo("every active snapshot's signals are stored already")


@click.command()
@click.option(
    "--out",
    type=OUT_FOLDER,
    required=True,
    help="The demo snapshot's folder; a complete one there is loaded again, not regenerated.",
)
def demo(out: Path) -> None:
    """Generate and load a small demo snapshot unless one is active."""
    if command_store(create=True).active_snapshots():
        click.echo("a snapshot is already active; nothing to do")
        return
    load_dirs(_demo_snapshot(out), force=True, activate=True)


def _demo_snapshot(out: Path) -> list[Path]:
    """The demo's snapshot folders in OUT, generated unless complete ones are there."""
    if out.is_dir():
        try:
            return snapshot_dirs([out])
        except SnapshotRejected:  # an earlier run cut short: write it again
            pass
    with progress_bar(DEMO_SELLERS + DEMO_OFFERS, f"generating {out}") as progress:
        return generate_snapshots(
            out,
            marketplaces=["US", "DE", "IN"],
            seed=7,
            as_of=date.today(),
            progress=progress,
            sellers=DEMO_SELLERS,
            offers=DEMO_OFFERS,
        )
