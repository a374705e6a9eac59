"""The trust-signals command's error boundary, its settings help and its progress bars.

Every failure below the root group ends as a few plain lines on stderr naming what is wrong
and what to do, with exit status 1 (click's usage errors keep theirs, 2): never a traceback,
unless `--debug` asks for one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final

import click

from trust_signals.config.settings import (
    DEFAULT_BREAKER_FAILURES,
    DEFAULT_BREAKER_RESET_SECONDS,
    DEFAULT_CACHE_SIZE,
    DEFAULT_MAX_SNAPSHOT_SHRINK,
    DEFAULT_RELOAD_INTERVAL_SECONDS,
    DEFAULT_RETIRE_GRACE_SECONDS,
    DEFAULT_STORE,
    DEFAULT_STORE_TIMEOUT_SECONDS,
    ENV_PREFIX,
    Settings,
    load_settings,
)
from trust_signals.errors import (
    ConfigError,
    StoreNotFound,
    StoreUnavailable,
    TrustSignalsError,
)

_SETTINGS: Final = "trust_signals.settings"
SETTINGS_HELP: Final = (
    (
        f"{ENV_PREFIX}STORE",
        f"The store: a directory (default {DEFAULT_STORE}, relative to the working directory) "
        "or redis://host:port/db, redis+cluster://host:port,host:port.",
    ),
    (
        f"{ENV_PREFIX}CONFIG",
        "The legal-approved config file that seeds a store with no active config "
        "(default: the packaged one).",
    ),
    (
        f"{ENV_PREFIX}MAX_SNAPSHOT_SHRINK",
        "The share of sellers or offers an activation may drop without --allow-shrink "
        f"(default {DEFAULT_MAX_SNAPSHOT_SHRINK:g}).",
    ),
    (
        f"{ENV_PREFIX}RETIRE_GRACE_SECONDS",
        "A replaced or deactivated snapshot is not deleted sooner "
        f"(default {DEFAULT_RETIRE_GRACE_SECONDS:g} s).",
    ),
    (
        f"{ENV_PREFIX}RELOAD_INTERVAL_SECONDS",
        "How often each server worker applies what is activated here "
        f"(default {DEFAULT_RELOAD_INTERVAL_SECONDS:g} s).",
    ),
    (
        f"{ENV_PREFIX}CACHE_SIZE",
        f"The server's signal cache entries per worker (default {DEFAULT_CACHE_SIZE}).",
    ),
    (f"{ENV_PREFIX}ADMIN_TOKEN", "The server's bearer token for /admin/* (default: admin off)."),
    (
        f"{ENV_PREFIX}AUDIT_TOKEN",
        "The server's read-only bearer token for /v1/explain/* and /v1/incentives/* "
        "(default: audit reads off).",
    ),
    (
        f"{ENV_PREFIX}SELLER_LINK_SECRET",
        "The key that signs seller-link URLs and that the server checks them with, at least "
        "16 characters (default: seller pages off, every link refused).",
    ),
    (
        f"{ENV_PREFIX}STORE_TIMEOUT_SECONDS",
        "A store read's time limit on the request path "
        f"(default {DEFAULT_STORE_TIMEOUT_SECONDS:g} s).",
    ),
    (
        f"{ENV_PREFIX}BREAKER_FAILURES",
        "Consecutive store failures that open a worker's circuit breaker "
        f"(default {DEFAULT_BREAKER_FAILURES}).",
    ),
    (
        f"{ENV_PREFIX}BREAKER_RESET_SECONDS",
        "How long an open breaker waits before one probe "
        f"(default {DEFAULT_BREAKER_RESET_SECONDS:g} s).",
    ),
)
SETTINGS_NOTE: Final = (
    "A command that uses the store checks them all, the server's too: a bad value is named "
    "and stops the command."
)


def settings() -> Settings:
    """The settings, read from the environment once per command, when first needed: help
    must work whatever the environment holds."""
    meta = click.get_current_context().meta
    if _SETTINGS not in meta:
        meta[_SETTINGS] = load_settings(os.environ)
    found: Settings = meta[_SETTINGS]
    return found


@contextmanager
def progress_bar(
    length: int, label: str, *, then: str | None = None
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar's update on stderr when it is a terminal; None otherwise, so that logs
    and pipes get the summary lines alone. Once full, the bar shows `then` as its label: the
    work left after the counted part, which would otherwise look stuck at 100 %."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:

        def update(steps: int) -> None:
            bar.update(steps)
            if then is not None and bar.pos >= length and bar.label != then:
                bar.label = then
                bar.render_progress()

        yield update


class Failure(click.ClickException):
    """What went wrong and what to do, as lines for stderr; exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.message, err=True)


class ErrorBoundary(click.Group):
    """The root group: turns every exception its commands raise into a Failure."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click reports these itself (usage errors with exit status 2)
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            found = ctx.meta.get(_SETTINGS)
            raise Failure("\n".join(failure_lines(error, found))) from error

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Settings (environment)"):
            formatter.write_dl(SETTINGS_HELP)
            formatter.write_paragraph()
            formatter.write_text(SETTINGS_NOTE)
        super().format_epilog(ctx, formatter)


def failure_lines(error: Exception, found: Settings | None) -> list[str]:
    """The lines telling an operator what went wrong and what to do about it."""
    if isinstance(error, ConfigError):
        return [f"error: {problem}" for problem in error.problems]
    if isinstance(error, StoreNotFound):
        return [
            f"error: {error}: nothing was stored there yet; load a snapshot into it, or set "
            f"{ENV_PREFIX}STORE to the store (a relative path starts at the working directory)"
        ]
    if isinstance(error, StoreUnavailable) and error.__cause__ is not None:  # a driver's error
        return [f"error: {_store_unavailable(error, found)}"]
    if isinstance(error, TrustSignalsError):
        return [f"error: {error}"]
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return [f"error: {where}{error.strerror or error}"]
    first_line = (str(error).splitlines() or [""])[0]
    return [
        f"error: unexpected {type(error).__name__}: {first_line} (this is a bug; run the "
        "command again as `trust-signals --debug ...` for its traceback)"
    ]


def _store_unavailable(error: StoreUnavailable, found: Settings | None) -> str:
    store = found.store if found is not None else DEFAULT_STORE
    if "://" in store:
        return (
            f"the store at {store} does not answer: {error} — is Redis running there? "
            f"({ENV_PREFIX}STORE)"
        )
    return (
        f"the store at {Path(store).absolute()} cannot be used: {error} — "
        f"{ENV_PREFIX}STORE must name a directory this user can write"
    )
