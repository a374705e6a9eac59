"""Step load: raise users step by step until a consumer's p99 breaks its budget.

Selected with TRUST_SIGNALS_LOAD_SHAPE=step (the locustfile imports it then). Settings:
  TRUST_SIGNALS_LOAD_WARMUP_SECONDS  unjudged run at the first step's users first (default 15),
                                   so the first step is not judged on cold caches
  TRUST_SIGNALS_LOAD_STEP_USERS    users added per step, and the first step (default 50)
  TRUST_SIGNALS_LOAD_STEP_SECONDS  length of a step (default 15)
  TRUST_SIGNALS_LOAD_SETTLE_SECONDS  start of a step left out of its figures (default 3)
  TRUST_SIGNALS_LOAD_MAX_USERS     stop after this many users even if all held (default 2000)
  TRUST_SIGNALS_LOAD_BUDGETS       budgets file (default load_tests/budgets.toml)
  TRUST_SIGNALS_LOAD_STEP_REPORT   where to write the steps as JSON (optional)

Each step is judged on its own requests (after the settling time), not on the run so far, and
the highest request rate of a step where every budget held is reported.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from locust import LoadTestShape, events
from locust.stats import StatsEntry, calculate_response_time_percentile

from load_tests.budgets import DEFAULT_BUDGETS, ConsumerFigures, breaches, load_budgets

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StepSettings:
    """How the steps go, from the environment."""

    warmup_seconds: float
    step_users: int
    step_seconds: float
    settle_seconds: float
    max_users: int
    budgets_path: Path
    report_path: Path | None


def step_settings() -> StepSettings:
    """The step settings from TRUST_SIGNALS_LOAD_* variables."""
    env = os.environ
    report = env.get("TRUST_SIGNALS_LOAD_STEP_REPORT")
    return StepSettings(
        warmup_seconds=float(env.get("TRUST_SIGNALS_LOAD_WARMUP_SECONDS", "15")),
        step_users=int(env.get("TRUST_SIGNALS_LOAD_STEP_USERS", "50")),
        step_seconds=float(env.get("TRUST_SIGNALS_LOAD_STEP_SECONDS", "15")),
        settle_seconds=float(env.get("TRUST_SIGNALS_LOAD_SETTLE_SECONDS", "3")),
        max_users=int(env.get("TRUST_SIGNALS_LOAD_MAX_USERS", "2000")),
        budgets_path=Path(env.get("TRUST_SIGNALS_LOAD_BUDGETS", str(DEFAULT_BUDGETS))),
        report_path=Path(report) if report else None,
    )


@dataclass(frozen=True, slots=True)
class Baseline:
    """One stats entry's counters when a step's measuring window opened."""

    requests: int
    failures: int
    response_times: dict[int, int]


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step: its users, the rate reached, each consumer's figures, what broke."""

    users: int
    rps: float
    consumers: dict[str, ConsumerFigures]
    broken: list[str]


def _baseline(entry: StatsEntry) -> Baseline:
    return Baseline(entry.num_requests, entry.num_failures, dict(entry.response_times))


def _step_figures(entry: StatsEntry, base: Baseline, seconds: float) -> ConsumerFigures:
    times = {
        ms: count - base.response_times.get(ms, 0)
        for ms, count in entry.response_times.items()
        if count > base.response_times.get(ms, 0)
    }
    timed = sum(times.values())

    def percentile(share: float) -> float | None:
        return float(calculate_response_time_percentile(times, timed, share)) if timed else None

    requests = entry.num_requests - base.requests
    return ConsumerFigures(
        entry.name,
        requests,
        entry.num_failures - base.failures,
        requests / seconds if seconds > 0 else 0.0,
        percentile(0.5),
        percentile(0.95),
        percentile(0.99),
    )


class StepLoadShape(LoadTestShape):
    """Adds `step_users` users per step; stops at the first step that breaks a budget."""

    def __init__(self) -> None:
        super().__init__()
        self.settings = step_settings()
        self.steps: list[StepResult] = []
        self._budgets = load_budgets(self.settings.budgets_path)
        self._step = 0
        self._window_started: float | None = None
        self._baselines: dict[str, Baseline] = {}
        events.test_stop.add_listener(self._write_report)

    def tick(self) -> tuple[int, float] | None:
        run_time = self.get_run_time() - self.settings.warmup_seconds
        if run_time < 0:
            return self._users(0), float(self.settings.step_users)
        step = int(run_time // self.settings.step_seconds)
        if step != self._step:
            if not self._close_step(run_time):
                return None
            self._step, self._window_started = step, None
        if self._window_started is None and (
            run_time - step * self.settings.step_seconds >= self.settings.settle_seconds
        ):
            self._open_window(run_time)
        return self._users(step), float(self.settings.step_users)

    def _users(self, step: int) -> int:
        return self.settings.step_users * (step + 1)

    def _open_window(self, run_time: float) -> None:
        assert self.runner is not None
        entries = self.runner.stats.entries.values()
        self._baselines = {e.name: _baseline(e) for e in entries}
        self._window_started = run_time

    def _close_step(self, run_time: float) -> bool:
        """Judge the step that just ended; True when the next step should run."""
        assert self.runner is not None
        seconds = run_time - (self._window_started or run_time)
        empty = Baseline(0, 0, {})
        consumers = {
            e.name: _step_figures(e, self._baselines.get(e.name, empty), seconds)
            for e in self.runner.stats.entries.values()
        }
        rps = sum(c.rps for c in consumers.values())
        broken = breaches(consumers, self._budgets)
        self.steps.append(StepResult(self._users(self._step), rps, consumers, broken))
        log.info(
            "step %d: %d users, %.0f req/s, %s",
            self._step,
            self._users(self._step),
            rps,
            "; ".join(broken) or "every budget held",
        )
        return not broken and self._users(self._step + 1) <= self.settings.max_users

    def held_rps(self) -> float | None:
        """The highest request rate of a step where every budget held (None if none did)."""
        held = [s.rps for s in self.steps if not s.broken]
        return max(held) if held else None

    def report(self) -> dict[str, Any]:
        """The steps and the highest rate that held, as JSON-ready values."""
        return {"held_rps": self.held_rps(), "steps": [asdict(s) for s in self.steps]}

    def _write_report(self, **_: Any) -> None:
        held = self.held_rps()
        log.info("highest rate that held every budget: %s", f"{held:.0f} req/s" if held else "none")
        if self.settings.report_path is not None:
            self.settings.report_path.write_bytes(orjson.dumps(self.report()))
