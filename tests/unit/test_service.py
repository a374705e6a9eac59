"""The read service without Flask: TrustSignals over the in-memory store at a fixed time.

US: O-1 from a big seller, O-2 on time and O-3 late from a small one (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from math import log1p
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import FIXED_NOW, FIXTURES, us_snapshot
from tests.conftest import de_snapshot as de_snapshot_dir
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.breaker import CircuitBreaker
from trust_signals.config import load_config
from trust_signals.domain.badges import Badge
from trust_signals.domain.coaching import Change
from trust_signals.domain.coaching_offers import FailingCriterion, OfferBadgeSummary
from trust_signals.domain.profile_stats import ProfileStat
from trust_signals.domain.what_if import Target
from trust_signals.errors import InvalidTargets, SnapshotNotFound, StoreUnavailable
from trust_signals.service.administration import activate_snapshot
from trust_signals.service.cache import SignalCache
from trust_signals.service.coaching import coaching_answer, what_if_answer
from trust_signals.service.config_versions import stored_config_reader
from trust_signals.service.reads import TrustSignals
from trust_signals.service.view import UnknownMarketplace
from trust_signals.store.memory import InMemorySnapshotStore

CONFIG = FIXTURES / "api_config.toml"
BIG_SELLER = Badge("big_seller", "badge.big_seller", "seller", 100, "TEST-0001-BIG")
FAST_DELIVERY = Badge("fast_delivery", "badge.fast_delivery", "offer", 50, "TEST-0001-FAST")
BREAKER_FAILURES = 2
BREAKER_RESET_SECONDS = 5.0


class SwitchableStore:
    """The in-memory store behind a switch: `down` makes every call fail as a dead store's
    calls do, and `restart_empty()` swaps in an empty store, as a Redis without persistence
    comes back after a restart."""

    def __init__(self, store: InMemorySnapshotStore) -> None:
        self.store = store
        self.down = False

    def restart_empty(self) -> None:
        self.store = InMemorySnapshotStore(clock=lambda: FIXED_NOW)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable("the test store is down")
            return method(*args, **kwargs)

        return call


class Ticks:
    """A monotonic clock the test moves by hand, for the breaker's reset time."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def memory_store(tmp_path: Path) -> InMemorySnapshotStore:
    """The US and DE test snapshots loaded and active in an in-memory store."""
    store = InMemorySnapshotStore(clock=lambda: FIXED_NOW)
    config = load_config(CONFIG)
    load_snapshot_dir(store, us_snapshot(tmp_path / "us"), config)
    load_snapshot_dir(store, de_snapshot_dir(tmp_path / "de"), config)
    return store


@pytest.fixture
def switchable(memory_store: InMemorySnapshotStore) -> SwitchableStore:
    return SwitchableStore(memory_store)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def signals(switchable: SwitchableStore, ticks: Ticks) -> TrustSignals:
    """The service over the store, at FIXED_NOW, its breaker on the test's clock."""
    return TrustSignals(
        switchable,  # a SnapshotStore and ConfigCatalog by delegation
        stored_config_reader(switchable, CONFIG),
        lambda: FIXED_NOW,
        SignalCache(1000),
        CircuitBreaker(BREAKER_FAILURES, BREAKER_RESET_SECONDS, ticks),
    )


def test_the_view_serves_each_marketplaces_active_snapshot_under_the_active_config(
    signals: TrustSignals,
) -> None:
    view = signals.view()

    assert {m: market.snapshot.snapshot_id for m, market in view.markets.items()} == {
        "US": "US-2026-11-27",
        "DE": "DE-2026-11-27",
    }
    assert (view.config.version, view.lost) == (load_config(CONFIG).version, frozenset())


def test_a_marketplace_without_a_snapshot_is_unknown(signals: TrustSignals) -> None:
    with pytest.raises(UnknownMarketplace):
        signals.view().market("FR")


def test_offers_get_their_badges_per_surface_and_unknown_ids_missing(
    signals: TrustSignals,
) -> None:
    search = signals.badges("US", "search", ["O-1", "O-3", "nope"])
    pdp = signals.badges("US", "pdp", ["O-1"])

    assert search.offers == [("O-1", (BIG_SELLER,)), ("O-3", ())]
    assert (search.missing, search.degraded) == (["nope"], False)
    assert pdp.offers == [("O-1", (BIG_SELLER, FAST_DELIVERY))]
    assert (search.envelope.snapshot_id, search.envelope.marketplace) == ("US-2026-11-27", "US")


def test_the_pdp_call_gives_the_offer_and_only_its_sellers_shown_stats(
    signals: TrustSignals,
) -> None:
    found = signals.offer("US", "O-2")

    assert (found.offer_id, found.badges, found.seller_id) == ("O-2", (FAST_DELIVERY,), "S-SMALL")
    # 120 orders in every window: too few to show an on-time rate, so only orders shows.
    assert found.stats == (ProfileStat("orders", 120, "120", 120, "365d", None),)
    assert not found.degraded


def test_the_profile_page_lists_withheld_stats_with_the_reason(signals: TrustSignals) -> None:
    found = signals.profile("US", "S-SMALL")

    assert found.stats == (
        ProfileStat("on_time_delivery", None, None, 120, "365d", "sample 120 below minimum 200"),
        ProfileStat("orders", 120, "120", 120, "365d", None),
    )
    assert found.badges == ()


def test_an_unknown_offer_is_not_found(signals: TrustSignals) -> None:
    with pytest.raises(SnapshotNotFound):
        signals.offer("US", "nope")


def test_features_follow_the_schema_with_defaults_for_unknown_offers(
    signals: TrustSignals,
) -> None:
    found = signals.features("US", ["O-1", "nope"])

    # offer_orders_90d_log, offer_on_time_point (on time of delivered), seller_tenure_days
    expected = np.asarray([log1p(120), 111 / 117, 400.0], dtype=np.float32)
    assert found.values[0].tobytes() == expected.tobytes()
    assert found.missing_mask.tolist() == [[False, False, False], [True, True, True]]
    assert found.missing == ["nope"]


def test_activating_a_new_snapshot_serves_it_at_once(
    signals: TrustSignals, memory_store: InMemorySnapshotStore, tmp_path: Path
) -> None:
    newer = us_snapshot(tmp_path / "us-new", as_of="2026-11-28", o3_late=False)
    config = load_config(CONFIG)
    load_snapshot_dir(memory_store, newer, config, activate=False)

    activate_snapshot(memory_store, "US-2026-11-28", config, max_shrink=None)
    found = signals.precomputed.badges(
        signals.refreshed_view(), signals.view().market("US"), "search", ["O-3"]
    )

    assert found.envelope.snapshot_id == "US-2026-11-28"
    assert found.offers == [("O-3", (FAST_DELIVERY,))]


def test_a_refresh_without_a_change_keeps_the_view(signals: TrustSignals) -> None:
    before = signals.view()

    assert (signals.refresh(), signals.view()) == (False, before)


def test_a_store_that_lost_its_data_keeps_the_view_degraded_from_the_cache(
    signals: TrustSignals, switchable: SwitchableStore
) -> None:
    signals.badges("US", "search", ["O-1"])  # now cached

    switchable.restart_empty()
    signals.refresh()
    view = signals.view()
    found = signals.badges("US", "pdp", ["O-1", "O-2"])

    assert view.lost == {"US", "DE"}
    assert view.market("US").snapshot.snapshot_id == "US-2026-11-27"
    assert found.offers == [("O-1", (BIG_SELLER, FAST_DELIVERY)), ("O-2", ())]
    assert found.degraded
    assert signals.status()["lost"] == ["DE", "US"]


def test_a_dead_store_fails_a_strict_read(
    signals: TrustSignals, switchable: SwitchableStore
) -> None:
    switchable.down = True

    with pytest.raises(StoreUnavailable):
        signals.profile("US", "S-BIG")


def test_a_dead_store_opens_the_breaker_and_fails_open_reads_degraded(
    signals: TrustSignals, switchable: SwitchableStore
) -> None:
    switchable.down = True

    answers = [signals.badges("US", "search", [f"O-{i}"]) for i in (1, 2)]

    assert [(a.offers, a.degraded) for a in answers] == [
        ([("O-1", ())], True),
        ([("O-2", ())], True),
    ]
    assert signals.status()["store_breaker"] == "open"


def test_an_open_breaker_answers_degraded_until_its_reset_time_even_if_the_store_is_back(
    signals: TrustSignals, switchable: SwitchableStore, ticks: Ticks
) -> None:
    switchable.down = True
    for i in range(BREAKER_FAILURES):
        signals.badges("US", "search", [f"O-{i}"])
    switchable.down = False

    early = signals.badges("US", "search", ["O-2"])
    ticks.seconds = BREAKER_RESET_SECONDS
    probe = signals.badges("US", "search", ["O-2"])

    assert early.degraded
    assert (probe.degraded, probe.offers) == (False, [("O-2", (FAST_DELIVERY,))])
    assert signals.status()["store_breaker"] == "closed"


# -- coaching and what-if: S-SMALL has 120 orders in every window; big_seller needs 1,000 --


def test_coaching_says_how_many_more_orders_the_seller_badge_takes(signals: TrustSignals) -> None:
    found = coaching_answer(signals, "US", "S-SMALL", ("category",))

    (badge,) = found.badges
    (orders,) = badge.criteria
    assert (badge.badge_id, orders.signal, orders.window, orders.value) == (
        "big_seller",
        "seller.orders",
        "365d",
        120,
    )
    assert orders.more_good == Change(880, "orders")
    assert (found.cohort_key, found.cohort_size, found.opportunities) == (
        "category=media",
        None,
        (),
    )
    assert found.criterion_resources == {"seller.orders": ()}
    assert found.offers == (
        OfferBadgeSummary(
            "fast_delivery",
            "badge.fast_delivery",
            holding=1,
            not_holding=1,
            failing=(FailingCriterion("when.all[0]", "offer.on_time_delivery_rate", 1),),
        ),
    )
    assert (found.envelope.snapshot_id, found.envelope.marketplace) == ("US-2026-11-27", "US")


def test_a_seller_holding_every_seller_badge_gets_none_to_coach(signals: TrustSignals) -> None:
    found = coaching_answer(signals, "US", "S-BIG", ())
    assert (found.badges, found.cohort_key, found.cohort_size) == ((), "all", 3)


def test_what_if_refuses_more_defects_than_opportunities(signals: TrustSignals) -> None:
    with pytest.raises(InvalidTargets) as raised:
        what_if_answer(signals, "US", "S-SMALL", (), [Target("damaged", "90d", count=121)])
    assert raised.value.problems == [
        "targets[0].count: 121 exceeds the seller's 120 orders over 90d"
    ]


def test_what_if_ranks_the_projection_in_the_chosen_cohort(signals: TrustSignals) -> None:
    found = what_if_answer(signals, "US", "S-BIG", (), [Target("late_delivery", "90d", count=0)])
    assert (found.cohort_key, found.cohort_size, found.dimensions) == ("all", 3, ())
    assert [p.metric for p in found.projection.percentiles] == ["fq_index", "csq_index"]
    fq = found.projection.percentiles[0]
    assert fq.projected is not None and fq.current is not None and fq.projected > fq.current


def test_coaching_of_an_unknown_seller_is_not_found(signals: TrustSignals) -> None:
    with pytest.raises(SnapshotNotFound):
        coaching_answer(signals, "US", "ghost", ())


def test_coaching_fails_when_the_store_does_not_answer(
    signals: TrustSignals, switchable: SwitchableStore
) -> None:
    switchable.down = True
    with pytest.raises(StoreUnavailable):
        coaching_answer(signals, "US", "S-SMALL", ())
