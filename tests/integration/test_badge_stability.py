"""Badge stability through the real app over SQLite and Redis: yesterday's holders keep a
badge within its keep margin, newcomers at the same value do not, and the predecessor a
snapshot's badges were decided from survives config changes, rollbacks and re-activations."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.builders import (
    offer_counts,
    offer_record,
    seller_counts,
    seller_record,
    write_snapshot_dir,
)
from tests.conftest import AUDIT_TOKEN, FIXED_NOW
from trust_signals.api import create_app
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, TrustConfig, load_config
from trust_signals.service.administration import activate_snapshot
from trust_signals.service.config_versions import activate_config_file, active_config
from trust_signals.service.materializer import materialize_active, materialize_snapshot
from trust_signals.service.signal_rows import OFFERS, SELLERS, RowLayout
from trust_signals.store.base import ServingStore
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration
YESTERDAY, TODAY = "2026-11-26", "2026-11-27"
AUDIT = {"Authorization": f"Bearer {AUDIT_TOKEN}"}
# big_seller: 365d orders >= 1000, kept down to 900; fast_delivery: on time >= 0.9, kept to 0.85.
MARGINS = {
    'approval_reference = "TEST-0001-BIG"\n': 'approval_reference = "TEST-0001-BIG"\n'
    "keep_margin = { orders = 100 }\n",
    'approval_reference = "TEST-0001-FAST"\n': 'approval_reference = "TEST-0001-FAST"\n'
    "keep_margin = { on_time = 0.05 }\n",
}


@pytest.fixture
def margin_config(config_path: Path) -> Path:
    """The API test config with keep margins on both badges (it seeds the store)."""
    text = config_path.read_text()
    for old, new in MARGINS.items():
        assert old in text
        text = text.replace(old, new)
    config_path.write_text(text)
    return config_path


def a_seller(seller_id: str, orders_365d: int) -> dict[str, Any]:
    """A seller with `orders_365d` orders in 365 days, every count scaled with them."""
    scale = orders_365d / 120
    counts = {
        name: [int(n * scale) for n in value]
        if isinstance(value, list)
        else (round(value * scale, 2) if isinstance(value, float) else int(value * scale))
        for name, value in seller_counts("30d").items()
    }
    windows = {"30d": seller_counts("30d"), "90d": seller_counts("90d"), "365d": counts}
    return seller_record(seller_id=seller_id, windows=windows)


def an_offer(offer_id: str, seller_id: str, on_time_of_100: int) -> dict[str, Any]:
    """An offer delivered on time `on_time_of_100` of 100 orders in 90 days, late the rest."""
    late = 100 - on_time_of_100
    windows = {
        "30d": offer_counts("30d"),
        "90d": offer_counts(
            "90d", orders=100, on_time_deliveries=on_time_of_100, late_deliveries=late,
            cancellations=0, damaged=0, not_as_described=0, returns=0,
        ),
        "365d": offer_counts("365d"),
    }  # fmt: skip
    return offer_record(offer_id=offer_id, seller_id=seller_id, windows=windows)


def snapshot(directory: Path, day: str, orders: dict[str, int], on_time: dict[str, int]) -> Path:
    """US on `day`: sellers S-HOLD, S-NEW, S-GONE with their 365d orders, and their offers
    O-HOLD, O-NEW, O-GONE with their on-time deliveries of 100."""
    sellers = [a_seller(f"S-{name}", n) for name, n in orders.items()]
    offers = [an_offer(f"O-{name}", f"S-{name}", n) for name, n in on_time.items()]
    return write_snapshot_dir(directory / day, sellers, offers, as_of=day)


def yesterday(directory: Path) -> Path:
    """HOLD and GONE hold both badges, NEW holds neither."""
    orders = {"HOLD": 1000, "NEW": 500, "GONE": 1000}
    return snapshot(directory, YESTERDAY, orders, {"HOLD": 92, "NEW": 80, "GONE": 92})


def today(directory: Path) -> Path:
    """HOLD and NEW just under both thresholds, within the margins; GONE beyond them."""
    orders = {"HOLD": 950, "NEW": 950, "GONE": 850}
    return snapshot(directory, TODAY, orders, {"HOLD": 87, "NEW": 87, "GONE": 80})


class Served:
    """A store under the margin config, and the app over it."""

    def __init__(self, settings: Settings, store: ServingStore) -> None:
        self.store = store
        self.config: TrustConfig = active_config(self.store, settings.config)
        self.app: Flask = create_app(
            settings, store=self.store, clock=lambda: FIXED_NOW, background_refresh=False
        )

    def load(self, directory: Path) -> None:
        load_snapshot_dir(self.store, directory, self.config)
        self.refresh()

    def refresh(self) -> None:
        self.app.extensions["trust_signals"].signals.refresh()

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()

    def pdp_badges(self) -> dict[str, list[str]]:
        ids = "O-HOLD,O-NEW,O-GONE"
        body = self.client.get(f"/v1/badges?marketplace=US&surface=pdp&offer_ids={ids}")
        return {o["offer_id"]: [b["id"] for b in o["badges"]] for o in body.get_json()["offers"]}

    def seller_badges(self, seller_id: str) -> list[str]:
        body = self.client.get(f"/v1/sellers/{seller_id}/profile?marketplace=US").get_json()
        return [b["id"] for b in body["badges"]]

    def explained(self, kind: str, entity_id: str, rule_id: str) -> dict[str, Any]:
        body = self.client.get(f"/v1/explain/{kind}/{entity_id}?marketplace=US", headers=AUDIT)
        [rule] = [r for r in body.get_json()["rules"] if r["rule_id"] == rule_id]
        return dict(rule)


@pytest.fixture(params=["sqlite", "redis"])
def served(request: pytest.FixtureRequest, settings: Settings, margin_config: Path) -> Served:
    """The app over a SQLite directory and over the local Redis (a fresh key prefix)."""
    if request.param == "sqlite":
        store: ServingStore = SqliteSnapshotStore(Path(settings.store), grace_seconds=0)
    else:
        store = request.getfixturevalue("open_redis_store")(grace_seconds=0)
    return Served(settings, store)


def test_yesterdays_holders_keep_their_badges_within_the_margin(
    served: Served, tmp_path: Path
) -> None:
    served.load(yesterday(tmp_path))
    assert served.pdp_badges() == {
        "O-HOLD": ["big_seller", "fast_delivery"],
        "O-NEW": [],
        "O-GONE": ["big_seller", "fast_delivery"],
    }

    served.load(today(tmp_path))

    assert served.pdp_badges() == {
        "O-HOLD": ["big_seller", "fast_delivery"],  # held, within both margins
        "O-NEW": [],  # the same values, but a newcomer must clear the thresholds
        "O-GONE": [],  # beyond both margins
    }
    assert [served.seller_badges(f"S-{n}") for n in ("HOLD", "NEW", "GONE")] == [
        ["big_seller"],
        [],
        [],
    ]


def test_the_explanation_says_which_condition_was_kept_within_its_margin(
    served: Served, tmp_path: Path
) -> None:
    served.load(yesterday(tmp_path))
    served.load(today(tmp_path))

    kept = served.explained("offers", "O-HOLD", "fast_delivery")
    [condition] = kept["conditions"]
    assert (kept["conditions_met"], kept["earned"]) == (True, True)
    assert condition["kept_within_margin"] is True
    assert condition["reason"] == "0.87 not >= 0.9, kept within margin 0.05 (>= 0.85 for a holder)"
    [seller_condition] = served.explained("sellers", "S-HOLD", "big_seller")["conditions"]
    assert "kept within margin 100" in seller_condition["reason"]

    newcomer = served.explained("offers", "O-NEW", "fast_delivery")
    assert newcomer["conditions_met"] is False
    assert newcomer["conditions"][0]["reason"] == "0.87 not >= 0.9"
    assert newcomer["conditions"][0]["kept_within_margin"] is False
    gone = served.explained("sellers", "S-GONE", "big_seller")
    assert (gone["conditions_met"], gone["conditions"][0]["reason"]) == (False, "850 not >= 1000.0")


def test_a_first_snapshot_gives_nobody_a_margin(served: Served, tmp_path: Path) -> None:
    served.load(today(tmp_path))

    assert served.pdp_badges() == {"O-HOLD": [], "O-NEW": [], "O-GONE": []}


def test_an_older_snapshot_loaded_after_a_newer_one_takes_no_margin_from_it(
    served: Served, tmp_path: Path
) -> None:
    served.load(yesterday(tmp_path))
    served.load(today(tmp_path))
    older = snapshot(tmp_path, "2026-11-20", {"HOLD": 950, "NEW": 950, "GONE": 950},
                     {"HOLD": 87, "NEW": 87, "GONE": 87})  # fmt: skip

    served.load(older)

    assert served.pdp_badges() == {"O-HOLD": [], "O-NEW": [], "O-GONE": []}


def wider_margin(config_path: Path) -> Path:
    """The margin config with fast_delivery kept down to 0.8 (a new signals version)."""
    wider = config_path.with_name("wider.toml")
    text = config_path.read_text().replace("on_time = 0.05", "on_time = 0.1")
    wider.write_text(text)
    return wider


def test_a_config_change_decides_from_the_same_predecessor(
    served: Served, tmp_path: Path, margin_config: Path
) -> None:
    served.load(yesterday(tmp_path))
    served.load(today(tmp_path))
    wider = wider_margin(margin_config)
    new = load_config(wider)

    materialize_active(served.store, new)
    activate_config_file(served.store, wider, "TEST-WIDER", "tests")
    served.refresh()

    # GONE held fast_delivery yesterday and is within the wider margin today; NEW never held.
    assert served.pdp_badges() == {
        "O-HOLD": ["big_seller", "fast_delivery"],
        "O-NEW": [],
        "O-GONE": ["fast_delivery"],
    }


def test_a_rollback_and_a_re_activation_serve_what_each_snapshot_stored(
    served: Served, tmp_path: Path
) -> None:
    served.load(yesterday(tmp_path))
    served.load(today(tmp_path))
    kept_today = served.pdp_badges()

    activate_snapshot(served.store, f"US-{YESTERDAY}", served.config, max_shrink=None)
    served.refresh()
    rolled_back = served.pdp_badges()
    activate_snapshot(served.store, f"US-{TODAY}", served.config, max_shrink=None)
    served.refresh()

    assert rolled_back["O-GONE"] == ["big_seller", "fast_delivery"]
    assert served.pdp_badges() == kept_today


def test_a_version_computed_after_the_predecessor_was_deleted_gives_nobody_a_margin(
    served: Served, tmp_path: Path, margin_config: Path
) -> None:
    served.load(yesterday(tmp_path))
    served.load(today(tmp_path))
    served.store.delete(f"US-{YESTERDAY}")
    wider = wider_margin(margin_config)

    materialize_active(served.store, load_config(wider))
    activate_config_file(served.store, wider, "TEST-WIDER", "tests")
    served.refresh()

    assert served.pdp_badges() == {"O-HOLD": [], "O-NEW": [], "O-GONE": []}


def test_holders_read_on_every_core_give_the_rows_read_in_process(
    settings: Settings, margin_config: Path, tmp_path: Path
) -> None:
    store = SqliteSnapshotStore(Path(settings.store))
    served = Served(settings, store)
    served.load(yesterday(tmp_path))
    served.load(today(tmp_path))
    info = store.active_snapshots()["US"]
    wider = load_config(wider_margin(margin_config))  # a version computed from the record
    version = wider.for_marketplace("US").signals_version
    ids = {OFFERS: ["O-HOLD", "O-NEW", "O-GONE"], SELLERS: ["S-HOLD", "S-NEW", "S-GONE"]}
    materialize_snapshot(store, info, wider)
    in_process = {k: store.get_signal_rows(info.snapshot_id, version, k, i) for k, i in ids.items()}

    store.delete_signals(info.snapshot_id, version)
    opener = partial(SqliteSnapshotStore, Path(settings.store))
    materialize_snapshot(store, info, wider, open_store=opener, workers=2)

    for kind, entity_ids in ids.items():
        assert (
            store.get_signal_rows(info.snapshot_id, version, kind, entity_ids) == in_process[kind]
        )
    layout = RowLayout.of(wider.for_marketplace("US"))
    [gone] = store.get_signal_rows(info.snapshot_id, version, OFFERS, ["O-GONE"])
    assert gone is not None and "fast_delivery" in layout.met(int.from_bytes(gone[:8], "little"))
