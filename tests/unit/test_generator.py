"""The synthetic snapshot generator: valid, consistent, realistic and reproducible snapshots."""

from __future__ import annotations

import gzip
import hashlib
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from trust_signals.domain.snapshots import (
    CATEGORY_GROUPS,
    CS_PROVIDERS,
    FULFILLMENT_CHANNELS,
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_FIELDS,
)
from trust_signals.ingest.generator import generate_snapshots, split_total
from trust_signals.ingest.parquet import batch_records
from trust_signals.ingest.records import OfferRecordSchema, SellerRecordSchema

AS_OF = date(2026, 11, 27)
MARKETPLACES = ("US", "DE", "IN")
SELLERS = 400
OFFERS = 3000

Record = dict[str, Any]


def _generate(out_dir: Path, *, seed: int = 7, **overrides: Any) -> list[Path]:
    arguments: dict[str, Any] = {
        "sellers": SELLERS,
        "offers": OFFERS,
        "marketplaces": MARKETPLACES,
        "seed": seed,
        "as_of": AS_OF,
    }
    return generate_snapshots(out_dir, **{**arguments, **overrides})


def _manifest(directory: Path) -> Record:
    manifest: Record = orjson.loads((directory / "manifest.json").read_bytes())
    return manifest


def _records(directory: Path, kind: str) -> list[Record]:
    raw = (directory / _manifest(directory)["files"][kind]["path"]).read_bytes()
    text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    return [orjson.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[Record], ...]]:
    """One generated set, read back: marketplace -> (sellers, offers). Read-only in tests."""
    directories = _generate(tmp_path_factory.mktemp("snapshots"))
    return {d.name: (_records(d, "sellers"), _records(d, "offers")) for d in directories}


def _all_sellers(snapshots: dict[str, tuple[list[Record], ...]]) -> list[Record]:
    return [seller for sellers, _ in snapshots.values() for seller in sellers]


def _all_offers(snapshots: dict[str, tuple[list[Record], ...]]) -> list[Record]:
    return [offer for _, offers in snapshots.values() for offer in offers]


def test_every_record_passes_the_record_schemas(snapshots: Any) -> None:
    seller_schema, offer_schema = SellerRecordSchema(), OfferRecordSchema()
    for seller in _all_sellers(snapshots):
        seller_schema.load(seller)
    for offer in _all_offers(snapshots):
        offer_schema.load(offer)


def test_manifest_names_the_snapshot_and_matches_its_files(tmp_path: Path) -> None:
    directory = _generate(tmp_path, sellers=30, offers=200, marketplaces=["DE"])[0]
    manifest = _manifest(directory)
    assert {k: v for k, v in manifest.items() if k != "files"} == {
        "schema_version": 1,
        "snapshot_id": "DE-2026-11-27",
        "marketplace": "DE",
        "as_of": "2026-11-27",
    }
    for kind, expected_count, path in (
        ("sellers", 30, "sellers.jsonl.gz"),
        ("offers", 200, "offers.jsonl.gz"),
    ):
        entry = manifest["files"][kind]
        stored = (directory / entry["path"]).read_bytes()
        assert entry == {
            "path": path,
            "records": expected_count,
            "sha256": hashlib.sha256(stored).hexdigest(),
        }
        assert len(gzip.decompress(stored).splitlines()) == expected_count


def test_uncompressed_snapshot_writes_plain_jsonl(tmp_path: Path) -> None:
    directory = _generate(tmp_path, sellers=20, offers=100, marketplaces=["US"], compress=False)[0]
    files = _manifest(directory)["files"]
    assert (files["sellers"]["path"], files["offers"]["path"]) == ("sellers.jsonl", "offers.jsonl")
    assert len(_records(directory, "offers")) == 100


def _snapshot_bytes(directories: list[Path]) -> dict[str, bytes]:
    return {f"{d.name}/{f.name}": f.read_bytes() for d in directories for f in sorted(d.iterdir())}


@pytest.mark.parametrize("file_format", ["jsonl", "parquet"])
def test_same_seed_gives_byte_identical_snapshots(tmp_path: Path, file_format: str) -> None:
    first = _generate(tmp_path / "a", sellers=60, offers=600, seed=11, file_format=file_format)
    second = _generate(tmp_path / "b", sellers=60, offers=600, seed=11, file_format=file_format)
    assert _snapshot_bytes(first) == _snapshot_bytes(second)


def _parquet_records(directory: Path, kind: str) -> list[Record]:
    path = directory / _manifest(directory)["files"][kind]["path"]
    return [record for batch in pq.read_table(path).to_batches() for record in batch_records(batch)]


def test_parquet_snapshot_holds_the_records_of_the_jsonl_one_of_the_same_seed(
    tmp_path: Path,
) -> None:
    jsonl = _generate(tmp_path / "jsonl", sellers=60, offers=600, seed=3)
    parquet = _generate(tmp_path / "parquet", sellers=60, offers=600, seed=3, file_format="parquet")

    for jsonl_dir, parquet_dir in zip(jsonl, parquet, strict=True):
        files = _manifest(parquet_dir)["files"]
        for kind in ("sellers", "offers"):
            records = _parquet_records(parquet_dir, kind)
            assert records == _records(jsonl_dir, kind)
            stored = (parquet_dir / files[kind]["path"]).read_bytes()
            assert files[kind] == {
                "path": f"{kind}.parquet",
                "records": len(records),
                "sha256": hashlib.sha256(stored).hexdigest(),
            }


def test_different_seed_gives_different_snapshots(tmp_path: Path) -> None:
    first = _generate(tmp_path / "a", sellers=60, offers=600, seed=11)
    second = _generate(tmp_path / "b", sellers=60, offers=600, seed=12)
    first_bytes, second_bytes = _snapshot_bytes(first), _snapshot_bytes(second)
    assert all(first_bytes[name] != second_bytes[name] for name in first_bytes)


def test_each_marketplace_has_exactly_one_first_party_seller(snapshots: Any) -> None:
    first_party = {
        marketplace: [s["seller_id"] for s in sellers if s["first_party"]]
        for marketplace, (sellers, _) in snapshots.items()
    }
    assert first_party == {"US": ["US-1P"], "DE": ["DE-1P"], "IN": ["IN-1P"]}


def test_first_party_seller_is_among_the_largest_and_good(snapshots: Any) -> None:
    for sellers, _ in snapshots.values():
        ranked = sorted(sellers, key=lambda s: s["windows"]["365d"]["orders"], reverse=True)
        retail = next(s["windows"]["365d"] for s in ranked[:3] if s["first_party"])
        assert retail["orders"] > 0.1 * sum(s["windows"]["365d"]["orders"] for s in sellers)
        assert retail["late_shipments"] / retail["shipments"] < 0.01


def test_every_offer_names_a_seller_of_its_own_marketplace(snapshots: Any) -> None:
    for marketplace, (sellers, offers) in snapshots.items():
        seller_ids = {s["seller_id"] for s in sellers}
        assert {o["marketplace"] for o in offers} == {marketplace}
        assert {o["seller_id"] for o in offers} <= seller_ids


def test_ids_are_unique_and_follow_the_id_rule(snapshots: Any) -> None:
    sellers, offers = _all_sellers(snapshots), _all_offers(snapshots)
    assert len({s["seller_id"] for s in sellers}) == len(sellers)
    assert len({o["offer_id"] for o in offers}) == len(offers)
    assert all(o["offer_id"].startswith(f"{o['marketplace']}-O") for o in offers)


def _nested(windows: Record, fields: tuple[str, ...]) -> bool:
    short, medium, year = windows["30d"], windows["90d"], windows["365d"]
    for name in fields:
        if name == "ratings":
            if not all(
                a <= b <= c for a, b, c in zip(short[name], medium[name], year[name], strict=True)
            ):
                return False
        elif not short[name] <= medium[name] <= year[name]:
            return False
    return True


def test_windows_are_nested_for_every_count(snapshots: Any) -> None:
    assert all(_nested(s["windows"], SELLER_COUNT_FIELDS) for s in _all_sellers(snapshots))
    assert all(_nested(o["windows"], OFFER_COUNT_FIELDS) for o in _all_offers(snapshots))


def _top_share(volumes: list[int], fraction: float) -> float:
    ranked = sorted(volumes, reverse=True)
    return sum(ranked[: max(1, round(len(ranked) * fraction))]) / sum(ranked)


def test_a_few_sellers_hold_much_of_the_orders(snapshots: Any) -> None:
    for sellers, _ in snapshots.values():
        volumes = [s["windows"]["365d"]["orders"] for s in sellers]
        assert _top_share(volumes, 0.01) > 0.25
        assert _top_share(volumes, 0.5) > 0.9


def test_hot_offers_carry_a_large_share_of_offer_orders(snapshots: Any) -> None:
    for _, offers in snapshots.values():
        assert _top_share([o["windows"]["365d"]["orders"] for o in offers], 0.01) > 0.3


def test_big_sellers_list_more_offers(snapshots: Any) -> None:
    sellers, offers = snapshots["US"]
    offer_counts: dict[str, int] = defaultdict(int)
    for offer in offers:
        offer_counts[offer["seller_id"]] += 1
    ranked = sorted(sellers, key=lambda s: s["windows"]["365d"]["orders"], reverse=True)
    tenth = len(ranked) // 10
    top = sum(offer_counts[s["seller_id"]] for s in ranked[:tenth])
    bottom = sum(offer_counts[s["seller_id"]] for s in ranked[-tenth:])
    assert top > 5 * bottom


def test_seller_orders_include_its_offers_orders(snapshots: Any) -> None:
    for sellers, offers in snapshots.values():
        offer_orders: dict[str, int] = defaultdict(int)
        for offer in offers:
            offer_orders[offer["seller_id"]] += offer["windows"]["365d"]["orders"]
        assert all(s["windows"]["365d"]["orders"] >= offer_orders[s["seller_id"]] for s in sellers)


def test_totals_are_split_across_marketplaces_largest_first(snapshots: Any) -> None:
    seller_counts = [len(snapshots[m][0]) for m in MARKETPLACES]
    offer_counts = [len(snapshots[m][1]) for m in MARKETPLACES]
    assert (sum(seller_counts), sum(offer_counts)) == (SELLERS, OFFERS)
    assert seller_counts == sorted(seller_counts, reverse=True)
    assert offer_counts == [1800, 900, 300]


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (10, (0.6, 0.3, 0.1), [6, 3, 1]),
        (7, (0.6, 0.3, 0.1), [4, 2, 1]),
        (0, (0.7, 0.3), [0, 0]),
        (5, (1.0,), [5]),
    ],
    ids=["exact", "remainder-to-largest-fraction", "nothing", "one-market"],
)
def test_split_total_sums_to_the_total(
    total: int, weights: tuple[float, ...], parts: list[int]
) -> None:
    assert split_total(total, weights) == parts


def _pooled_rate(sellers: list[Record], key: str, value: str, event: str, base: str) -> float:
    chosen = [s["windows"]["365d"] for s in sellers if s[key] == value]
    return sum(c[event] for c in chosen) / sum(c[base] for c in chosen)


def test_cohorts_differ_the_way_the_field_does(snapshots: Any) -> None:
    sellers = _all_sellers(snapshots)
    late = "late_shipments", "shipments"
    assert _pooled_rate(sellers, "fulfillment_channel", "mfn", *late) > 3 * _pooled_rate(
        sellers, "fulfillment_channel", "fba", *late
    )
    damaged = "damaged", "orders"
    assert _pooled_rate(sellers, "category_group", "heavy_bulky", *damaged) > 1.5 * _pooled_rate(
        sellers, "category_group", "general", *damaged
    )
    answered = "contacts_answered_24h", "contacts"
    assert _pooled_rate(sellers, "cs_provider", "seller_cs", *answered) < _pooled_rate(
        sellers, "cs_provider", "marketplace_cs", *answered
    )


def test_every_cohort_value_occurs(snapshots: Any) -> None:
    sellers = _all_sellers(snapshots)
    assert {s["category_group"] for s in sellers} == set(CATEGORY_GROUPS)
    assert {s["fulfillment_channel"] for s in sellers} == set(FULFILLMENT_CHANNELS)
    assert {s["cs_provider"] for s in sellers} == set(CS_PROVIDERS)
    assert {o["fulfillment_channel"] for o in _all_offers(snapshots)} == set(FULFILLMENT_CHANNELS)


def test_sellers_are_mostly_domestic_with_some_foreign(snapshots: Any) -> None:
    for marketplace, (sellers, _) in snapshots.items():
        domestic = sum(s["location"] == marketplace for s in sellers) / len(sellers)
        assert 0.7 < domestic < 0.95


def test_first_sale_date_fits_tenure_and_sales(snapshots: Any) -> None:
    for seller in _all_sellers(snapshots):
        windows, first_sale = seller["windows"], seller["first_sale_date"]
        if first_sale is None:
            assert windows["365d"]["orders"] == 0
            continue
        days_selling = (AS_OF - date.fromisoformat(first_sale)).days
        assert 0 <= days_selling <= seller["tenure_days"]
        if days_selling < 30:
            assert windows["30d"]["orders"] >= 1


def test_tenure_ranges_from_days_to_many_years(snapshots: Any) -> None:
    tenures = [s["tenure_days"] for s in _all_sellers(snapshots)]
    assert min(tenures) < 90
    assert max(tenures) > timedelta(days=10 * 365).days


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sellers": 2}, "sellers"),
        ({"marketplaces": ["US", "US"]}, "marketplaces"),
        ({"marketplaces": ["us"]}, "marketplaces"),
        ({"offers": -1}, "offers"),
        ({"file_format": "csv"}, "file_format"),
    ],
    ids=[
        "fewer-sellers-than-stores",
        "duplicate-store",
        "lower-case-store",
        "negative-offers",
        "unknown-format",
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, overrides: Record, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _generate(tmp_path, **overrides)


@pytest.mark.parametrize("file_format", ["jsonl", "parquet"])
def test_progress_counts_every_record_as_it_is_written(tmp_path: Path, file_format: str) -> None:
    steps: list[int] = []

    _generate(tmp_path, offers=5_000, progress=steps.append, file_format=file_format)

    assert sum(steps) == SELLERS + 5_000
    assert max(steps) < 5_000  # reported batch by batch, not once at the end
