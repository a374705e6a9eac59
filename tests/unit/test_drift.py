"""The next day of a snapshot (`generate --from`): same sellers and offers, a day later,
counts drifted by about the relative change asked, every window still holding the shorter
ones and every record valid for the loader."""

from __future__ import annotations

import gzip
import math
import statistics
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import offer_record, seller_record, write_snapshot_dir
from trust_signals.cli import main
from trust_signals.domain.snapshots import (
    OFFER_COUNT_BOUNDS,
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_BOUNDS,
    SELLER_COUNT_FIELDS,
    WINDOWS,
)
from trust_signals.errors import SnapshotRejected
from trust_signals.ingest.drift import check_drift, drift_snapshot
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.ingest.loader import load_snapshot
from trust_signals.ingest.parquet import batch_records
from trust_signals.store.memory import InMemorySnapshotStore

AS_OF = date(2026, 11, 27)
Record = dict[str, Any]


def records(directory: Path, kind: str) -> list[Record]:
    """A data file's records (JSONL, gzipped or not, or Parquet)."""
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    path = directory / manifest["files"][kind]["path"]
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return [r for b in pq.ParquetFile(path).iter_batches() for r in batch_records(b)]
    raw = path.read_bytes()
    text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    return [orjson.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base")
    [directory] = generate_snapshots(
        out, sellers=400, offers=4_000, marketplaces=["US"], seed=5, as_of=AS_OF
    )
    return directory


@pytest.fixture(scope="module")
def next_day(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drift_snapshot(base, tmp_path_factory.mktemp("next") / "US", drift=0.05, seed=1)


def test_the_next_day_loads_a_day_later_with_the_same_sellers_and_offers(
    base: Path, next_day: Path
) -> None:
    store = InMemorySnapshotStore()

    before = load_snapshot(base, store, activate=False)
    after = load_snapshot(next_day, store, activate=False)

    assert (after.snapshot_id, after.as_of) == ("US-2026-11-28", AS_OF + timedelta(days=1))
    assert (after.seller_count, after.offer_count) == (before.seller_count, before.offer_count)
    old_sellers, new_sellers = records(base, "sellers"), records(next_day, "sellers")
    assert [s["seller_id"] for s in new_sellers] == [s["seller_id"] for s in old_sellers]
    assert [o["offer_id"] for o in records(next_day, "offers")] == [
        o["offer_id"] for o in records(base, "offers")
    ]
    for old, new in zip(old_sellers, new_sellers, strict=True):
        assert new["tenure_days"] == old["tenure_days"] + 1
        assert {k: v for k, v in new.items() if k not in ("tenure_days", "windows")} == {
            k: v for k, v in old.items() if k not in ("tenure_days", "windows")
        }


def nested(counts: list[Record], names: tuple[str, ...]) -> bool:
    """Every count of every window at most the next longer window's."""
    for shorter, longer in zip(counts, counts[1:], strict=False):
        for name in names:
            a, b = shorter[name], longer[name]
            if name == "ratings":
                if any(x > y for x, y in zip(a, b, strict=True)):
                    return False
            elif a > b:
                return False
    return True


def consistent(record: Record, names: tuple[str, ...], bounds: tuple) -> bool:
    windows = [record["windows"][w] for w in WINDOWS]
    within = all(w[event] <= w[opportunity] for w in windows for event, opportunity in bounds)
    return within and nested(windows, names)


def test_every_window_holds_the_shorter_ones_and_events_stay_within_opportunities(
    next_day: Path,
) -> None:
    sellers, offers = records(next_day, "sellers"), records(next_day, "offers")

    assert all(consistent(s, SELLER_COUNT_FIELDS, SELLER_COUNT_BOUNDS) for s in sellers)
    assert all(consistent(o, OFFER_COUNT_FIELDS, OFFER_COUNT_BOUNDS) for o in offers)
    for offer in offers:
        for counts in offer["windows"].values():
            assert counts["on_time_deliveries"] + counts["late_deliveries"] <= counts["orders"]
    for seller in sellers:
        for counts in seller["windows"].values():
            assert counts["domestic_sales_amount"] <= counts["sales_amount"]


def log_changes(base: Path, later: Path, kind: str, window: str, name: str) -> list[float]:
    """|ln(after / before)| of one count, for records with at least 50 of it before."""
    pairs = zip(records(base, kind), records(later, kind), strict=True)
    return [
        abs(math.log(new["windows"][window][name] / old["windows"][window][name]))
        for old, new in pairs
        if old["windows"][window][name] >= 50
    ]


def test_counts_move_by_about_the_drift_asked(base: Path, tmp_path: Path) -> None:
    small = drift_snapshot(base, tmp_path / "small", drift=0.05, seed=1)
    large = drift_snapshot(base, tmp_path / "large", drift=0.2, seed=1)

    # The 30d window is one period: its orders move by e^(drift z); median |z| is 0.674.
    for directory, drift in ((small, 0.05), (large, 0.2)):
        changes = log_changes(base, directory, "sellers", "30d", "orders")
        assert len(changes) > 30
        assert 0.5 * 0.674 * drift < statistics.median(changes) < 1.5 * 0.674 * drift


def test_a_seller_and_its_offers_grow_or_shrink_together(base: Path, next_day: Path) -> None:
    offer_orders: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for old, new in zip(records(base, "offers"), records(next_day, "offers"), strict=True):
        offer_orders[old["seller_id"]][0] += old["windows"]["365d"]["orders"]
        offer_orders[old["seller_id"]][1] += new["windows"]["365d"]["orders"]
    sellers = zip(records(base, "sellers"), records(next_day, "sellers"), strict=True)

    for old, new in sellers:
        before, after = offer_orders[old["seller_id"]]
        if before >= 2_000:
            seller_change = new["windows"]["365d"]["orders"] / old["windows"]["365d"]["orders"]
            assert after / before == pytest.approx(seller_change, rel=0.03)


def test_no_drift_keeps_every_count(base: Path, tmp_path: Path) -> None:
    same = drift_snapshot(base, tmp_path / "same", drift=0.0, seed=1)

    pairs = zip(records(base, "offers"), records(same, "offers"), strict=True)
    assert all(old["windows"] == new["windows"] for old, new in pairs)
    pairs = zip(records(base, "sellers"), records(same, "sellers"), strict=True)
    assert all(old["windows"] == new["windows"] for old, new in pairs)


def test_same_source_seed_and_days_give_the_same_bytes(base: Path, tmp_path: Path) -> None:
    first = drift_snapshot(base, tmp_path / "a", drift=0.05, seed=9, days=2)
    second = drift_snapshot(base, tmp_path / "b", drift=0.05, seed=9, days=2)
    other = drift_snapshot(base, tmp_path / "c", drift=0.05, seed=10, days=2)

    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()
    assert (first / "manifest.json").read_bytes() != (other / "manifest.json").read_bytes()
    assert orjson.loads((first / "manifest.json").read_bytes())["as_of"] == "2026-11-29"


def test_a_parquet_snapshot_gives_a_parquet_next_day_that_loads(tmp_path: Path) -> None:
    [source] = generate_snapshots(
        tmp_path / "src", sellers=40, offers=300, marketplaces=["DE"], seed=2, as_of=AS_OF,
        file_format="parquet",
    )  # fmt: skip

    later = drift_snapshot(source, tmp_path / "next", drift=0.1, seed=1, days=7)

    info = load_snapshot(later, InMemorySnapshotStore(), activate=False)
    assert (info.snapshot_id, info.offer_count) == ("DE-2026-12-04", 300)
    assert sorted(p.name for p in later.iterdir()) == [
        "manifest.json",
        "offers.parquet",
        "sellers.parquet",
    ]


_COUNT = st.integers(0, 5_000)


@st.composite
def _offer_windows(draw: st.DrawFn) -> dict[str, Record]:
    """Nested offer windows: each period's events within its orders, summed up."""
    windows, running = {}, dict.fromkeys(OFFER_COUNT_FIELDS, 0)
    for window in WINDOWS:
        orders = draw(_COUNT)
        on_time = draw(st.integers(0, orders))
        period = {
            "orders": orders,
            "on_time_deliveries": on_time,
            "late_deliveries": draw(st.integers(0, orders - on_time)),
            **{n: draw(st.integers(0, orders)) for n in OFFER_COUNT_FIELDS[3:]},
        }
        running = {n: running[n] + period[n] for n in OFFER_COUNT_FIELDS}
        windows[window] = running
    return windows


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(windows=st.lists(_offer_windows(), min_size=1, max_size=5), drift=st.floats(0, 1))
def test_drifted_offers_stay_valid_whatever_their_counts(
    tmp_path: Path, windows: list[dict[str, Record]], drift: float
) -> None:
    offers = [
        offer_record(offer_id=f"O-{n}", seller_id="S-1", windows=w) for n, w in enumerate(windows)
    ]
    source = write_snapshot_dir(tmp_path / "src", [seller_record(seller_id="S-1")], offers)

    later = drift_snapshot(source, tmp_path / "next", drift=drift, seed=1)

    load_snapshot(later, InMemorySnapshotStore(), activate=False)  # refused if any is invalid
    assert all(
        consistent(o, OFFER_COUNT_FIELDS, OFFER_COUNT_BOUNDS) for o in records(later, "offers")
    )


def test_a_source_whose_windows_do_not_nest_still_gives_valid_records(tmp_path: Path) -> None:
    seller = seller_record(seller_id="S-1")
    seller["windows"]["90d"], seller["windows"]["30d"] = (
        seller["windows"]["30d"],
        seller["windows"]["90d"],
    )
    source = write_snapshot_dir(tmp_path / "src", [seller], [offer_record(seller_id="S-1")])

    later = drift_snapshot(source, tmp_path / "next", drift=0.05, seed=1)

    load_snapshot(later, InMemorySnapshotStore(), activate=False)


def test_a_bad_source_record_is_named_and_nothing_is_published(tmp_path: Path) -> None:
    bad = offer_record(seller_id="S-1", handling_days=-1)
    source = write_snapshot_dir(tmp_path / "src", [seller_record(seller_id="S-1")], [bad])

    with pytest.raises(SnapshotRejected) as refused:
        drift_snapshot(source, tmp_path / "next", drift=0.05, seed=1)

    assert refused.value.problems[0].startswith("offers.jsonl:1: handling_days:")
    assert not (tmp_path / "next" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("drift", "days", "message"),
    [(-0.1, 1, "drift:"), (math.nan, 1, "drift:"), (0.05, 0, "days:")],
)
def test_arguments_it_cannot_use_are_refused(drift: float, days: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_drift(drift, days)


def test_the_command_writes_the_next_day_of_each_marketplace(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["generate", "--sellers", "30", "--offers", "200",
                                "--marketplaces", "US,DE", "--as-of", "2026-11-27",
                                "--out", str(tmp_path / "d0")])  # fmt: skip
    assert made.exit_code == 0, made.output

    later = runner.invoke(main, ["generate", "--from", str(tmp_path / "d0"), "--drift", "0.1",
                                 "--days", "2", "--seed", "4",
                                 "--out", str(tmp_path / "d2")])  # fmt: skip

    assert later.exit_code == 0, later.output
    assert later.output.split() == [str(tmp_path / "d2" / "DE"), str(tmp_path / "d2" / "US")]
    manifest = orjson.loads((tmp_path / "d2" / "US" / "manifest.json").read_bytes())
    assert (manifest["snapshot_id"], manifest["as_of"]) == ("US-2026-11-29", "2026-11-29")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "{src}", "--sellers", "5"], "--sellers does not apply to --from"),
        (["--from", "{src}", "--format", "parquet"], "--format does not apply to --from"),
        (["--from", "{src}", "--drift", "2"], "not in the range 0<=x<=1"),
        (["--sellers", "5", "--offers", "5", "--days", "2"], "--days applies to --from only"),
        (["--offers", "5"], "--sellers and --offers are required (or --from SNAPSHOT_DIR)"),
    ],
    ids=["sellers", "format", "drift-range", "days-without-from", "no-size"],
)
def test_the_command_refuses_options_that_do_not_fit(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    source = write_snapshot_dir(tmp_path / "src", [seller_record()], [offer_record()])
    args = [a.format(src=source) for a in arguments]

    result = CliRunner().invoke(main, ["generate", *args, "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert message in result.output


def test_the_command_never_writes_over_its_source(tmp_path: Path) -> None:
    source = write_snapshot_dir(tmp_path / "US", [seller_record()], [offer_record()])

    result = CliRunner().invoke(main, ["generate", "--from", str(source), "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert "would overwrite the snapshot" in result.output
