"""A small thread-safe circuit breaker: stop calling a dependency that keeps failing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]


class CircuitBreaker:
    """Opens after `failures` consecutive failures; fails fast for `reset_seconds`; one probe.

    Thread-safe. While open, `allow()` is False without touching the network; once
    `reset_seconds` have passed it lets exactly one call through (half-open): a success
    closes the breaker, a failure opens it for another `reset_seconds`. Every caller reports
    the outcome of every call it was allowed; should one never report (a bug, a killed
    thread), the probe's claim lapses after another `reset_seconds`, so the breaker can
    never stay half-open for good.
    """

    def __init__(self, failures: int, reset_seconds: float, clock: Clock = time.monotonic) -> None:
        if failures < 1 or reset_seconds < 0:
            raise ValueError("breaker needs failures >= 1 and reset_seconds >= 0")
        self._failures = failures
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._probe_started: float | None = None

    @property
    def state(self) -> str:
        """'closed', 'open' or 'half_open' (a probe is in flight)."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half_open" if self._probe_started is not None else "open"

    def allow(self) -> bool:
        """Whether a call may go to the network now (claims the probe when half-open)."""
        with self._lock:
            if self._opened_at is None:
                return True
            now = self._clock()
            # Wait out the reset time since opening, or since a probe that never reported.
            since = self._opened_at if self._probe_started is None else self._probe_started
            if now - since < self._reset_seconds:
                return False
            self._probe_started = now
            return True

    def record_success(self) -> None:
        """The service answered (a 4xx counts: the service is up): close."""
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._probe_started = None

    def record_failure(self) -> None:
        """No usable answer: count it, and open when the count is reached or a probe failed."""
        with self._lock:
            self._consecutive += 1
            if self._probe_started is not None or self._consecutive >= self._failures:
                self._opened_at = self._clock()
                self._probe_started = None
