"""`trust-signals config`: check, preview, activate, roll back, list and show the
legal-approved config the store holds."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import click
import orjson

from trust_signals.bootstrap import store_opener, utc_now
from trust_signals.cli.boundary import progress_bar, settings
from trust_signals.cli.common import BY_HELP, command_store, materializing, os_user, store_config
from trust_signals.config import TrustConfig, load_config
from trust_signals.service.config_versions import (
    Activation,
    activate_config_file,
    check_approval_reference,
    rollback_config,
)
from trust_signals.service.launch_preview import (
    ACTIVE,
    LaunchPreview,
    against_config,
    preview_launch,
)
from trust_signals.service.preview_html import preview_html
from trust_signals.service.preview_report import preview_json, summary_lines
from trust_signals.store.base import ServingStore, StoredConfig


@click.group()
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
    store = command_store(create=True)
    if not no_preview:
        _preview_before_activation(store, file)
    done = activate_config_file(
        store, file, approval_ref, by or os_user(), prepare=materializing(store)
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
    store = command_store()
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
    store = command_store()
    _echo_activation(rollback_config(store, version, by or os_user(), prepare=materializing(store)))


@config.command("history")
def config_history() -> None:
    """Every stored config version, newest first, with its approval; * marks the active one."""
    store = command_store()
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
    checked = load_config(config_file) if config_file else store_config(command_store())
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
