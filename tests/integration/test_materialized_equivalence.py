"""Materialized serving answers exactly what the engine computes on the fly, for every offer
and seller of a generated snapshot, under the default config, each example config and random
valid configs; and for the next day, what it computes for the previous day's holders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.breaker import CircuitBreaker
from trust_signals.config import TrustConfig, default_config_path, parse_config
from trust_signals.domain.badges import earned_seller_rules, evaluate_surfaces, met_rules
from trust_signals.domain.cohorts import seller_prior
from trust_signals.domain.profile_stats import profile_stats
from trust_signals.domain.ranking_features import feature_vector
from trust_signals.domain.signals import Subject
from trust_signals.ingest.drift import drift_snapshot
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.service.cache import SignalCache
from trust_signals.service.reads import TrustSignals
from trust_signals.service.signal_rows import LAYOUT_ID, META, OFFERS, SELLERS, RowLayout
from trust_signals.store.memory import InMemorySnapshotStore

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


@pytest.fixture(scope="module")
def snapshot_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("equivalence")
    return generate_snapshots(
        out, sellers=240, offers=2_400, marketplaces=["US", "DE", "IN"], seed=11, as_of=AS_OF
    )


class Served(NamedTuple):
    """The service and the memory store it reads, loaded (and materialized) under a config."""

    service: TrustSignals
    store: InMemorySnapshotStore


def served(config: TrustConfig, directories: list[Path]) -> Served:
    """The service over a memory store loaded (and materialized) under `config`."""
    store = InMemorySnapshotStore()
    for directory in directories:
        load_snapshot_dir(store, directory, config)
    breaker = CircuitBreaker(5, 1.0)
    return Served(TrustSignals(store, lambda: config, lambda: NOW, SignalCache(0), breaker), store)


def subjects(found: Served, marketplace: str) -> Iterator[tuple[Subject, Subject]]:
    """Each offer's subject with its seller's, computed from the records as the engine does."""
    market = found.service.view().market(marketplace)
    store, snapshot_id = found.store, market.snapshot.snapshot_id
    sellers = {s.seller_id: s for s in store.iter_sellers(snapshot_id)}
    for seller_id, seller in sellers.items():
        prior = seller_prior(seller, market.priors, market.config.cohort_spec)
        seller_subject = Subject(seller, None, market.snapshot.as_of, prior)
        for offer in store.offers_of_sellers(snapshot_id, [seller_id]):
            yield seller_subject, Subject(seller, offer, market.snapshot.as_of, prior)
        yield seller_subject, seller_subject


def assert_equivalent(loaded: Served) -> int:
    """Every offer's and seller's served answer equals the engine's; how many were checked."""
    service = loaded.service
    view = service.view()
    checked = 0
    for marketplace, market in view.markets.items():
        config, on = market.config, NOW.date()
        params = config.params
        for seller_subject, subject in subjects(loaded, marketplace):
            inherited = earned_seller_rules(config.rules, seller_subject, params)
            if subject.offer is None:
                seller_id = subject.seller.seller_id
                expected = evaluate_surfaces(
                    config.rules, subject, params,
                    max_badges=config.surface_caps, marketplace=marketplace, on=on,
                )  # fmt: skip
                profile = service.profile(marketplace, seller_id)
                assert profile.stats == tuple(profile_stats(config.stats, subject, params))
                assert profile.badges == tuple(expected["spp"])
            else:
                offer_id = subject.offer.offer_id
                expected = evaluate_surfaces(
                    config.rules, subject, params,
                    max_badges=market.offer_badge_caps, marketplace=marketplace, on=on,
                    inherited=inherited,
                )  # fmt: skip
                for surface in ("search", "pdp"):
                    [(_, shown)] = service.badges(marketplace, surface, [offer_id]).offers
                    assert shown == tuple(expected[surface]), (offer_id, surface)
                values, missing = feature_vector(config.feature_schema, subject, params)
                found = service.features(marketplace, [offer_id])
                assert found.values[0].tobytes() == np.asarray(values, np.float32).tobytes()
                assert found.missing_mask[0].tolist() == list(missing)
                pdp = service.offer(marketplace, offer_id)
                shown_stats = profile_stats(config.stats, seller_subject, params)
                assert pdp.stats == tuple(s for s in shown_stats if s.withheld_reason is None)
            checked += 1
    return checked


def test_default_config_serves_what_the_engine_computes(snapshot_dirs: list[Path]) -> None:
    config = parse_config(default_config_path().read_text(), "default")

    assert assert_equivalent(served(config, snapshot_dirs)) == 2_400 + 240


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_config_serves_what_the_engine_computes(
    snapshot_dirs: list[Path], example: Path
) -> None:
    config = parse_config(example.read_text(), example.name)

    assert assert_equivalent(served(config, snapshot_dirs)) > 2_400


DEFAULT_TEXT = default_config_path().read_text()


def varied(z: float, pseudo: int, fq: float, late: float, min_orders: int) -> str:
    """The default config with its parameters and thresholds moved."""
    text = DEFAULT_TEXT.replace("wilson_z = 1.96", f"wilson_z = {z}")
    text = text.replace("shrinkage_pseudo_orders = 20", f"shrinkage_pseudo_orders = {pseudo}")
    text = text.replace("late_delivery = 1.0", f"late_delivery = {late}")
    return re.sub(r"threshold = 95 \}", f"threshold = {fq} }}", text, count=1).replace(
        "min_cohort_size = 10", f"min_cohort_size = {min_orders}"
    )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    z=st.sampled_from([1.0, 1.645, 2.576]),
    pseudo=st.integers(0, 80),
    fq=st.floats(50, 99).map(lambda x: round(x, 2)),
    late=st.floats(0.1, 3).map(lambda x: round(x, 2)),
    min_orders=st.integers(2, 30),
)
def test_random_valid_configs_serve_what_the_engine_computes(
    small_snapshot: list[Path], z: float, pseudo: int, fq: float, late: float, min_orders: int
) -> None:
    config = parse_config(varied(z, pseudo, fq, late, min_orders), "varied")

    assert assert_equivalent(served(config, small_snapshot)) > 0


@pytest.fixture(scope="module")
def small_snapshot(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("equivalence-small")
    return generate_snapshots(
        out, sellers=40, offers=300, marketplaces=["US", "IN"], seed=5, as_of=AS_OF
    )


def test_vectors_are_float32_and_print_no_digits_beyond_them(snapshot_dirs: list[Path]) -> None:
    config = parse_config(default_config_path().read_text(), "default")
    service = served(config, snapshot_dirs).service

    found = service.features("US", [f"US-O{n:08d}" for n in range(1, 40)] + ["nope"])
    text = orjson.dumps(found.values, option=orjson.OPT_SERIALIZE_NUMPY)

    assert found.values.dtype == np.float32
    assert np.array_equal(np.asarray(orjson.loads(text), dtype=np.float32), found.values)
    longest = max(len(number) for number in re.findall(rb"[0-9.e+-]+", text))
    assert longest <= 15  # float32's shortest round-trip form, not float64's 17 digits


def stored_met(store: InMemorySnapshotStore, config: TrustConfig, info: Any) -> dict:  # type: ignore[type-arg]
    """(kind, id) -> the rules the snapshot's stored rows mark met."""
    version = config.for_marketplace(info.marketplace).signals_version
    [blob] = store.get_signal_rows(info.snapshot_id, version, META, [LAYOUT_ID])
    layout = RowLayout.from_bytes(blob)  # type: ignore[arg-type]
    sellers = [s.seller_id for s in store.iter_sellers(info.snapshot_id)]
    offers = [o.offer_id for o in store.offers_of_sellers(info.snapshot_id, sellers)]
    met = {}
    for kind, ids in ((SELLERS, sellers), (OFFERS, offers)):
        rows = store.get_signal_rows(info.snapshot_id, version, kind, ids)
        for entity_id, row in zip(ids, rows, strict=True):
            met[kind, entity_id] = layout.met(int.from_bytes(row[:8], "little"))  # type: ignore[index]
    return met


def test_the_next_day_serves_what_the_engine_computes_for_yesterdays_holders(
    snapshot_dirs: list[Path], tmp_path: Path
) -> None:
    config = parse_config(DEFAULT_TEXT, "default")
    found = served(config, snapshot_dirs)
    store = found.store
    before = {
        i.marketplace: stored_met(store, config, i) for i in store.active_snapshots().values()
    }
    for directory in snapshot_dirs:
        next_day = drift_snapshot(directory, tmp_path / directory.name, drift=0.05, seed=3)
        load_snapshot_dir(store, next_day, config)
    found.service.refresh()

    kept = checked = 0
    for marketplace, market in found.service.view().markets.items():
        assert market.snapshot.as_of == AS_OF + timedelta(days=1)
        rules, params = market.config.rules, market.config.params
        margined = {c.rule.id for c in rules if c.rule.keep_margin}
        now_met, held_before = stored_met(store, config, market.snapshot), before[marketplace]
        for seller_subject, subject in subjects(found, marketplace):
            seller_held = held_before[SELLERS, subject.seller.seller_id] & margined
            inherited = strict_inherited = None
            if subject.offer is None:
                key, held = (SELLERS, subject.seller.seller_id), seller_held
            else:
                key = (OFFERS, subject.offer.offer_id)
                held = held_before[key] & margined
                inherited = earned_seller_rules(rules, seller_subject, params, held=seller_held)
                strict_inherited = earned_seller_rules(rules, seller_subject, params)
            expected = met_rules(rules, subject, params, inherited=inherited, held=held)
            assert now_met[key] == expected, key
            kept += expected != met_rules(rules, subject, params, inherited=strict_inherited)
            checked += 1
    assert checked == 2_400 + 240
    assert kept > 0  # some holders kept a badge only thanks to its margin
