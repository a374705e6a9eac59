"""The trust-signals command line: generate, load, snapshots, config, demo, seller-link,
incentives export.

Over 300 lines on purpose: one click command per operator task, most of it their help text.
"""

from __future__ import annotations

import getpass
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson
from click.core import ParameterSource

from trust_signals import __version__
from trust_signals.bootstrap import (
    BATCH_TIMEOUT_SECONDS,
    build_store,
    build_trust_signals,
    load_snapshot_dir,
    snapshot_dirs,
    store_opener,
    utc_now,
)
from trust_signals.cli_boundary import ErrorBoundary, Failure, progress_bar, settings
from trust_signals.config import TrustConfig, load_config
from trust_signals.domain.snapshots import ID_PATTERN, MARKETPLACE_PATTERN
from trust_signals.errors import SnapshotRejected, SnapshotRetiring
from trust_signals.ingest.drift import drift_snapshot
from trust_signals.ingest.generator import FILE_FORMATS, check_arguments, generate_snapshots
from trust_signals.ingest.manifest import read_manifest
from trust_signals.plurals import counted
from trust_signals.service.administration import activate_snapshot
from trust_signals.service.config_versions import (
    Activation,
    activate_config_file,
    active_config,
    check_approval_reference,
    rollback_config,
)
from trust_signals.service.incentive_export import EXPORT_FORMATS, export_incentive
from trust_signals.service.launch_preview import (
    ACTIVE,
    LaunchPreview,
    against_config,
    preview_launch,
)
from trust_signals.service.materializer import materialize_active
from trust_signals.service.preview_html import preview_html
from trust_signals.service.preview_report import preview_json, summary_lines
from trust_signals.store.base import ServingStore, StoredConfig
from trust_signals.web.links import MAX_TTL, parse_ttl, seller_page_url

DEMO_SELLERS, DEMO_OFFERS = 3_000, 30_000
ALLOW_SHRINK_HELP = (
    "Activate even if the snapshot has far fewer sellers or offers than the active one "
    "(more than TRUST_SIGNALS_MAX_SNAPSHOT_SHRINK, default 20 %, fewer)."
)
BY_HELP = "Who activates it (default: the OS user)."
DEFAULT_BASE_URL = "http://127.0.0.1:8080"  # where `make run` serves
ID_RULE = re.compile(ID_PATTERN)
MARKETPLACE_RULE = re.compile(MARKETPLACE_PATTERN)
SNAPSHOT_FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)
OUT_FOLDER = click.Path(file_okay=False, path_type=Path)
OUT_FILE = click.Path(dir_okay=False, path_type=Path)


def _store(*, create: bool = False) -> ServingStore:
    """The store the settings name; only commands that write may create it."""
    return build_store(settings(), create=create)


def _active_config(store: ServingStore) -> TrustConfig:
    """The store's active config; an empty store is seeded from TRUST_SIGNALS_CONFIG."""
    return active_config(store, settings().config)


def _max_shrink(allow_shrink: bool) -> float | None:
    """The shrink guard's limit from the settings, or None when the operator allows any."""
    return None if allow_shrink else settings().max_snapshot_shrink


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry (some containers)
        return "unknown"


@click.group(cls=ErrorBoundary, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trust-signals", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show a failure's traceback instead of one line.")
def main(debug: bool) -> None:
    """Trust signals from seller and offer performance snapshots.

    Snapshots and the legal-approved config are loaded into the store and activated there;
    every server worker on that store serves what it marks active.
    """


@main.command()
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


def load_dirs(
    paths: Iterable[Path], *, force: bool, activate: bool, allow_shrink: bool = False
) -> list[str]:
    """Load each snapshot directory, with a progress bar on a terminal; the ids loaded.

    Cohort artifacts are computed for the store's active config, the one workers serve.
    """
    directories = snapshot_dirs(paths)  # every folder checked before anything is loaded
    store = _store(create=True)
    config = _active_config(store)
    max_shrink = _max_shrink(allow_shrink)
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


@main.command()
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


@main.group()
def snapshots() -> None:
    """List, activate, deactivate and delete loaded snapshots."""


@snapshots.command("list")
def snapshots_list() -> None:
    """Every retained snapshot, newest first; * marks the active ones."""
    listed = _store().list_snapshots()
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
    store = _store()
    config = _active_config(store)
    activate_snapshot(
        store,
        snapshot_id,
        config,
        max_shrink=_max_shrink(allow_shrink),
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
    snapshot_id = _store().deactivate(marketplace)
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
    store = _store()
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


@main.group()
def config() -> None:
    """Check, activate, roll back and show the legal-approved config."""


@config.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def config_check(file: Path) -> None:
    """Validate the config FILE; print every problem with its path, exit 1 if any."""
    checked = load_config(file)
    click.echo(f"ok: {file} config_version {checked.version}")


@config.command("activate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--approval-ref", "approval_ref", required=True, help="The approval of FILE.")
@click.option("--by", default=None, help=BY_HELP)
@click.option(
    "--no-preview", is_flag=True, help="Skip the launch preview printed before activating."
)
def config_activate(file: Path, approval_ref: str, by: str | None, no_preview: bool) -> None:
    """Validate the config FILE whole, store it and make it every node's config at once.

    First prints the launch preview against the active config (as `config preview FILE`
    does), then activates without asking: scripts keep working, and the summary stays in
    their log.
    """
    check_approval_reference(approval_ref)
    store = _store(create=True)
    if not no_preview:
        _preview_before_activation(store, file)
    done = activate_config_file(
        store, file, approval_ref, by or _os_user(), prepare=_materializing(store)
    )
    _echo_activation(done)


@config.command("preview")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--against",
    default=ACTIVE,
    show_default=True,
    help="The config to compare with: the active one, or a stored VERSION (`config history`).",
)
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day whose effective dates apply, YYYY-MM-DD.  [default: today, UTC]",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report for reviewers here: one self-contained HTML page.",
)
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every figure here as JSON.",
)
def config_preview(
    file: Path, against: str, on: datetime | None, html_file: Path | None, json_file: Path | None
) -> None:
    """What the config FILE would serve against what the active (or a stored) config serves,
    on every marketplace's active snapshot: who gains and loses each badge, by cohort; the
    profile stats newly shown or withheld; ranking schema changes; changed approvals, dates
    and switches. Reads the store only: nothing is stored or activated."""
    new = load_config(file)
    store = _store()
    before, approval = against_config(store, against)
    preview = _previewed(store, new, before, approval, on.date() if on else utc_now().date())
    for line in summary_lines(preview):
        click.echo(line)
    if json_file is not None:
        json_file.write_bytes(preview_json(preview))
        click.echo(f"wrote {json_file}")
    if html_file is not None:
        html_file.write_text(preview_html(preview), encoding="utf-8")
        click.echo(f"wrote {html_file}")


def _preview_before_activation(store: ServingStore, file: Path) -> None:
    """The launch preview of FILE against the active config, unless there is nothing to
    compare (no config active yet, or FILE is the active one)."""
    new = load_config(file)
    active = store.active_config_version()
    if active is None or active == new.version:
        return
    before, approval = against_config(store, active)
    for line in summary_lines(_previewed(store, new, before, approval, utc_now().date())):
        click.echo(line)
    click.echo("")


def _previewed(
    store: ServingStore, new: TrustConfig, before: TrustConfig, approval: str, on: date
) -> LaunchPreview:
    """The preview computed on every core, with a progress bar and the time taken."""
    started = time.perf_counter()
    total = sum(i.seller_count + i.offer_count for i in store.active_snapshots().values())
    with progress_bar(total, f"previewing config {new.version}") as progress:
        preview = preview_launch(
            store,
            new,
            before,
            on=on,
            against_approval=approval,
            open_store=store_opener(settings()),
            progress=progress,
        )
    click.echo(f"previewed in {time.perf_counter() - started:.1f} s", err=True)
    return preview


@config.command("rollback")
@click.argument("version", required=False)
@click.option("--by", default=None, help=BY_HELP)
def config_rollback(version: str | None, by: str | None) -> None:
    """Activate the stored config VERSION again (default: the one active before the
    current; `config history` lists them)."""
    store = _store()
    _echo_activation(
        rollback_config(store, version, by or _os_user(), prepare=_materializing(store))
    )


def _materializing(store: ServingStore) -> Callable[[TrustConfig], object]:
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


@main.command()
def materialize() -> None:
    """Store the active snapshots' signals under the active config, where they are missing
    (after an upgrade that changed how signals are stored; loads and activations do it)."""
    store = _store()
    done = _materializing(store)(_active_config(store))
    if not done:
        click.echo("every active snapshot's signals are stored already")


@config.command("history")
def config_history() -> None:
    """Every stored config version, newest first, with its approval; * marks the active one."""
    store = _store()
    active = store.active_config_version()
    stored = store.list_configs()
    if not stored:
        click.echo("no config stored yet: the first worker or load stores TRUST_SIGNALS_CONFIG")
    for entry in stored:
        mark = "*" if entry.version == active else " "
        click.echo(f"{mark} {_history_line(entry)}")


@config.command("show")
@click.option("--config", "config_file", default=None, help="Show this config file instead.")
def config_show(config_file: str | None) -> None:
    """The store's active configuration (or FILE's) per marketplace, as JSON."""
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


@main.group()
def incentives() -> None:
    """Export the sellers qualifying for an incentive program."""


@incentives.command("export")
@click.argument("program")
@click.option("--marketplace", required=True, help="The marketplace, e.g. US.")
@click.option(
    "--out",
    type=OUT_FILE,
    required=True,
    help="The file to write: FILE.csv or FILE.parquet (replaced once complete).",
)
def incentives_export(program: str, marketplace: str, out: Path) -> None:
    """Write the sellers qualifying for PROGRAM (an [[incentives]] id of the active config)
    in a marketplace today, with the values that qualified them in each snapshot of the
    streak, the snapshot ids and the config version; one row per seller, in id order."""
    if out.suffix.lower() not in EXPORT_FORMATS:
        raise click.UsageError(f"--out must end in {' or '.join(EXPORT_FORMATS)}, not {out.name!r}")
    # A batch job's store timeout, not the request path's; a command that reads creates none.
    batch = replace(settings(), store_timeout_seconds=BATCH_TIMEOUT_SECONDS)
    signals = build_trust_signals(batch, build_store(batch, create=False))
    sellers = signals.view().market(marketplace).snapshot.seller_count
    with progress_bar(sellers, f"exporting {program} ({marketplace})") as progress:
        done = export_incentive(signals, marketplace, program, out, progress=progress)
    click.echo(
        f"exported {counted(done.qualified, 'qualifying seller')} of {done.sellers:,} in "
        f"{marketplace} for {program} (snapshots {', '.join(done.snapshot_ids)}; config "
        f"{done.config_version}) to {out}"
    )


class LinkLifetime(click.ParamType):
    """A link lifetime: 30m, 1h, 2d (web.links.parse_ttl)."""

    name = "TTL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_ttl(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


@main.command("seller-link")
@click.argument("seller_id")
@click.option("--marketplace", required=True, help="The marketplace of the page, e.g. US.")
@click.option(
    "--ttl",
    type=LinkLifetime(),
    default="1h",
    show_default=True,
    help=f"How long the link opens the page: minutes, hours or days (30m, 1h, 2d; at most "
    f"{MAX_TTL.days}d).",
)
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Where sellers reach the service.",
)
def seller_link(seller_id: str, marketplace: str, ttl: timedelta, base_url: str) -> None:
    """Print a signed link to SELLER_ID's own benchmark and coaching page.

    The link opens that seller's page in that marketplace only, until it expires; it is
    signed with TRUST_SIGNALS_SELLER_LINK_SECRET, which the server must share.
    """
    if ID_RULE.match(seller_id) is None:
        raise click.BadParameter(
            "an id is 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit",
            param_hint="SELLER_ID",
        )
    if MARKETPLACE_RULE.match(marketplace) is None:
        raise click.BadParameter("must be two upper-case letters", param_hint="--marketplace")
    secret = settings().seller_link_secret
    if secret is None:
        raise Failure(
            "error: TRUST_SIGNALS_SELLER_LINK_SECRET is not set: set it to the secret the "
            "server uses (at least 16 characters, e.g. `openssl rand -hex 32`)"
        )
    expires_at = datetime.now(UTC) + ttl
    click.echo(seller_page_url(base_url, secret, seller_id, marketplace, expires_at))


@main.command()
@click.option(
    "--out",
    type=OUT_FOLDER,
    required=True,
    help="The demo snapshot's folder; a complete one there is loaded again, not regenerated.",
)
def demo(out: Path) -> None:
    """Generate and load a small demo snapshot unless one is active."""
    if _store(create=True).active_snapshots():
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
