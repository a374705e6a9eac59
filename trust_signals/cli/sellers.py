"""Commands for what sellers get: `incentives export` (the sellers an incentive program
pays) and `seller-link` (a signed link to a seller's own benchmark and coaching page)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from trust_signals.bootstrap import BATCH_TIMEOUT_SECONDS, build_store, build_trust_signals
from trust_signals.cli.boundary import Failure, progress_bar, settings
from trust_signals.cli.common import OUT_FILE
from trust_signals.domain.snapshots import ID_PATTERN, MARKETPLACE_PATTERN
from trust_signals.plurals import counted
from trust_signals.service.incentive_export import EXPORT_FORMATS, export_incentive
from trust_signals.web.links import MAX_TTL, parse_ttl, seller_page_url

DEFAULT_BASE_URL = "http://127.0.0.1:8080"  # where `make run` serves
ID_RULE = re.compile(ID_PATTERN)
MARKETPLACE_RULE = re.compile(MARKETPLACE_PATTERN)


@click.group()
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


@click.command("seller-link")
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
