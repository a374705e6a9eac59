"""The seller page's answer without Flask: the service over the in-memory store, at a fixed
time, with an earlier US snapshot retained beside the active one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import EARLIER, FIXED_NOW, FIXTURES, earlier_us_snapshot, us_snapshot
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.breaker import CircuitBreaker
from trust_signals.config import load_config
from trust_signals.errors import SnapshotNotFound
from trust_signals.service.cache import SignalCache
from trust_signals.service.config_versions import stored_config_reader
from trust_signals.service.reads import TrustSignals
from trust_signals.service.reports import benchmark_answer
from trust_signals.service.seller_page import TrendPoint, retained_days, seller_page_answer
from trust_signals.store.base import SnapshotInfo
from trust_signals.store.memory import InMemorySnapshotStore

CONFIG = FIXTURES / "api_config.toml"


def service(store: InMemorySnapshotStore) -> TrustSignals:
    return TrustSignals(
        store,
        stored_config_reader(store, CONFIG),
        lambda: FIXED_NOW,
        SignalCache(1000),
        CircuitBreaker(5, 1.0, lambda: 0.0),
    )


@pytest.fixture
def store(tmp_path: Path) -> InMemorySnapshotStore:
    """The earlier US snapshot, then today's, loaded in turn: today's is active."""
    found = InMemorySnapshotStore(clock=lambda: FIXED_NOW)
    config = load_config(CONFIG)
    load_snapshot_dir(found, earlier_us_snapshot(tmp_path / "earlier"), config)
    load_snapshot_dir(found, us_snapshot(tmp_path / "us"), config)
    return found


def test_the_page_shows_the_benchmark_calls_own_report(store: InMemorySnapshotStore) -> None:
    signals = service(store)

    page = seller_page_answer(signals, "US", "S-BIG", ("category",), "90d")

    assert page.report == benchmark_answer(signals, "US", "S-BIG", ("category",)).report
    assert page.report.cohort is not None and page.report.cohort.size == 2
    assert page.indices == {m: page.report.metrics[m] for m in ("fq_index", "csq_index")}
    assert [seller for seller, _ in page.first_party] == ["US-1P"]
    assert page.cohort_values == {
        "tenure": ">=365d",
        "location": "US",
        "category": "electronics",
        "channel": "fba",
    }
    assert (page.envelope.snapshot_id, page.as_of, page.min_cohort_size) == (
        "US-2026-11-27",
        date(2026, 11, 27),
        2,
    )


def test_the_indices_follow_the_window_and_the_cohort_stays_over_90_days(
    tmp_path: Path,
) -> None:
    store = InMemorySnapshotStore(clock=lambda: FIXED_NOW)
    load_snapshot_dir(store, earlier_us_snapshot(tmp_path / "earlier"), load_config(CONFIG))
    signals = service(store)

    over_30 = seller_page_answer(signals, "US", "S-BIG", (), "30d")
    over_365 = seller_page_answer(signals, "US", "S-BIG", (), "365d")

    # 10 late deliveries in 30 days, 30 in 365 days of twelve times the orders.
    assert over_30.indices["fq_index"] < over_365.indices["fq_index"]
    assert over_30.indices["csq_index"] == over_365.indices["csq_index"]
    assert over_30.report == over_365.report  # cohorts are compared over 90 days
    assert (over_30.window, over_30.benchmark_window) == ("30d", "90d")
    assert over_30.trend[-1].indices == over_30.indices


def test_the_trend_reads_the_seller_from_each_retained_snapshot_oldest_first(
    store: InMemorySnapshotStore,
) -> None:
    page = seller_page_answer(service(store), "US", "S-BIG", (), "90d")

    earlier, today = page.trend
    assert (earlier.snapshot_id, earlier.as_of, earlier.note) == (
        f"US-{EARLIER}",
        date.fromisoformat(EARLIER),
        None,
    )
    assert today == TrendPoint("US-2026-11-27", date(2026, 11, 27), page.indices)
    # More late deliveries a week earlier: a lower FQ index then, the same CSQ.
    assert earlier.indices["fq_index"] < today.indices["fq_index"]
    assert earlier.indices["csq_index"] == today.indices["csq_index"]


def test_a_seller_absent_from_an_earlier_snapshot_has_no_point_there(
    store: InMemorySnapshotStore,
) -> None:
    page = seller_page_answer(service(store), "US", "S-BIG2", (), "90d")

    assert [(p.snapshot_id, p.note) for p in page.trend] == [
        (f"US-{EARLIER}", "not in this snapshot"),
        ("US-2026-11-27", None),
    ]


def test_a_snapshot_loaded_under_other_cohort_parameters_says_so(tmp_path: Path) -> None:
    store = InMemorySnapshotStore(clock=lambda: FIXED_NOW)
    config = load_config(CONFIG)
    other = tmp_path / "other.toml"
    other.write_text(
        CONFIG.read_text().replace("shrinkage_pseudo_orders = 0", "shrinkage_pseudo_orders = 7")
    )
    load_snapshot_dir(store, earlier_us_snapshot(tmp_path / "earlier"), load_config(other))
    load_snapshot_dir(store, us_snapshot(tmp_path / "us"), config)

    page = seller_page_answer(service(store), "US", "S-BIG", (), "90d")

    assert [p.note for p in page.trend] == ["loaded under other cohort parameters", None]


def test_the_badges_are_the_live_seller_badges_with_whether_the_seller_holds_them(
    store: InMemorySnapshotStore,
) -> None:
    signals = service(store)

    big = seller_page_answer(signals, "US", "S-BIG", (), "90d")
    small = seller_page_answer(signals, "US", "S-SMALL", (), "90d")

    assert [(b.badge_id, b.copy_key, b.held) for b in big.badges] == [
        ("big_seller", "badge.big_seller", True)
    ]
    assert [(b.badge_id, b.held) for b in small.badges] == [("big_seller", False)]
    [condition] = small.badges[0].explanation.conditions
    assert (condition.signal, condition.passed) == ("seller.orders", False)


def test_the_profile_stats_are_the_profile_calls(store: InMemorySnapshotStore) -> None:
    signals = service(store)

    page = seller_page_answer(signals, "US", "S-SMALL", (), "90d")

    assert page.profile == signals.profile("US", "S-SMALL")
    assert page.stat_floors == {"on_time_delivery": 200, "orders": 1}


def test_an_unknown_seller_has_no_page(store: InMemorySnapshotStore) -> None:
    with pytest.raises(SnapshotNotFound):
        seller_page_answer(service(store), "US", "S-NOBODY", (), "90d")


def info(
    snapshot_id: str, as_of: date, *, marketplace: str = "US", loaded: int = 0
) -> SnapshotInfo:
    loaded_at = FIXED_NOW + timedelta(minutes=loaded)
    return SnapshotInfo(snapshot_id, marketplace, as_of, loaded_at, 1, 1, False)


def test_retained_days_keep_one_snapshot_a_day_up_to_the_active_one() -> None:
    day = date(2026, 11, 27)
    active = replace(info("US-b", day), active=True)
    listed = [
        info("US-later", day + timedelta(days=1), loaded=9),
        info("US-c", day, loaded=5),
        active,
        info("US-old", day - timedelta(days=7), loaded=1),
        info("US-old-again", day - timedelta(days=7), loaded=2),
        info("DE-x", day, marketplace="DE"),
    ]

    assert [i.snapshot_id for i in retained_days(listed, active)] == ["US-old-again", "US-b"]
