"""load_snapshot end to end on real snapshot directories and a SQLite store."""

from __future__ import annotations

import gzip
import hashlib
import os
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.builders import (
    Record,
    offer_record,
    read_manifest_dict,
    seller_record,
    write_manifest_dict,
    write_snapshot_dir,
)
from trust_signals.config import default_config_path, load_config
from trust_signals.domain.snapshots import WINDOWS, SellerSnapshot
from trust_signals.errors import ActivationRefused, SnapshotExists, SnapshotRejected
from trust_signals.ingest.chunks import MAX_RECORD_BYTES
from trust_signals.ingest.loader import load_snapshot
from trust_signals.ingest.manifest import read_manifest
from trust_signals.service.cohort_artifacts import ArtifactBuilder, CohortModel
from trust_signals.store.codec import offer_from_dict, seller_from_dict
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteSnapshotStore]:
    store = SqliteSnapshotStore(tmp_path / "store")
    yield store
    store.close()


def sellers(count: int, marketplace: str = "US") -> list[Record]:
    return [seller_record(seller_id=f"S-{n}", marketplace=marketplace) for n in range(count)]


def offers(count: int, sellers: int = 3, marketplace: str = "US") -> list[Record]:
    return [
        offer_record(offer_id=f"O-{n}", seller_id=f"S-{n % sellers}", marketplace=marketplace)
        for n in range(count)
    ]


def snapshot(tmp_path: Path, offer_lines: Iterable[Any] | None = None, **options: Any) -> Path:
    """A valid 3-seller, 3-offer snapshot directory unless told otherwise."""
    name = options.pop("name", "snap")
    seller_lines = options.pop("sellers", sellers(3))
    lines = offers(3) if offer_lines is None else offer_lines
    return write_snapshot_dir(tmp_path / name, seller_lines, lines, **options)


def problems_of(directory: Path, store: SqliteSnapshotStore, **options: Any) -> list[str]:
    with pytest.raises(SnapshotRejected) as caught:
        load_snapshot(directory, store, **options)
    return list(caught.value.problems)


def mutated_offer(change: Callable[[Record], None]) -> Record:
    record = offer_record(offer_id="O-1", seller_id="S-1")
    change(record)
    return record


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_valid_snapshot_is_stored_and_activated(
    tmp_path: Path, store: SqliteSnapshotStore, compress: bool
) -> None:
    directory = snapshot(tmp_path, compress=compress)

    info = load_snapshot(directory, store)

    assert (info.snapshot_id, info.seller_count, info.offer_count, info.active) == (
        "US-2026-11-27",
        3,
        3,
        True,
    )
    assert store.active_snapshots()["US"] == info
    assert store.get_offers(info.snapshot_id, ["O-2", "O-9"]) == [
        offer_from_dict(offers(3)[2]),
        None,
    ]
    assert store.get_sellers(info.snapshot_id, ["S-0"]) == [seller_from_dict(sellers(1)[0])]


def _drop(field: str) -> Callable[[Record], None]:
    return lambda r: r.pop(field)


def _set(value: Any, *path: str) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        for key in path[:-1]:
            record = record[key]
        record[path[-1]] = value

    return change


def _rename_window(record: Record) -> None:
    record["windows"]["7d"] = record["windows"].pop("90d")


RECORD_RULES = [
    ("missing", _drop("handling_days"), "handling_days: Missing data for required field."),
    ("wrong type", _set("1", "handling_days"), "handling_days: Not a valid integer."),
    ("bool as count", _set(True, "windows", "30d", "orders"),
     "windows.30d.orders: Not a valid integer."),
    ("float count", _set(2.0, "windows", "30d", "returns"),
     "windows.30d.returns: Not a valid integer."),
    ("negative count", _set(-1, "windows", "90d", "returns"),
     "windows.90d.returns: Must be greater than or equal to 0."),
    ("count above 2**53 - 1", _set(2**53, "windows", "90d", "orders"),
     f"windows.90d.orders: must be at most {2**53 - 1} (2**53 - 1, exact in any JSON reader)"),
    ("defect above opportunity", _set(41, "windows", "30d", "damaged"),
     "windows.30d.damaged: must not exceed orders (40)"),
    ("deliveries above orders", _set(4, "windows", "30d", "late_deliveries"),
     "windows.30d.on_time_deliveries: on-time plus late deliveries must not exceed orders"),
    ("out of range", _set(61, "handling_days"),
     "handling_days: Must be greater than or equal to 0 and less than or equal to 60."),
    ("unknown enum", _set("drone", "fulfillment_channel"),
     "fulfillment_channel: Must be one of: fba, mfn, easyship, seller_fulfilled_prime."),
    ("id charset", _set("O 1", "offer_id"),
     "offer_id: must be 1-64 characters of A-Z a-z 0-9 . _ -"),
    ("id length", _set("O" * 65, "offer_id"),
     "offer_id: must be 1-64 characters of A-Z a-z 0-9 . _ -"),
    ("unknown field", _set(1, "discount"), "discount: Unknown field."),
    ("unknown count", _set(1, "windows", "30d", "refunds"), "windows.30d.refunds: Unknown field."),
    ("bad window key", _rename_window, "windows.7d: not a window: Must be one of: 30d, 90d, 365d."),
    ("missing window", lambda r: r["windows"].pop("365d"),
     "windows: must hold exactly 30d, 90d, 365d"),
    ("null", _set(None, "handling_days"), "handling_days: Field may not be null."),
    ("null count", _set(None, "windows", "90d", "orders"),
     "windows.90d.orders: Field may not be null."),
    ("null window", _set(None, "windows", "30d"), "windows.30d: Field may not be null."),
    ("null windows", _set(None, "windows"), "windows: Field may not be null."),
]  # fmt: skip


# Rules on a value's JSON type or a record's keys: a Parquet file's column types and names
# hold these, checked once per file (test_parquet_loader).
JSON_ONLY_RULES = (
    "missing",
    "wrong type",
    "bool as count",
    "float count",
    "unknown field",
    "unknown count",
    "bad window key",
    "missing window",
)
RULE_CASES = [
    pytest.param(change, problem, file, id=f"{name}, {file}")
    for file in ("offers.jsonl", "offers.parquet")
    for name, change, problem in RECORD_RULES
    if file == "offers.jsonl" or name not in JSON_ONLY_RULES
]


@pytest.mark.parametrize(("change", "problem", "file"), RULE_CASES)
def test_offer_breaking_a_rule_is_reported_with_file_line_and_field(
    tmp_path: Path,
    store: SqliteSnapshotStore,
    change: Callable[[Record], None],
    problem: str,
    file: str,
) -> None:
    lines = [offer_record(offer_id="O-0", seller_id="S-0"), mutated_offer(change)]
    directory = snapshot(tmp_path, lines, parquet=file.endswith(".parquet"))

    assert problems_of(directory, store) == [f"{file}:2: {problem}"]


SELLER_RULES = [
    ("impossible date", "first_sale_date", "2026-02-30", "first_sale_date: Not a valid date."),
    ("lower-case location", "location", "us", "location: String does not match expected pattern."),
    ("int as bool", "first_party", "yes", "first_party: Not a valid boolean."),
]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [rule[1:] for rule in SELLER_RULES],
    ids=[rule[0] for rule in SELLER_RULES],
)
def test_seller_breaking_a_rule_is_reported_with_file_line_and_field(
    tmp_path: Path, store: SqliteSnapshotStore, field: str, value: Any, problem: str
) -> None:
    lines = sellers(3)
    lines[2][field] = value

    assert problems_of(snapshot(tmp_path, sellers=lines), store) == [f"sellers.jsonl:3: {problem}"]


def test_seller_counts_breaking_bounds_are_each_reported(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines = sellers(3)
    lines[0]["windows"]["30d"].update(domestic_sales_amount=5000.0, sales_amount=4000.0)
    lines[0]["windows"]["365d"]["ratings"] = [1, 2, 3, 4]

    assert problems_of(snapshot(tmp_path, sellers=lines), store) == [
        "sellers.jsonl:1: windows.30d.domestic_sales_amount: must not exceed sales_amount (4000.0)",
        "sellers.jsonl:1: windows.365d.ratings: must hold five counts, for 1 to 5 stars",
    ]


def _all_counts(record: Record, count: int) -> Record:
    """A seller whose every count is `count`: each event equals its opportunity, so only the
    size of the counts is at stake."""
    for counts in record["windows"].values():
        for name, value in counts.items():
            counts[name] = float(count) if isinstance(value, float) else count
        counts["ratings"] = [count] * 5
    return record


def test_counts_beyond_2_53_are_refused_before_anything_is_summed(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines = [_all_counts(seller, 2**63 - 1) for seller in sellers(3)]
    directory = snapshot(tmp_path, sellers=lines)

    with pytest.raises(SnapshotRejected) as caught:
        load_snapshot(directory, store, cohort_artifacts=default_artifacts(directory))

    # Per window 28 counts and 5 star counts; the amounts are floats and have no cap.
    assert caught.value.total == 3 * len(WINDOWS) * 33
    cap = f"must be at most {2**53 - 1} (2**53 - 1, exact in any JSON reader)"
    assert caught.value.problems[:2] == (
        f"sellers.jsonl:1: windows.30d.cancellations: {cap}",
        f"sellers.jsonl:1: windows.30d.cases_closed_without_resolution: {cap}",
    )
    assert all(problem.endswith(cap) for problem in caught.value.problems)
    assert store.list_snapshots() == []


def test_counts_at_2_53_load_with_their_program_totals(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines = [_all_counts(seller, 2**53 - 1) for seller in sellers(3)]
    directory = snapshot(tmp_path, sellers=lines)

    info = load_snapshot(directory, store, cohort_artifacts=default_artifacts(directory))

    programs = orjson.loads(store.get_artifact(info.snapshot_id, "programs") or b"{}")
    assert programs["marketplace"]["US"]["90d"]["orders"] == 3 * (2**53 - 1)


def default_artifacts(directory: Path) -> ArtifactBuilder:
    """The cohort artifacts the CLI's load computes, under the packaged configuration."""
    config = load_config(default_config_path())
    model = CohortModel(config.cohort_spec, config.params)
    return ArtifactBuilder.of(model, read_manifest(directory).as_of)


def test_integer_amount_is_accepted_and_stored_as_a_float(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines = sellers(3)
    lines[1]["windows"]["30d"].update(sales_amount=4200, domestic_sales_amount=3900)
    seen: list[SellerSnapshot] = []

    info = load_snapshot(snapshot(tmp_path, sellers=lines), store, cohort_artifacts=_keep(seen))

    (stored,) = store.get_sellers(info.snapshot_id, ["S-1"])
    assert stored is not None and type(stored.windows["30d"].sales_amount) is float
    assert [type(s.windows["30d"].domestic_sales_amount) for s in seen] == [float] * 3


def _keep(seen: list[SellerSnapshot]) -> Callable[[Iterable[SellerSnapshot]], dict[str, bytes]]:
    def cohort_artifacts(sellers: Iterable[SellerSnapshot]) -> dict[str, bytes]:
        seen.extend(sellers)
        return {"cohorts": ",".join(s.seller_id for s in seen).encode()}

    return cohort_artifacts


def test_cohort_artifacts_get_every_seller_and_are_stored(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    seen: list[SellerSnapshot] = []

    info = load_snapshot(snapshot(tmp_path), store, cohort_artifacts=_keep(seen))

    assert seen == [seller_from_dict(record) for record in sellers(3)]
    assert store.get_artifact(info.snapshot_id, "cohorts") == b"S-0,S-1,S-2"


def seller_ids_and_pid(sellers: Iterable[SellerSnapshot]) -> dict[str, bytes]:
    """A picklable cohort_artifacts: the loader may run it in a worker process."""
    ids = ",".join(seller.seller_id for seller in sellers)
    return {"ids": ids.encode(), "pid": str(os.getpid()).encode()}


def test_picklable_cohort_artifacts_run_in_a_worker_beside_the_offer_check(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    directory = snapshot(tmp_path, offers(3000), sellers=sellers(5))

    info = load_snapshot(directory, store, workers=2, cohort_artifacts=seller_ids_and_pid)

    assert store.get_artifact(info.snapshot_id, "ids") == b"S-0,S-1,S-2,S-3,S-4"
    assert store.get_artifact(info.snapshot_id, "pid") != str(os.getpid()).encode()


def test_rejected_offers_discard_cohort_artifacts_computed_beside(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines = offers(3000)
    lines[2999]["handling_days"] = 99
    directory = snapshot(tmp_path, lines)

    (problem,) = problems_of(directory, store, workers=2, cohort_artifacts=seller_ids_and_pid)

    assert problem.startswith("offers.jsonl:3000: handling_days: ")
    assert store.list_snapshots() == []


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_overlong_line_is_reported_in_bounded_memory_and_the_rest_still_checked(
    tmp_path: Path, store: SqliteSnapshotStore, compress: bool
) -> None:
    overlong = b'{"offer_id": "' + b"x" * (24 * MAX_RECORD_BYTES) + b'"}'
    lines = [offer_record(offer_id="O-1"), overlong, offer_record(offer_id="O-3", handling_days=99)]
    directory = snapshot(tmp_path, lines, compress=compress)
    del overlong, lines

    tracemalloc.start()
    try:
        problems = problems_of(directory, store)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    file = "offers.jsonl.gz" if compress else "offers.jsonl"
    assert problems == [
        f"{file}:2: record is longer than {MAX_RECORD_BYTES} bytes",
        f"{file}:3: handling_days: "
        "Must be greater than or equal to 0 and less than or equal to 60.",
    ]
    # Held whole (or joined piece by piece), the line alone would take 24 MiB or more.
    assert peak < 8 * MAX_RECORD_BYTES


def test_line_of_exactly_the_size_limit_is_checked_as_a_record(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    record = orjson.dumps(offer_record(offer_id="O-2", seller_id="S-1"))
    padded = record[:-1] + b" " * (MAX_RECORD_BYTES - len(record)) + b"}"
    directory = snapshot(tmp_path, [offer_record(offer_id="O-1"), padded, padded + b" "])

    assert problems_of(directory, store) == [
        f"offers.jsonl:3: record is longer than {MAX_RECORD_BYTES} bytes"
    ]


def test_invalid_json_line_is_reported(tmp_path: Path, store: SqliteSnapshotStore) -> None:
    lines: list[Any] = [*offers(2), '{"offer_id": "O-9",']

    (problem,) = problems_of(snapshot(tmp_path, lines), store)

    assert problem.startswith("offers.jsonl:3: invalid JSON: ")


def test_record_that_is_not_an_object_is_reported(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines: list[Any] = [*offers(2), "[1, 2]"]

    assert problems_of(snapshot(tmp_path, lines), store) == [
        "offers.jsonl:3: record: not a JSON object but list"
    ]


def test_duplicate_ids_name_the_repeat_and_the_first_line(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    seller_lines = [*sellers(3), seller_record(seller_id="S-1")]
    offer_lines = [*offers(3), offer_record(offer_id="O-0", seller_id="S-2")]

    assert problems_of(snapshot(tmp_path, offer_lines, sellers=seller_lines), store) == [
        "sellers.jsonl:4: seller_id: duplicate 'S-1', first on line 2",
        "offers.jsonl:4: offer_id: duplicate 'O-0', first on line 1",
    ]


def test_offer_of_an_unknown_seller_is_reported(tmp_path: Path, store: SqliteSnapshotStore) -> None:
    lines = [*offers(2), offer_record(offer_id="O-7", seller_id="S-404")]

    assert problems_of(snapshot(tmp_path, lines), store) == [
        "offers.jsonl:3: seller_id: 'S-404' is not in sellers.jsonl"
    ]


def test_record_of_another_marketplace_is_reported(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines = [*offers(2), offer_record(offer_id="O-7", seller_id="S-0", marketplace="DE")]

    assert problems_of(snapshot(tmp_path, lines), store) == [
        "offers.jsonl:3: marketplace: 'DE' is not the manifest's 'US'"
    ]


def test_problems_are_capped_but_all_counted(tmp_path: Path, store: SqliteSnapshotStore) -> None:
    lines = [offer_record(offer_id=f"O-{n}", seller_id="S-0", handling_days=-1) for n in range(150)]

    with pytest.raises(SnapshotRejected) as caught:
        load_snapshot(snapshot(tmp_path, lines), store, max_problems=10)

    assert (len(caught.value.problems), caught.value.total) == (10, 150)
    assert caught.value.problems[9].startswith("offers.jsonl:10: handling_days: ")


# The same file-level checks for each data file format.
FORMATS = [({}, "jsonl"), ({"compress": True}, "jsonl.gz"), ({"parquet": True}, "parquet")]


@pytest.mark.parametrize(("options", "suffix"), FORMATS, ids=[f[1] for f in FORMATS])
def test_record_count_unlike_the_manifest_refuses_the_snapshot(
    tmp_path: Path, store: SqliteSnapshotStore, options: dict[str, Any], suffix: str
) -> None:
    directory = snapshot(tmp_path, **options)
    manifest = read_manifest_dict(directory)
    manifest["files"]["offers"]["records"] = 4
    write_manifest_dict(directory, manifest)

    assert problems_of(directory, store) == [f"offers.{suffix}: has 3 records, manifest says 4"]


@pytest.mark.parametrize(("options", "suffix"), FORMATS, ids=[f[1] for f in FORMATS])
def test_checksum_unlike_the_manifest_refuses_the_snapshot(
    tmp_path: Path, store: SqliteSnapshotStore, options: dict[str, Any], suffix: str
) -> None:
    directory = snapshot(tmp_path, **options)
    path = directory / f"sellers.{suffix}"
    path.write_bytes(path.read_bytes()[:-5])
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = read_manifest_dict(directory)["files"]["sellers"]["sha256"]

    assert problems_of(directory, store) == [
        f"sellers.{suffix}: sha256 is {actual}, manifest says {expected}"
    ]


def _rewrite_with_checksum(directory: Path, kind: str, data: bytes) -> None:
    """Replace a data file and make the manifest vouch for it (the producer's own mistake)."""
    manifest = read_manifest_dict(directory)
    (directory / manifest["files"][kind]["path"]).write_bytes(data)
    manifest["files"][kind]["sha256"] = hashlib.sha256(data).hexdigest()
    write_manifest_dict(directory, manifest)


def test_truncated_gzip_is_reported_not_raised(tmp_path: Path, store: SqliteSnapshotStore) -> None:
    directory = snapshot(tmp_path, offers(40), compress=True)
    data = (directory / "offers.jsonl.gz").read_bytes()
    _rewrite_with_checksum(directory, "offers", data[: len(data) // 2])

    (problem,) = problems_of(directory, store)

    assert problem.startswith("offers.jsonl.gz:1: truncated or corrupt gzip data: ")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"compress": True}, "sellers.jsonl.gz:1: truncated or corrupt gzip data: "),
        ({"parquet": True}, "sellers.parquet: not a readable Parquet file: "),
    ],
    ids=["gzip", "parquet"],
)
def test_file_not_in_the_format_its_name_says_is_reported_not_raised(
    tmp_path: Path, store: SqliteSnapshotStore, options: dict[str, Any], problem: str
) -> None:
    directory = snapshot(tmp_path, **options)
    _rewrite_with_checksum(directory, "sellers", b"plain text, not gzip\n")

    problems = problems_of(directory, store)

    assert problems[0].startswith(problem)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: m.update(schema_version=2),
         "schema_version: must be 1: this loader reads only it"),
        (lambda m: m.update(snapshot_id="US 1"),
         "snapshot_id: must be 1-64 characters of A-Z a-z 0-9 . _ -"),
        (lambda m: m["files"].pop("offers"), "files.offers: Missing data for required field."),
        (lambda m: m["files"]["offers"].update(path="gone.jsonl"),
         "files.offers.path: gone.jsonl is not in {directory}"),
        (lambda m: m["files"]["offers"].update(path="../offers.jsonl"),
         "files.offers.path: must be a file name in the snapshot directory"),
    ],
    ids=["version", "snapshot_id", "missing file entry", "missing file", "path outside"],
)  # fmt: skip
def test_bad_manifest_refuses_the_snapshot(
    tmp_path: Path, store: SqliteSnapshotStore, change: Callable[[Record], None], problem: str
) -> None:
    directory = snapshot(tmp_path)
    manifest = read_manifest_dict(directory)
    change(manifest)
    write_manifest_dict(directory, manifest)

    expected = "manifest.json: " + problem.format(directory=directory)
    assert problems_of(directory, store) == [expected]


@pytest.mark.parametrize(
    ("name", "inside", "problem"),
    [
        ("sellers.jsonl", False, "files.sellers.path: sellers.jsonl is a symbolic link"),
        ("offers.jsonl", True, "files.offers.path: offers.jsonl is a symbolic link"),
        ("manifest.json", False, "is a symbolic link"),
    ],
    ids=["data file to one outside", "data file to one within", "manifest"],
)
def test_file_that_is_a_symbolic_link_is_refused(
    tmp_path: Path, store: SqliteSnapshotStore, name: str, inside: bool, problem: str
) -> None:
    directory = snapshot(tmp_path)
    target = Path(f"real-{name}") if inside else tmp_path / name  # relative: to its directory
    (directory / name).rename(directory / target)
    (directory / name).symlink_to(target)

    assert problems_of(directory, store) == [
        f"manifest.json: {problem} (to {target}), not a regular file"
    ]


def test_snapshot_directory_reached_through_a_link_loads(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    (tmp_path / "current").symlink_to(snapshot(tmp_path))

    assert load_snapshot(tmp_path / "current", store).active


def test_duplicate_key_in_the_manifest_is_refused(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    directory = snapshot(tmp_path)
    text = (directory / "manifest.json").read_text()
    (directory / "manifest.json").write_text(
        text.replace('"marketplace"', '"as_of": "2020-01-01", "marketplace"')
    )

    assert problems_of(directory, store) == ["manifest.json: as_of: duplicate key"]


def _with_key_repeated(record: Record, *path: str) -> bytes:
    """The record's JSON line with the key at `path` written twice, the first time as 0."""
    *parents, key = path
    text = orjson.dumps(record).decode()
    start = 1  # just inside the record's opening brace, then inside each parent's
    for parent in parents:
        opening = f'"{parent}":{{'
        start = text.index(opening, start) + len(opening)
    return (text[:start] + f'"{key}": 0, ' + text[start:]).encode()


def test_duplicate_keys_are_reported_with_file_line_and_field(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    seller_lines = [
        *sellers(2),
        _with_key_repeated(seller_record(seller_id="S-2"), "tenure_days"),
        _with_key_repeated(seller_record(seller_id="S-3"), "windows", "90d", "orders"),
    ]
    offer_lines = [*offers(2), _with_key_repeated(offer_record(offer_id="O-2"), "free_returns")]

    assert problems_of(snapshot(tmp_path, offer_lines, sellers=seller_lines), store) == [
        "sellers.jsonl:3: tenure_days: duplicate key",
        "sellers.jsonl:4: windows.90d.orders: duplicate key",
        "offers.jsonl:3: free_returns: duplicate key",
    ]


def test_duplicate_key_is_reported_beside_the_records_other_problems(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    record = seller_record(seller_id="S-1", location="us")
    record["windows"]["30d"]["sales_amount"] = 5000  # an integer amount: off the fast path
    seller_lines = [
        *sellers(1),
        _with_key_repeated(record, "windows", "30d", "returns"),
        *sellers(3)[2:],
    ]

    assert problems_of(snapshot(tmp_path, sellers=seller_lines), store) == [
        "sellers.jsonl:2: location: String does not match expected pattern.",
        "sellers.jsonl:2: windows.30d.returns: duplicate key",
    ]


def test_records_spaced_out_or_reordered_still_load(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    spaced = orjson.dumps(offer_record(offer_id="O-1", seller_id="S-1"), option=orjson.OPT_INDENT_2)
    reordered = dict(reversed(offer_record(offer_id="O-2", seller_id="S-2").items()))
    lines = [offer_record(offer_id="O-0", seller_id="S-0"), spaced.replace(b"\n", b" "), reordered]

    assert load_snapshot(snapshot(tmp_path, lines), store).offer_count == 3


def test_rejected_snapshot_leaves_the_active_one_serving(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    good = load_snapshot(snapshot(tmp_path, name="day1", as_of="2026-11-26"), store)
    bad = snapshot(tmp_path, [offer_record(handling_days=-1)], name="day2")

    problems_of(bad, store)

    assert store.list_snapshots() == [good]
    assert sorted(p.name for p in (tmp_path / "store" / "snapshots").iterdir()) == [
        "US-2026-11-26.sqlite"
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_load_killed_midway_leaves_the_previous_snapshot_active(
    tmp_path: Path, store: SqliteSnapshotStore, workers: int
) -> None:
    good = load_snapshot(snapshot(tmp_path, name="day1", as_of="2026-11-26"), store)
    big = snapshot(tmp_path, offers(6000), name="day2")  # several 1 MiB chunks
    calls: list[int] = []

    def progress(records: int) -> None:
        calls.append(records)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load_snapshot(big, store, progress=progress, workers=workers)

    assert store.list_snapshots() == [good]
    assert store.active_snapshots() == {"US": good}
    assert [p.name for p in (tmp_path / "store" / "snapshots").iterdir()] == [
        "US-2026-11-26.sqlite"
    ]


def test_parallel_check_finds_what_the_serial_one_does(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    lines = offers(6000)
    lines[10]["windows"]["30d"]["damaged"] = 99
    lines[5000] = offer_record(offer_id="O-3", seller_id="S-9")
    directory = snapshot(tmp_path, lines)

    assert problems_of(directory, store, workers=2) == problems_of(directory, store, workers=1)


def test_parallel_load_stores_every_record(tmp_path: Path, store: SqliteSnapshotStore) -> None:
    records: list[int] = []

    info = load_snapshot(
        snapshot(tmp_path, offers(6000), compress=True), store, workers=2, progress=records.append
    )

    assert (info.seller_count, info.offer_count, sum(records)) == (3, 6000, 6003)
    assert store.get_offers(info.snapshot_id, ["O-5999"]) == [offer_from_dict(offers(6000)[-1])]


def test_same_snapshot_id_twice_is_refused_unless_forced(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    load_snapshot(snapshot(tmp_path, name="first"), store)
    again = snapshot(tmp_path, offers(5), name="again")

    with pytest.raises(SnapshotExists):
        load_snapshot(again, store)
    info = load_snapshot(again, store, force=True)

    assert (info.offer_count, [i.snapshot_id for i in store.list_snapshots()]) == (
        5,
        ["US-2026-11-27"],
    )


def test_second_load_activates_and_the_first_can_be_restored(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    first = load_snapshot(snapshot(tmp_path, name="d1", as_of=date(2026, 11, 26)), store)
    second = load_snapshot(snapshot(tmp_path, name="d2", as_of=date(2026, 11, 27)), store)
    assert store.active_snapshots()["US"].snapshot_id == second.snapshot_id

    store.activate(first.snapshot_id)

    assert store.active_snapshots()["US"].snapshot_id == first.snapshot_id


def test_load_without_activation_keeps_the_active_snapshot(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    first = load_snapshot(snapshot(tmp_path, name="d1", as_of="2026-11-26"), store)

    second = load_snapshot(snapshot(tmp_path, name="d2"), store, activate=False)

    assert not second.active
    assert store.active_snapshots()["US"].snapshot_id == first.snapshot_id


def test_retain_prunes_older_inactive_snapshots(tmp_path: Path) -> None:
    store = SqliteSnapshotStore(tmp_path / "store", grace_seconds=0)
    for day in range(21, 25):
        load_snapshot(snapshot(tmp_path, name=f"d{day}", as_of=f"2026-11-{day}"), store, retain=1)

    assert [i.snapshot_id for i in store.list_snapshots()] == ["US-2026-11-24", "US-2026-11-23"]


def test_retain_keeps_a_snapshot_replaced_within_the_grace_period(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    for day in range(21, 24):
        load_snapshot(snapshot(tmp_path, name=f"d{day}", as_of=f"2026-11-{day}"), store, retain=0)

    # Each was active moments ago, so a worker may still serve it: pruned by a later load.
    assert len(store.list_snapshots()) == 3


def test_gzip_file_of_many_members_is_read_whole(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    directory = snapshot(tmp_path, offers(10), compress=True)
    text = gzip.decompress((directory / "offers.jsonl.gz").read_bytes())
    half = text.index(b"\n", len(text) // 2) + 1
    _rewrite_with_checksum(
        directory, "offers", gzip.compress(text[:half]) + gzip.compress(text[half:])
    )

    assert load_snapshot(directory, store).offer_count == 10


def test_an_empty_snapshot_is_loaded_but_never_activated(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    first = load_snapshot(snapshot(tmp_path, name="d1", as_of="2026-11-26"), store)

    with pytest.raises(ActivationRefused, match="0 sellers and 0 offers: activating it would wipe"):
        load_snapshot(snapshot(tmp_path, [], name="d2", sellers=[]), store, max_shrink=None)

    assert store.active_snapshots()["US"].snapshot_id == first.snapshot_id
    assert [i.snapshot_id for i in store.list_snapshots()] == ["US-2026-11-27", first.snapshot_id]


def test_a_snapshot_far_smaller_than_the_active_one_needs_the_shrink_allowed(
    tmp_path: Path, store: SqliteSnapshotStore
) -> None:
    first = load_snapshot(snapshot(tmp_path, offers(10), name="d1", as_of="2026-11-26"), store)
    smaller = snapshot(tmp_path, offers(7), name="d2")

    with pytest.raises(ActivationRefused, match="7 offers, 30.0% fewer than the active"):
        load_snapshot(smaller, store)
    assert store.active_snapshots()["US"].snapshot_id == first.snapshot_id

    info = load_snapshot(smaller, store, force=True, max_shrink=None)
    assert info.active
    assert store.active_snapshots()["US"].snapshot_id == "US-2026-11-27"
