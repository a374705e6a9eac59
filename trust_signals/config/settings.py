"""Operational settings from the environment: `load_settings` is the only code that reads it.

Operational knobs (store, cache, timeouts, tokens) may have defaults; the legal config's
thresholds never do (config.legal).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from trust_signals.errors import ConfigError

ENV_PREFIX: Final = "TRUST_SIGNALS_"
DEFAULT_STORE: Final = "var/store"
DEFAULT_CACHE_SIZE: Final = 100_000
DEFAULT_RELOAD_INTERVAL_SECONDS: Final = 0.5
# Search waits a few ms at p99: a store slower than this is treated as down (fail open).
DEFAULT_STORE_TIMEOUT_SECONDS: Final = 0.02
DEFAULT_BREAKER_FAILURES: Final = 5
DEFAULT_BREAKER_RESET_SECONDS: Final = 1.0
DEFAULT_MAX_SNAPSHOT_SHRINK: Final = 0.2
# A worker notices a change within one reload interval; a request that started before it
# may read the old snapshot until gunicorn's 30 s timeout.
DEFAULT_RETIRE_GRACE_SECONDS: Final = 30.0
_STORE_SCHEMES: Final = ("redis://", "rediss://", "redis+cluster://")
# An HMAC key shorter than this is guessable offline from one signed link.
MIN_LINK_SECRET_CHARS: Final = 16


@dataclass(frozen=True, slots=True)
class Settings:
    """Operational settings from the environment; `store` is a directory or a redis:// URL."""

    store: str
    config: Path
    admin_token: str | None
    cache_size: int
    reload_interval_seconds: float
    store_timeout_seconds: float = DEFAULT_STORE_TIMEOUT_SECONDS
    breaker_failures: int = DEFAULT_BREAKER_FAILURES
    breaker_reset_seconds: float = DEFAULT_BREAKER_RESET_SECONDS
    metrics_dir: str | None = None  # prometheus_client's multiprocess directory
    # The shrink guard: an activation dropping more than this share of the active
    # snapshot's sellers or offers is refused unless allowed explicitly.
    max_snapshot_shrink: float = DEFAULT_MAX_SNAPSHOT_SHRINK
    # How long a replaced or deactivated snapshot is kept from deletion (store.retention).
    retire_grace_seconds: float = DEFAULT_RETIRE_GRACE_SECONDS
    # Read-only bearer token for the audit reads (explanations, status details); the admin
    # token grants them too. None: the audit reads are off.
    audit_token: str | None = None
    # The key that signs the seller pages' links (web.links). None: every seller page
    # answers 403.
    seller_link_secret: str | None = None


def default_config_path() -> Path:
    """The packaged, approved default configuration."""
    return Path(str(resources.files("trust_signals") / "default_config.toml"))


def _number(
    environ: Mapping[str, str],
    name: str,
    default: float,
    problems: list[str],
    *,
    valid: Callable[[float], bool] = lambda value: value > 0,
    expected: str = "a number of seconds > 0",
) -> float:
    """A numeric setting, `default` when unset; a problem naming `expected` when invalid."""
    raw = environ.get(ENV_PREFIX + name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and valid(value)):
        problems.append(f"{ENV_PREFIX}{name}: must be {expected}, got {raw!r}")
        return default
    return value


def _whole(
    environ: Mapping[str, str], name: str, default: int, problems: list[str], *, minimum: int
) -> int:
    """A whole-number setting of at least `minimum`, `default` when unset."""
    raw = environ.get(ENV_PREFIX + name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) < minimum:
        problems.append(f"{ENV_PREFIX}{name}: must be a whole number >= {minimum}, got {raw!r}")
        return default
    return int(raw)


def _token(environ: Mapping[str, str], name: str, what: str, problems: list[str]) -> str | None:
    token = environ.get(ENV_PREFIX + name)
    if token is not None and not token.strip():
        problems.append(f"{ENV_PREFIX}{name}: must not be empty (unset it to disable {what})")
    return token or None


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from TRUST_SIGNALS_* variables, with operational defaults; ConfigError if bad."""
    problems: list[str] = []
    store = environ.get(ENV_PREFIX + "STORE", DEFAULT_STORE)
    if not store.strip() or ("://" in store and not store.startswith(_STORE_SCHEMES)):
        problems.append(f"{ENV_PREFIX}STORE: must be a directory or a redis:// URL, got {store!r}")
    config = environ.get(ENV_PREFIX + "CONFIG")
    if config is not None and not config.strip():
        problems.append(f"{ENV_PREFIX}CONFIG: must be a file path, got an empty value")
    token = _token(environ, "ADMIN_TOKEN", "admin", problems)
    audit_token = _token(environ, "AUDIT_TOKEN", "audit reads", problems)
    if audit_token is not None and audit_token == token:
        # The read-only token must not also open admin.
        problems.append(f"{ENV_PREFIX}AUDIT_TOKEN: must differ from {ENV_PREFIX}ADMIN_TOKEN")
    link_secret = _token(environ, "SELLER_LINK_SECRET", "the seller pages", problems)
    if link_secret is not None and 0 < len(link_secret.strip()) < MIN_LINK_SECRET_CHARS:
        problems.append(
            f"{ENV_PREFIX}SELLER_LINK_SECRET: must be at least {MIN_LINK_SECRET_CHARS} "
            f"characters, got {len(link_secret)} (e.g. `openssl rand -hex 32`)"
        )
    cache_size = _whole(environ, "CACHE_SIZE", DEFAULT_CACHE_SIZE, problems, minimum=0)
    interval = _number(
        environ, "RELOAD_INTERVAL_SECONDS", DEFAULT_RELOAD_INTERVAL_SECONDS, problems
    )
    store_timeout = _number(
        environ, "STORE_TIMEOUT_SECONDS", DEFAULT_STORE_TIMEOUT_SECONDS, problems
    )
    breaker_failures = _whole(
        environ, "BREAKER_FAILURES", DEFAULT_BREAKER_FAILURES, problems, minimum=1
    )
    breaker_reset = _number(
        environ, "BREAKER_RESET_SECONDS", DEFAULT_BREAKER_RESET_SECONDS, problems
    )
    max_shrink = _number(
        environ,
        "MAX_SNAPSHOT_SHRINK",
        DEFAULT_MAX_SNAPSHOT_SHRINK,
        problems,
        valid=lambda share: 0 <= share <= 1,
        expected="a share in [0, 1]",
    )
    grace = _number(environ, "RETIRE_GRACE_SECONDS", DEFAULT_RETIRE_GRACE_SECONDS, problems)
    if grace < 2 * interval:
        problems.append(
            f"{ENV_PREFIX}RETIRE_GRACE_SECONDS: must be at least twice the reload interval "
            f"({2 * interval:g} s), so every worker has moved off a snapshot before it goes"
        )
    if problems:
        raise ConfigError(problems)
    return Settings(
        store=store,
        config=Path(config) if config else default_config_path(),
        admin_token=token,
        cache_size=cache_size,
        reload_interval_seconds=interval,
        store_timeout_seconds=store_timeout,
        breaker_failures=breaker_failures,
        breaker_reset_seconds=breaker_reset,
        # prometheus_client reads this name itself; it is read here too, and only here.
        metrics_dir=environ.get("PROMETHEUS_MULTIPROC_DIR") or None,
        max_snapshot_shrink=max_shrink,
        retire_grace_seconds=grace,
        audit_token=audit_token,
        seller_link_secret=link_secret,
    )
