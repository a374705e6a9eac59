"""The circuit breaker as a state machine, and the store calls behind it with every outcome."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from trust_signals.bootstrap import utc_now
from trust_signals.breaker import CircuitBreaker
from trust_signals.config import default_config_path, load_config
from trust_signals.errors import (
    ConfigError,
    SnapshotDataMissing,
    SnapshotNotFound,
    StoreUnavailable,
    TrustSignalsError,
)
from trust_signals.service.cache import SignalCache
from trust_signals.service.reads import TrustSignals
from trust_signals.store.memory import InMemorySnapshotStore

FAILURES, RESET = 3, 5.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class BreakerMachine(RuleBasedStateMachine):
    """Random calls, outcomes and waits against a model of the documented behaviour."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.breaker = CircuitBreaker(FAILURES, RESET, self.clock)
        self.failures = 0  # consecutive
        self.opened_at: float | None = None
        self.probe_at: float | None = None
        self.in_flight = 0  # calls allowed and not yet reported

    def _expected_allow(self) -> bool:
        if self.opened_at is None:
            return True
        since = self.opened_at if self.probe_at is None else self.probe_at
        return self.clock.now - since >= RESET

    @rule()
    def call(self) -> None:
        expected = self._expected_allow()
        assert self.breaker.allow() is expected
        if expected:
            self.in_flight += 1
            if self.opened_at is not None:
                self.probe_at = self.clock.now

    @precondition(lambda self: self.in_flight > 0)
    @rule()
    def succeed(self) -> None:
        self.in_flight -= 1
        self.breaker.record_success()
        self.failures, self.opened_at, self.probe_at = 0, None, None

    @precondition(lambda self: self.in_flight > 0)
    @rule()
    def fail(self) -> None:
        self.in_flight -= 1
        self.breaker.record_failure()
        self.failures += 1
        if self.probe_at is not None or self.failures >= FAILURES:
            self.opened_at, self.probe_at = self.clock.now, None

    @rule(seconds=st.sampled_from([0.5, 1.0, RESET / 2, RESET, 2 * RESET]))
    def wait(self, seconds: float) -> None:
        self.clock.now += seconds

    @invariant()
    def state_matches_the_model(self) -> None:
        expected = (
            "closed"
            if self.opened_at is None
            else ("half_open" if self.probe_at is not None else "open")
        )
        assert self.breaker.state == expected

    @invariant()
    def never_refuses_for_longer_than_the_reset_time(self) -> None:
        saved = self.clock.now
        self.clock.now += RESET
        try:
            assert self._expected_allow()
        finally:
            self.clock.now = saved


TestBreakerMachine = BreakerMachine.TestCase


def test_a_probe_that_never_reports_lapses_after_the_reset_time() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(1, RESET, clock)
    breaker.allow()
    breaker.record_failure()
    clock.now += RESET
    assert breaker.allow()  # the probe, never reported
    assert breaker.state == "half_open"
    assert not breaker.allow()

    clock.now += RESET

    assert breaker.allow()


class ScriptedStore(InMemorySnapshotStore):
    """The in-memory store whose seller reads raise what the test says."""

    raises: BaseException | None = None

    def get_sellers(self, snapshot_id: str, ids: Any) -> Any:
        if self.raises is not None:
            raise self.raises
        return super().get_sellers(snapshot_id, ids)


@pytest.mark.parametrize(
    ("outcome", "state_after", "raised"),
    [
        (None, "closed", None),
        (SnapshotNotFound("snapshot", "US-1"), "closed", SnapshotDataMissing),
        (SnapshotNotFound("seller", "S-1"), "closed", SnapshotNotFound),
        (ConfigError(["x: bad"]), "closed", ConfigError),
        (TrustSignalsError("ours"), "closed", TrustSignalsError),
        (StoreUnavailable("down"), "open", StoreUnavailable),
        (ValueError("a bug"), "open", ValueError),
        (KeyError("a bug"), "open", KeyError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_every_outcome_of_a_half_open_probe_releases_it(
    outcome: BaseException | None, state_after: str, raised: type[BaseException] | None
) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(1, RESET, clock)
    store = ScriptedStore()
    store.begin("US-1", "US", date(2026, 11, 27)).commit()
    config = load_config(default_config_path())
    service = TrustSignals(store, lambda: config, utc_now, SignalCache(0), breaker)
    breaker.allow()
    breaker.record_failure()  # open
    clock.now += RESET
    store.raises = outcome

    if raised is None:
        service._ask_store(store.get_sellers, "US-1", ["S-1"])
    else:
        with pytest.raises(raised):
            service._ask_store(store.get_sellers, "US-1", ["S-1"])

    assert breaker.state == state_after
    clock.now += RESET
    assert breaker.allow()
