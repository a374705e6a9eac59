"""Store faults under traffic, as an operator meets them: gunicorn over a Redis that restarts
empty, and a snapshot deleted right after its replacement is activated.

Every step goes through the `trust-signals` command and real processes (redis-server,
gunicorn with gunicorn.conf.py); a thread plays the callers. Used by test_store_faults.py
and runnable on its own to print what a caller saw:

    .venv/bin/python -m tests.e2e.store_faults
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import requests
from click.testing import CliRunner

from load_tests.server import Server, server_env, serving
from tests.conftest import FIXTURES, de_snapshot, us_snapshot
from tests.integration.redis_cluster import LocalRedis, running_server
from trust_signals.cli import main as trust_signals_cli

FAIL_OPEN = ("search", "pdp", "ranking")
FAIL_CLOSED = ("profile", "benchmark", "programs")
REQUESTS = {
    "search": ("GET", "/v1/badges?marketplace=US&surface=search&offer_ids=O-1,O-2,O-3", None),
    "pdp": ("GET", "/v1/offers/O-2?marketplace=US", None),
    "ranking": ("POST", "/v1/features", {"marketplace": "US", "offer_ids": ["O-1", "O-3"]}),
    "profile": ("GET", "/v1/sellers/S-SMALL/profile?marketplace=US", None),
    "benchmark": ("GET", "/v1/sellers/S-BIG/benchmark?marketplace=US&dimensions=category", None),
    "programs": ("GET", "/v1/programs?group_by=marketplace", None),
}


@dataclass(frozen=True, slots=True)
class Answer:
    """One caller's request: when (seconds since traffic began), what, and how it went."""

    at: float
    endpoint: str
    status: int  # 0: no HTTP answer (connection error or timeout)
    degraded: bool
    code: str | None  # the problem+json code of an error


@dataclass
class Callers:
    """A thread sending the REQUESTS in turn until stopped, recording every answer."""

    base: str
    answers: list[Answer] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    _stop: threading.Event = field(default_factory=threading.Event)

    def now(self) -> float:
        """Seconds since traffic began."""
        return time.monotonic() - self.started

    def run(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                for endpoint, (method, path, body) in REQUESTS.items():
                    self.answers.append(self._ask(session, endpoint, method, path, body))

    def _ask(
        self, session: requests.Session, endpoint: str, method: str, path: str, body: object
    ) -> Answer:
        at = self.now()
        try:
            response = session.request(method, self.base + path, json=body, timeout=2)
        except requests.RequestException:
            return Answer(at, endpoint, 0, False, None)
        payload = (
            response.json() if response.headers.get("Content-Type", "").endswith("json") else {}
        )
        degraded = response.headers.get("X-Trust-Signals-Degraded") == "true"
        return Answer(at, endpoint, response.status_code, degraded, payload.get("code"))

    @contextmanager
    def sending(self) -> Iterator[Callers]:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=10)


@dataclass(frozen=True, slots=True)
class Report:
    """What the callers saw from `since` on."""

    answers: tuple[Answer, ...]
    since: float
    normal_again_at: float | None  # from then on every answer was 200 and not degraded

    def outcomes(self, endpoints: tuple[str, ...]) -> Counter[str]:
        """Counts of 'ok', 'degraded', and '<status> <code>' for errors, after `since`."""
        found: Counter[str] = Counter()
        for answer in self.answers:
            if answer.at < self.since or answer.endpoint not in endpoints:
                continue
            if answer.status == 200:
                found["degraded" if answer.degraded else "ok"] += 1
            else:
                found[f"{answer.status} {answer.code}"] += 1
        return found

    def summary(self) -> str:
        recovered = (
            "never"
            if self.normal_again_at is None
            else f"{self.normal_again_at - self.since:.2f} s after the fault"
        )
        return (
            f"search/PDP/ranking: {dict(self.outcomes(FAIL_OPEN))}; "
            f"profile/benchmark/programs: {dict(self.outcomes(FAIL_CLOSED))}; "
            f"every endpoint normal again: {recovered}"
        )


def report(answers: list[Answer], since: float) -> Report:
    """The answers from `since` on, and when they were all normal again for good."""
    normal_again_at = None
    for answer in answers:
        if answer.at < since:
            continue
        if answer.status != 200 or answer.degraded:
            normal_again_at = None
        elif normal_again_at is None:
            normal_again_at = answer.at
    return Report(tuple(answers), since, normal_again_at)


def cli(env: Mapping[str, str], *args: str) -> str:
    """Run `trust-signals ARGS` as an operator would (in this process, so that two commands
    follow each other as closely as in a script); its output. Fails the run if it fails."""
    done = CliRunner().invoke(trust_signals_cli, list(args), env=dict(env))
    if done.exit_code != 0:
        raise RuntimeError(f"trust-signals {' '.join(args)}: {done.output}")
    return done.output


@contextmanager
def service_over_redis(directory: Path) -> Iterator[tuple[Server, LocalRedis, dict[str, str]]]:
    """redis-server and gunicorn (2 workers) over the small US and DE snapshots."""
    with running_server(directory / "redis") as redis_server:
        env = server_env(Path(redis_server.url), {"TRUST_SIGNALS_CONFIG": str(config(directory))})
        env["TRUST_SIGNALS_STORE"] = redis_server.url
        env["TRUST_SIGNALS_RETIRE_GRACE_SECONDS"] = "3"
        env["TRUST_SIGNALS_CACHE_SIZE"] = "0"  # every read asks the store
        # Faults, not latency, are under test: a busy machine must not time reads out.
        env["TRUST_SIGNALS_STORE_TIMEOUT_SECONDS"] = "0.5"
        load_both(env, directory)
        with serving(env, directory / "gunicorn.log", workers=2) as server:
            yield server, redis_server, env


def config(directory: Path) -> Path:
    path = directory / "config.toml"
    if not path.exists():
        path.write_text((FIXTURES / "api_config.toml").read_text())
    return path


def load_both(env: Mapping[str, str], directory: Path) -> None:
    us, de = us_snapshot(directory / "us"), de_snapshot(directory / "de")
    cli(env, "load", "--force", str(us), str(de))


def restart_empty(directory: Path, pause: float = 2.0, settle: float = 6.0) -> Report:
    """Kill Redis under traffic, start it again empty, reload the snapshots."""
    with service_over_redis(directory) as (server, redis_server, env):
        with Callers(server.base_url).sending() as callers:
            time.sleep(1.0)
            fault = callers.now()
            redis_server.stop()
            redis_server.start()  # no persistence: back with no keys
            time.sleep(pause)
            load_both(env, directory)
            time.sleep(settle)
        return report(callers.answers, fault)


def activate_then_delete(directory: Path, settle: float = 2.0) -> Report:
    """Activate the next US snapshot and at once delete the one it replaced, under traffic."""
    with service_over_redis(directory) as (server, _, env):
        cli(env, "load", "--no-activate", str(us_snapshot(directory / "next", "2026-11-28")))
        with Callers(server.base_url).sending() as callers:
            time.sleep(1.0)
            fault = callers.now()
            cli(env, "snapshots", "activate", "US-2026-11-28")
            cli(env, "snapshots", "delete", "US-2026-11-27")
            time.sleep(settle)
        return report(callers.answers, fault)


def main() -> None:
    for name, scenario in (
        ("restart empty", restart_empty),
        ("activate, delete", activate_then_delete),
    ):
        with TemporaryDirectory() as directory:
            print(f"{name}: {scenario(Path(directory)).summary()}")


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parents[2])
    main()
