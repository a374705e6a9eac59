"""Load-test budgets (p99 per consumer, error rate) and the figures they are checked against."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BUDGETS = Path(__file__).with_name("budgets.toml")


@dataclass(frozen=True, slots=True)
class Budgets:
    """p99 latency per consumer (ms) and the share of requests allowed to fail."""

    p99_ms: Mapping[str, float]
    error_rate: float


@dataclass(frozen=True, slots=True)
class ConsumerFigures:
    """One consumer's figures over a run or a step; latencies in ms."""

    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def error_rate(self) -> float:
        """Failed requests / requests (0 when there were none)."""
        return self.failures / self.requests if self.requests else 0.0


def load_budgets(path: Path = DEFAULT_BUDGETS) -> Budgets:
    """The budgets file; ValueError naming the file when a section is missing."""
    raw = tomllib.loads(path.read_text())
    try:
        return Budgets({k: float(v) for k, v in raw["p99_ms"].items()}, float(raw["error_rate"]))
    except KeyError as error:
        raise ValueError(f"{path}: missing {error.args[0]!r}") from None


def breaches(figures: Mapping[str, ConsumerFigures], budgets: Budgets) -> list[str]:
    """Every broken budget, one line each; empty when all held."""
    found = []
    for name, limit in budgets.p99_ms.items():
        got = figures.get(name)
        if got is None or got.requests == 0:
            found.append(f"{name}: no requests made")
            continue
        if got.p99_ms is not None and got.p99_ms > limit:
            found.append(f"{name}: p99 {got.p99_ms:.0f} ms > budget {limit:.0f} ms")
        if got.error_rate > budgets.error_rate:
            found.append(
                f"{name}: error rate {got.error_rate:.2%} ({got.failures} of {got.requests}) "
                f"> budget {budgets.error_rate:.2%}"
            )
    return found
