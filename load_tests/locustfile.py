"""Locust traffic mix: one user class per consumer of trust-signals, ids from the loaded snapshot.

Environment (read only in `load_options`):
  TRUST_SIGNALS_LOAD_SNAPSHOT   snapshot directory the run loaded (one marketplace, or a directory
                                holding several, as `trust-signals generate --out` writes); required
  TRUST_SIGNALS_LOAD_MAX_OFFERS offers read per marketplace, file order (default 200000)
  TRUST_SIGNALS_LOAD_USER_RPS   requests per second per user; 0 = back to back (default 0)
  TRUST_SIGNALS_LOAD_SHAPE      "step" raises users step by step until a p99 budget breaks
                                (see load_tests/step_shape.py for its settings)

Popularity: each marketplace's offers are ranked by their 365-day orders and drawn with a Zipf
law over that rank, so the per-worker caches see the hot set a real search page would. Sellers
are drawn through a popular offer, as profile and benchmark visits follow product views.
"""

from __future__ import annotations

import gzip
import os
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, islice
from pathlib import Path
from typing import Any, Final

import gevent
import orjson
from locust import FastHttpUser, events, task

# Share of requests per consumer, as in production: search >> PDP > ranking > SPP > benchmark.
# Users are spawned in these proportions and all pace alike, so requests follow them too
# (with at least sum/min = 50 users, so that every consumer has one).
WEIGHTS: Final = {"search": 60, "pdp": 25, "ranking": 8, "spp": 5, "benchmark": 2}
SEARCH_PAGE_OFFERS: Final = 48
RANKING_OFFERS: Final = 500
BENCHMARK_DIMENSIONS: Final = "category,channel"
ZIPF_EXPONENT: Final = 1.1  # the synthetic generator's order-volume law
SNAPSHOT_ENV: Final = "TRUST_SIGNALS_LOAD_SNAPSHOT"


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """The locustfile's settings, from the environment."""

    snapshot_dir: Path
    max_offers: int
    user_rps: float


@cache
def load_options() -> LoadOptions:
    """The settings; KeyError naming the variable when the snapshot directory is not set."""
    if not os.environ.get(SNAPSHOT_ENV):
        raise KeyError(f"{SNAPSHOT_ENV} must name the snapshot directory the server loaded")
    return LoadOptions(
        snapshot_dir=Path(os.environ[SNAPSHOT_ENV]),
        max_offers=int(os.environ.get("TRUST_SIGNALS_LOAD_MAX_OFFERS", "200000")),
        user_rps=float(os.environ.get("TRUST_SIGNALS_LOAD_USER_RPS", "0")),
    )


@dataclass(frozen=True, slots=True)
class MarketIds:
    """One marketplace's offers, most ordered first, with their sellers and Zipf weights."""

    marketplace: str
    offer_ids: tuple[str, ...]
    seller_ids: tuple[str, ...]  # aligned with offer_ids
    cum_weights: tuple[float, ...]

    def draw_offers(self, count: int) -> list[str]:
        """`count` distinct offer ids (fewer if the market has fewer), popular ones likelier."""
        count = min(count, len(self.offer_ids))
        chosen: dict[str, None] = {}
        while len(chosen) < count:
            for offer_id in random.choices(
                self.offer_ids, cum_weights=self.cum_weights, k=count - len(chosen)
            ):
                chosen[offer_id] = None
        return list(chosen)

    def draw_seller(self) -> str:
        """A seller id, through a popular offer."""
        rank = bisect_right(self.cum_weights, random.random() * self.cum_weights[-1])
        return self.seller_ids[min(rank, len(self.seller_ids) - 1)]


@dataclass(frozen=True, slots=True)
class IdPool:
    """Every marketplace in the snapshot, drawn in proportion to the offers read from each."""

    markets: tuple[MarketIds, ...]
    cum_sizes: tuple[int, ...]

    def market(self) -> MarketIds:
        """A marketplace, weighted by its offer count."""
        return random.choices(self.markets, cum_weights=self.cum_sizes)[0]


def snapshot_dirs(root: Path) -> list[Path]:
    """`root` if it is a snapshot directory, else the snapshot directories inside it."""
    if (root / "manifest.json").exists():
        return [root]
    found = sorted(p.parent for p in root.glob("*/manifest.json"))
    if not found:
        raise FileNotFoundError(f"no manifest.json in {root} or its subdirectories")
    return found


def _offer_lines(directory: Path, manifest: dict[str, Any], limit: int) -> Iterator[bytes]:
    path = directory / manifest["files"]["offers"]["path"]
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as lines:
        yield from islice(lines, limit)


def read_market(directory: Path, limit: int) -> MarketIds:
    """The first `limit` offers of a snapshot directory, ranked by 365-day orders."""
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    rows = []
    for line in _offer_lines(directory, manifest, limit):
        record = orjson.loads(line)
        rows.append((record["windows"]["365d"]["orders"], record["offer_id"], record["seller_id"]))
    if not rows:
        raise ValueError(f"{directory}: no offers")
    rows.sort(key=lambda row: -row[0])  # stable: file order breaks ties
    weights = (1.0 / rank**ZIPF_EXPONENT for rank in range(1, len(rows) + 1))
    return MarketIds(
        manifest["marketplace"],
        tuple(row[1] for row in rows),
        tuple(row[2] for row in rows),
        tuple(accumulate(weights)),
    )


@cache
def id_pool() -> IdPool:
    """The ids of the snapshot this run loaded, read once per Locust process."""
    options = load_options()
    markets = tuple(read_market(d, options.max_offers) for d in snapshot_dirs(options.snapshot_dir))
    return IdPool(markets, tuple(accumulate(len(m.offer_ids) for m in markets)))


@events.init.add_listener
def read_ids_before_start(**_: Any) -> None:
    """Read the ids before any user starts, so reading them does not stall the first requests."""
    id_pool()


class ConsumerUser(FastHttpUser):
    """A caller of one consumer's endpoint, paced by TRUST_SIGNALS_LOAD_USER_RPS.

    Paced users start their calls at exponentially distributed intervals (a Poisson stream
    per user, so a Poisson stream in all), each from a random phase. Fixed intervals would
    keep users spawned together in step: every second, a burst of one call per user, which
    queues behind itself and measures the burst, not the service.
    """

    abstract = True
    network_timeout = 10.0
    connection_timeout = 5.0
    _next_start = 0.0

    def on_start(self) -> None:
        rps = load_options().user_rps
        if rps > 0:
            gevent.sleep(random.uniform(0, 1 / rps))  # a random phase for the first call
        self._next_start = time.monotonic()

    def wait_time(self) -> float:
        rps = load_options().user_rps
        if rps <= 0:
            return 0.0
        now = time.monotonic()
        # A user that fell more than a second behind drops the debt instead of bursting.
        self._next_start = max(self._next_start, now - 1.0) + random.expovariate(rps)
        return max(0.0, self._next_start - now)

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class SearchUser(ConsumerUser):
    """The search results page: search badges for a page of 48 offers."""

    weight = WEIGHTS["search"]

    @task
    def search_page(self) -> None:
        market = id_pool().market()
        ids = ",".join(market.draw_offers(SEARCH_PAGE_OFFERS))
        path = f"/v1/badges?marketplace={market.marketplace}&surface=search&offer_ids={ids}"
        with self.client.get(path, name="search", catch_response=True) as response:
            _expect_all_found(response)


class PdpUser(ConsumerUser):
    """The product detail page: one offer's badges and seller line."""

    weight = WEIGHTS["pdp"]

    @task
    def product_page(self) -> None:
        market = id_pool().market()
        offer_id = market.draw_offers(1)[0]
        self._get(f"/v1/offers/{offer_id}?marketplace={market.marketplace}", "pdp")


class RankingUser(ConsumerUser):
    """The ranking model: feature vectors for 500 candidate offers."""

    weight = WEIGHTS["ranking"]

    @task
    def rank_candidates(self) -> None:
        market = id_pool().market()
        body = orjson.dumps(
            {"marketplace": market.marketplace, "offer_ids": market.draw_offers(RANKING_OFFERS)}
        )
        with self.client.post(
            "/v1/features",
            data=body,
            headers={"Content-Type": "application/json"},
            name="ranking",
            catch_response=True,
        ) as response:
            _expect_all_found(response)


class SppUser(ConsumerUser):
    """The seller profile page: stats with windows and samples, and seller badges."""

    weight = WEIGHTS["spp"]

    @task
    def seller_page(self) -> None:
        market = id_pool().market()
        path = f"/v1/sellers/{market.draw_seller()}/profile?marketplace={market.marketplace}"
        self._get(path, "spp")


class BenchmarkUser(ConsumerUser):
    """The sellers' benchmarking tool: own FQ/CSQ against a chosen cohort."""

    weight = WEIGHTS["benchmark"]

    @task
    def benchmark(self) -> None:
        market = id_pool().market()
        path = (
            f"/v1/sellers/{market.draw_seller()}/benchmark?marketplace={market.marketplace}"
            f"&dimensions={BENCHMARK_DIMENSIONS}"
        )
        self._get(path, "benchmark")


def _expect_all_found(response: Any) -> None:
    # Every id comes from the loaded snapshot, so a non-empty "missing" (the body's last key)
    # means the server serves another snapshot than the one the ids were read from.
    if response.status_code != 200:
        response.failure(f"HTTP {response.status_code}")
    elif not response.content.endswith(b'"missing":[]}'):
        response.failure("ids reported missing: the server serves another snapshot")


if os.environ.get("TRUST_SIGNALS_LOAD_SHAPE") == "step":
    from load_tests.step_shape import StepLoadShape  # noqa: F401  (Locust finds it here)
