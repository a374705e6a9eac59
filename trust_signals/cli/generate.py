"""`trust-signals generate`: synthetic snapshots per marketplace, or with --from/--drift the
next days of existing snapshots (the same sellers and offers, their counts drifted)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from click.core import ParameterSource

from trust_signals.bootstrap import snapshot_dirs
from trust_signals.cli.boundary import progress_bar
from trust_signals.cli.common import OUT_FOLDER, SNAPSHOT_FOLDER
from trust_signals.ingest.drift import drift_snapshot
from trust_signals.ingest.generator import FILE_FORMATS, check_arguments, generate_snapshots
from trust_signals.ingest.manifest import read_manifest


@click.command()
@click.option(
    "--sellers",
    type=click.IntRange(min=1),
    help="Sellers in all, split across the marketplaces (each counts its first-party seller).",
)
@click.option("--offers", type=click.IntRange(min=1), help="Offers in all, split alike.")
@click.option(
    "--marketplaces",
    default="US,DE,IN",
    show_default=True,
    help="Two upper-case letters each, comma-separated; the first gets the largest share.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Same seed and options, same files."
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The snapshots' day, YYYY-MM-DD.  [default: today]",
)
@click.option(
    "--out", type=OUT_FOLDER, required=True, help="The folder to write OUT/<MARKETPLACE> into."
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FILE_FORMATS),
    default="jsonl",
    show_default=True,
    help="The data files' format: JSON Lines, or Parquet (the same records).",
)
@click.option("--plain", is_flag=True, help="Write .jsonl instead of .jsonl.gz (--format jsonl).")
@click.option(
    "--from",
    "from_dir",
    type=SNAPSHOT_FOLDER,
    default=None,
    help="A snapshot folder (or a folder of them): write the next day of each instead, the "
    "same sellers and offers with their counts drifted, in the same file format.",
)
@click.option(
    "--drift",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="With --from: the relative day-to-day change of each count.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --from: how many days later (the daily change applied that many times).",
)
def generate(
    sellers: int | None,
    offers: int | None,
    marketplaces: str,
    seed: int,
    as_of: datetime | None,
    out: Path,
    file_format: str,
    plain: bool,
    from_dir: Path | None,
    drift: float,
    days: int,
) -> None:
    """Write a synthetic snapshot per marketplace under OUT, or with --from the next day of
    existing snapshots.

    Prints each snapshot's folder (OUT/US, ...), ready for `trust-signals load OUT`.
    """
    if from_dir is not None:
        _refuse_options_besides_from()
        _generate_next_days(from_dir, out, drift=drift, seed=seed, days=days)
        return
    if sellers is None or offers is None:
        raise click.UsageError("--sellers and --offers are required (or --from SNAPSHOT_DIR)")
    for name in ("drift", "days"):
        if _given(name):
            raise click.UsageError(f"--{name} applies to --from only")
    codes = [m.strip() for m in marketplaces.split(",") if m.strip()]
    if plain and file_format != "jsonl":
        raise click.UsageError("--plain applies to --format jsonl only: Parquet is never gzipped")
    try:
        check_arguments(codes, sellers, offers)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    with progress_bar(sellers + offers, f"generating {out}") as progress:
        dirs = generate_snapshots(
            out,
            sellers=sellers,
            offers=offers,
            marketplaces=codes,
            seed=seed,
            as_of=as_of.date() if as_of is not None else date.today(),
            compress=not plain,
            file_format=file_format,
            progress=progress,
        )
    for directory in dirs:
        click.echo(str(directory))


def _given(name: str) -> bool:
    """Whether the command line named the option (not its default)."""
    source = click.get_current_context().get_parameter_source(name)
    return source is not None and source is not ParameterSource.DEFAULT


def _refuse_options_besides_from() -> None:
    """--from keeps the source's sellers, offers, marketplaces and format."""
    for name, option in (
        ("sellers", "--sellers"),
        ("offers", "--offers"),
        ("marketplaces", "--marketplaces"),
        ("as_of", "--as-of"),
        ("file_format", "--format"),
        ("plain", "--plain"),
    ):
        if _given(name):
            raise click.UsageError(
                f"{option} does not apply to --from: the next day keeps the source's sellers, "
                "offers, marketplace and file format (use --days for a later day)"
            )


def _generate_next_days(source: Path, out: Path, *, drift: float, seed: int, days: int) -> None:
    """Write OUT/<MARKETPLACE> as each snapshot under `source` `days` later."""
    directories = snapshot_dirs([source])
    manifests = [read_manifest(directory) for directory in directories]
    for directory, manifest in zip(directories, manifests, strict=True):
        if (out / manifest.marketplace).resolve() == directory.resolve():
            raise click.UsageError(f"--out: {out} would overwrite the snapshot in {directory}")
    total = sum(m.sellers.records + m.offers.records for m in manifests)
    written = []
    with progress_bar(total, f"generating {out}") as progress:
        for directory, manifest in zip(directories, manifests, strict=True):
            target = out / manifest.marketplace
            written.append(
                drift_snapshot(
                    directory, target, drift=drift, seed=seed, days=days, progress=progress
                )
            )
    for directory in written:
        click.echo(str(directory))
