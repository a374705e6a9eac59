"""The launch preview over a real SQLite store: its counts against a brute-force recount by
the domain engine, under both configs, entity by entity; on a second day too, where badges
with a keep margin are decided from who held them the day before."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import TrustConfig, default_config_path, load_config, parse_config
from trust_signals.config.legal import MarketplaceConfig
from trust_signals.domain.badge_checks import CompiledRule
from trust_signals.domain.badges import evaluate_surfaces
from trust_signals.domain.cohorts import prior_rates, seller_dimensions, seller_prior
from trust_signals.domain.profile_stats import profile_stats
from trust_signals.domain.signals import Subject
from trust_signals.errors import TrustSignalsError
from trust_signals.ingest.drift import drift_snapshot
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.service.launch_preview import against_config, preview_launch
from trust_signals.service.materializer import materialize_active
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration
AS_OF = date(2026, 11, 27)
ON = date(2026, 12, 2)
DIMENSIONS = ("tenure", "category", "channel", "first_party")
# Badges gained (a lower fq_index bar, a returns badge approved in IN) and lost (a higher
# response-rate bar, a seller badge switched off in DE); a stat newly shown (smaller
# minimum) and one newly withheld (larger).
CHANGES = (
    ('{ id = "fq_index", signal = "seller.fq_index", bound = "point", comparator = ">=", '
     'threshold = 95 }',
     '{ id = "fq_index", signal = "seller.fq_index", bound = "point", comparator = ">=", '
     'threshold = 90 }'),
    ('comparator = ">=", threshold = 0.9, min_sample = 20 }',
     'comparator = ">=", threshold = 0.97, min_sample = 20 }'),
    ('marketplaces = ["US", "DE"]', 'marketplaces = ["US", "DE", "IN"]'),
    ('min_sample = 50\n', 'min_sample = 90\n'),
    ('min_sample = 10\n', 'min_sample = 4\n'),
    ('[marketplaces.DE]\n', '[marketplaces.DE]\nbadges_disabled = ["top_rated_seller"]\n'),
)  # fmt: skip


def changed(config: TrustConfig) -> TrustConfig:
    text = config.text
    for old, new in CHANGES:
        assert old in text
        text = text.replace(old, new, 1)
    return parse_config(text, "changed")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("preview")
    generate_snapshots(
        out, sellers=400, offers=4_000, marketplaces=["US", "DE", "IN"], seed=11, as_of=AS_OF
    )
    return out


@pytest.fixture
def loaded(tmp_path: Path, generated: Path) -> tuple[SqliteSnapshotStore, TrustConfig]:
    """A store with every marketplace loaded and its signals stored under the default config."""
    store = SqliteSnapshotStore(tmp_path / "store")
    config = load_config(default_config_path())
    for marketplace in ("US", "DE", "IN"):
        load_snapshot_dir(store, generated / marketplace, config)
    return store, config


Predecessor = Mapping[tuple[str, str], frozenset[str]]  # (kind, id) -> rules it met then
NOBODY: Predecessor = {}


def held_and_shown(
    store: SqliteSnapshotStore,
    config: TrustConfig,
    marketplace: str,
    predecessor: Predecessor = NOBODY,
) -> dict[tuple[str, str], tuple[frozenset[str], tuple[str, ...]]]:
    """Every seller's and offer's badges shown (and a seller's shown stats), evaluated
    directly with the engine: each subject on its own, nothing precomputed, every rule run;
    a rule with a keep margin that the subject (for a seller rule, its seller) met in
    `predecessor` is run with its thresholds relaxed by the margins."""
    info = store.active_snapshots()[marketplace]
    effective = config.for_marketplace(marketplace)
    sellers = list(store.iter_sellers(info.snapshot_id))
    priors = prior_rates(sellers, effective.cohort_spec)
    caps = effective.surface_caps
    found = {}
    by_id = {}
    for seller in sellers:
        by_id[seller.seller_id] = seller
        prior = seller_prior(seller, priors, effective.cohort_spec)
        subject = Subject(seller, None, info.as_of, prior)
        rules = for_holders(effective, predecessor.get(("sellers", seller.seller_id)))
        spp = evaluate_surfaces(
            rules, subject, effective.params, max_badges={"spp": caps["spp"]},
            marketplace=marketplace, on=ON,
        )  # fmt: skip
        stats = profile_stats(effective.stats, subject, effective.params)
        shown = tuple(s.id for s in stats if s.withheld_reason is None)
        found[("sellers", seller.seller_id)] = (frozenset(b.id for b in spp["spp"]), shown)
    for offer in store.offers_of_sellers(info.snapshot_id, list(by_id)):
        seller = by_id[offer.seller_id]
        prior = seller_prior(seller, priors, effective.cohort_spec)
        subject = Subject(seller, offer, info.as_of, prior)
        rules = for_holders(
            effective,
            predecessor.get(("sellers", seller.seller_id)),
            predecessor.get(("offers", offer.offer_id)),
        )
        surfaces = evaluate_surfaces(
            rules, subject, effective.params,
            max_badges={"search": caps["search"], "pdp": caps["pdp"]},
            marketplace=marketplace, on=ON,
        )  # fmt: skip
        held = frozenset(b.id for badges in surfaces.values() for b in badges)
        found[("offers", offer.offer_id)] = (held, ())
    return found


def for_holders(
    config: MarketplaceConfig,
    seller_met: frozenset[str] | None,
    offer_met: frozenset[str] | None = None,
) -> list[CompiledRule]:
    """The config's rules, each seller rule the seller met (offer rule the offer met) the
    day before decided by its thresholds relaxed by its keep margins, if it has any."""
    met = {"seller": seller_met or frozenset(), "offer": offer_met or frozenset()}
    return [
        dataclasses.replace(c, earned=c.kept)
        if c.kept is not None and c.rule.id in met[c.rule.level]
        else c
        for c in config.rules
    ]


def met_in_first_snapshot(
    store: SqliteSnapshotStore, snapshot_id: str, config: TrustConfig
) -> dict[tuple[str, str], frozenset[str]]:
    """Every seller's seller rules and every offer's offer rules met in a snapshot that had
    no predecessor (so no margin applied), rule by rule."""
    [info] = [i for i in store.list_snapshots() if i.snapshot_id == snapshot_id]
    effective = config.for_marketplace(info.marketplace)
    params, spec = effective.params, effective.cohort_spec
    sellers = {s.seller_id: s for s in store.iter_sellers(snapshot_id)}
    priors = prior_rates(sellers.values(), spec)
    met = {}
    for seller in sellers.values():
        subject = Subject(seller, None, info.as_of, seller_prior(seller, priors, spec))
        met[("sellers", seller.seller_id)] = frozenset(
            c.rule.id
            for c in effective.rules
            if c.rule.level == "seller" and c.earned(subject, params)
        )
    for offer in store.offers_of_sellers(snapshot_id, list(sellers)):
        seller = sellers[offer.seller_id]
        subject = Subject(seller, offer, info.as_of, seller_prior(seller, priors, spec))
        met[("offers", offer.offer_id)] = frozenset(
            c.rule.id
            for c in effective.rules
            if c.rule.level == "offer" and c.earned(subject, params)
        )
    return met


def cohort_of(store: SqliteSnapshotStore, config: TrustConfig, marketplace: str) -> dict[str, Any]:
    """Each seller's and offer's cohort values, as the preview names them."""
    info = store.active_snapshots()[marketplace]
    spec = config.cohort_spec
    cohorts = {}
    for seller in store.iter_sellers(info.snapshot_id):
        values = seller_dimensions(seller, spec)
        party = "first party" if seller.first_party else "third party"
        named = (values["tenure"], values["category"], values["channel"], party)
        cohorts[seller.seller_id] = dict(zip(DIMENSIONS, named, strict=True))
    offers = store.offers_of_sellers(info.snapshot_id, list(cohorts))
    return cohorts | {offer.offer_id: cohorts[offer.seller_id] for offer in offers}


def recount(
    store: SqliteSnapshotStore,
    before: TrustConfig,
    after: TrustConfig,
    marketplace: str,
    predecessor: Predecessor = NOBODY,
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, list[int]]]:
    """Per (badge, kind) the preview's figures, and per stat [before, after, shown, withheld],
    counted entity by entity."""
    old = held_and_shown(store, before, marketplace, predecessor)
    new = held_and_shown(store, after, marketplace, predecessor)
    cohorts = cohort_of(store, after, marketplace)
    badges: dict[tuple[str, str], dict[str, Any]] = {}
    stats: dict[str, list[int]] = {}
    for (kind, entity_id), (was, _) in old.items():
        now = new[(kind, entity_id)][0]
        for badge in was | now:
            figures = badges.setdefault((badge, kind), empty_figures())
            figures["held_before"] += badge in was
            figures["held_after"] += badge in now
            for moved, holds in (("gained", badge in now - was), ("lost", badge in was - now)):
                if holds:
                    figures[moved] += 1
                    for dimension, value in cohorts[entity_id].items():
                        figures[f"{moved}_by"][dimension][value] += 1
        shown_before, shown_after = set(old[(kind, entity_id)][1]), set(new[(kind, entity_id)][1])
        for stat in shown_before | shown_after:
            counts = stats.setdefault(stat, [0, 0, 0, 0])
            counts[0] += stat in shown_before
            counts[1] += stat in shown_after
            counts[2] += stat in shown_after - shown_before
            counts[3] += stat in shown_before - shown_after
    return badges, stats


def empty_figures() -> dict[str, Any]:
    return {
        "held_before": 0,
        "held_after": 0,
        "gained": 0,
        "lost": 0,
        "gained_by": {d: Counter() for d in DIMENSIONS},
        "lost_by": {d: Counter() for d in DIMENSIONS},
    }


@pytest.mark.parametrize("mode", ["stored", "computed", "pool"])
def test_the_preview_counts_equal_a_brute_force_recount_under_both_configs(
    loaded: tuple[SqliteSnapshotStore, TrustConfig], tmp_path: Path, mode: str
) -> None:
    """stored: the replaced config's sets read from its stored signals; computed: they are
    not stored, so computed too; pool: stored, and counted by two worker processes."""
    store, before = loaded
    after = changed(before)
    if mode == "computed":
        for info in store.active_snapshots().values():
            version = before.for_marketplace(info.marketplace).signals_version
            store.delete_signals(info.snapshot_id, version)
    opener = partial(SqliteSnapshotStore, tmp_path / "store") if mode == "pool" else None

    preview = preview_launch(store, after, before, on=ON, open_store=opener, workers=2)

    source = "computed" if mode == "computed" else "stored signals"
    moved = assert_recounted(preview.as_json(), store, before, after, source)
    assert all(count > 0 for count in moved.values()), moved  # the recount saw real moves


def assert_recounted(
    data: dict[str, Any],
    store: SqliteSnapshotStore,
    before: TrustConfig,
    after: TrustConfig,
    before_from: str,
    predecessors: Mapping[str, Predecessor] | None = None,
) -> dict[str, int]:
    """Every marketplace's figures in the preview's JSON equal the recount (with the day
    before's holders of `predecessors`, per marketplace); the moves the recount saw."""
    assert [m["marketplace"] for m in data["marketplaces"]] == ["DE", "IN", "US"]
    moved = {"gained": 0, "lost": 0, "shown": 0, "withheld": 0}
    for market in data["marketplaces"]:
        assert market["before_from"] == before_from
        predecessor = (predecessors or {}).get(market["marketplace"], NOBODY)
        expected_badges, expected_stats = recount(
            store, before, after, market["marketplace"], predecessor
        )
        for badge in market["badges"]:
            for kind in ("offers", "sellers"):
                expected = expected_badges.get((badge["badge_id"], kind), empty_figures())
                if badge[kind] is None:  # shows on no entity of this kind: nobody holds it
                    assert expected == empty_figures()
                    continue
                assert badge[kind] == as_plain(expected), (market["marketplace"], badge, kind)
                moved["gained"] += expected["gained"]
                moved["lost"] += expected["lost"]
        for stat in market["stats"]:
            expected_stat = expected_stats.get(stat["stat_id"], [0, 0, 0, 0])
            found = [stat[k] for k in ("shown_before", "shown_after")]
            found += [stat["newly_shown"], stat["newly_withheld"]]
            assert found == expected_stat, (market["marketplace"], stat)
            moved["shown"] += expected_stat[2]
            moved["withheld"] += expected_stat[3]
    return moved


# Keep margins changed: fq_index, on_time and response_rate (whose threshold rises to 0.97:
# holders keep it down to 0.87) wider, hassle_free_returns' dropped.
MARGIN_CHANGES = (
    ("keep_margin = { fq_index = 1.0,", "keep_margin = { fq_index = 5.0,"),
    ("keep_margin = { on_time = 0.01 }", "keep_margin = { on_time = 0.05 }"),
    ("keep_margin = { response_rate = 0.02 }", "keep_margin = { response_rate = 0.1 }"),
    ("keep_margin = { return_dissatisfaction = 0.01 }\n", ""),
)


def with_margins(config: TrustConfig, changes: tuple[tuple[str, str], ...]) -> TrustConfig:
    text = config.text
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    return parse_config(text, "margins changed")


@pytest.fixture
def second_day(
    loaded: tuple[SqliteSnapshotStore, TrustConfig], generated: Path, tmp_path: Path
) -> tuple[SqliteSnapshotStore, TrustConfig, Predecessor]:
    """The loaded store with US's next day (its counts drifted) loaded and active: its
    badges decided from the first day's holders. With the first day's met rules."""
    store, config = loaded
    first_day = store.active_snapshots()["US"].snapshot_id
    next_day = drift_snapshot(generated / "US", tmp_path / "next" / "US", drift=0.02, seed=3)
    load_snapshot_dir(store, next_day, config)
    assert store.active_snapshots()["US"].snapshot_id != first_day
    return store, config, met_in_first_snapshot(store, first_day, config)


@pytest.mark.parametrize("mode", ["stored", "computed", "pool"])
def test_on_a_second_day_the_preview_decides_keep_margins_from_the_day_before(
    second_day: tuple[SqliteSnapshotStore, TrustConfig, Predecessor], tmp_path: Path, mode: str
) -> None:
    """stored: the replaced config's sets stored (decided from the first day at load);
    computed: the replaced config is another one, its margins never computed for this
    snapshot; pool: stored, counted by two worker processes. The new config's are computed
    in each, from the predecessor the active snapshot's signals record."""
    store, default, first_day = second_day
    before = default if mode != "computed" else with_margins(default, MARGIN_CHANGES[1:2])
    after = with_margins(changed(default), MARGIN_CHANGES)
    opener = partial(SqliteSnapshotStore, tmp_path / "store") if mode == "pool" else None

    preview = preview_launch(store, after, before, on=ON, open_store=opener, workers=2)

    source = "computed" if mode == "computed" else "stored signals"
    moved = assert_recounted(preview.as_json(), store, before, after, source, {"US": first_day})
    assert all(count > 0 for count in moved.values()), moved
    for config in (before, after):  # the margins changed what either config shows
        kept = held_and_shown(store, config, "US", first_day)
        assert kept != held_and_shown(store, config, "US"), config.version
    materialize_active(store, after)  # what activating `after` stores and then serves
    assert preview_launch(store, after, before, on=ON) == preview


def as_plain(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        **figures,
        "gained_by": {d: dict(c) for d, c in figures["gained_by"].items()},
        "lost_by": {d: dict(c) for d, c in figures["lost_by"].items()},
    }


def test_a_redis_store_previews_as_a_sqlite_store(
    tmp_path: Path, generated: Path, open_redis_store: Any
) -> None:
    config = load_config(default_config_path())
    stores = [SqliteSnapshotStore(tmp_path / "store"), open_redis_store()]
    for store in stores:
        load_snapshot_dir(store, generated / "DE", config)

    sqlite, redis = (preview_launch(s, changed(config), config, on=ON) for s in stores)

    assert redis == sqlite
    [de] = [m for m in sqlite.marketplaces if m.snapshot_id is not None]
    assert sum(b.offers.gained + b.offers.lost for b in de.badges if b.offers) > 0


def test_a_preview_against_the_active_config_needs_one(tmp_path: Path) -> None:
    with pytest.raises(TrustSignalsError, match="no config is active yet"):
        against_config(SqliteSnapshotStore(tmp_path / "store"), "active")
