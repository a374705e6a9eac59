"""Incentive programs over three retained snapshots: the audit read through the real app over
SQLite and Redis, and `trust-signals incentives export` (CSV, Parquet) against its answers.

Each day five electronics sellers rank in their category cohort by late deliveries over 90
days (0, 10, 20, 30, 40). Five distinct values make the cohort's sketch hit them exactly at
points 0, 25, 50, 75 and 100, so rank r of 5 (5 the best) has 25 (r - 1) points below and
one equal: percentile (50 (r - 1) + 1) / 2 / 101 * 100, and ranks 3 to 5 clear 50. The test
config's programs ask for the top half of the category in each of the last three snapshots
(`steady`) or the last two (`recent`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from tests.builders import offer_record, seller_counts, seller_record, write_snapshot_dir
from tests.conftest import ADMIN_TOKEN, AUDIT_TOKEN, FIXED_NOW, small_seller
from tests.integration.test_cli import on_terminal
from trust_signals.api import create_app
from trust_signals.api.responses import IncentiveResponseSchema
from trust_signals.bootstrap import build_trust_signals, load_snapshot_dir
from trust_signals.cli import main
from trust_signals.client.results import parse_incentive
from trust_signals.config import Settings, load_config, load_settings
from trust_signals.domain.snapshots import WINDOWS
from trust_signals.errors import ExportRefused, StoreUnavailable
from trust_signals.service.incentive_export import export_incentive
from trust_signals.service.materializer import materialize_snapshot
from trust_signals.store.base import ServingStore
from trust_signals.store.memory import InMemorySnapshotStore
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration

DAYS = ("2026-11-25", "2026-11-26", "2026-11-27")  # the active snapshot is the last
# Each day's electronics sellers, best first.
RANKING = {
    "2026-11-25": ["E-A", "E-B", "E-E", "E-C", "E-D"],
    "2026-11-26": ["E-A", "E-C", "E-E", "E-B", "E-D"],
    "2026-11-27": ["E-A", "E-B", "E-C", "E-D", "E-E"],
}
SELLERS = ["E-A", "E-B", "E-C", "E-D", "E-E", "S-NEW", "S-SMALL", "US-1P"]
AUDIT = {"Authorization": f"Bearer {AUDIT_TOKEN}"}


def rank_percentile(rank: int) -> float:
    """Rank `rank` of 5 (5 the best): 25 (rank - 1) sketch points below it, one equal."""
    return (25 * (rank - 1) + 25 * (rank - 1) + 1) / 2 / 101 * 100


def electronics(seller_id: str, late_90d: int) -> dict[str, Any]:
    windows = {w: seller_counts(w) for w in WINDOWS}
    windows["90d"] = seller_counts("90d", late_deliveries=late_90d)
    return seller_record(seller_id=seller_id, category_group="electronics", windows=windows)


def day_snapshot(directory: Path, as_of: str) -> Path:
    """US on `as_of`: the ranked electronics sellers, S-SMALL alone in media (a cohort below
    the minimum of 2) except on the last day, when S-NEW joins it, and first-party retail."""
    sellers = [electronics(s, 10 * i) for i, s in enumerate(RANKING[as_of])]
    sellers += [
        small_seller(),
        seller_record(seller_id="US-1P", first_party=True, category_group="general"),
    ]
    if as_of == DAYS[-1]:
        media = {w: seller_counts(w) for w in WINDOWS}
        media["90d"] = seller_counts("90d", late_deliveries=0)
        sellers.append(seller_record(seller_id="S-NEW", category_group="media", windows=media))
    offers = [offer_record(offer_id="O-1", seller_id="E-A")]
    return write_snapshot_dir(directory / as_of, sellers, offers, as_of=as_of)


def load_days(store: ServingStore, tmp_path: Path, config_path: Path) -> None:
    config = load_config(config_path)
    for day in DAYS:
        load_snapshot_dir(store, day_snapshot(tmp_path / "days", day), config)


@pytest.fixture(params=["sqlite", "redis"])
def streak_store(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path, config_path: Path
) -> ServingStore:
    """The three US days loaded, each activated in turn, in SQLite and in the local Redis."""
    if request.param == "sqlite":
        chosen: ServingStore = SqliteSnapshotStore(Path(settings.store))
    else:
        chosen = request.getfixturevalue("open_redis_store")()
    load_days(chosen, tmp_path, config_path)
    return chosen


@pytest.fixture
def audit_client(settings: Settings, streak_store: ServingStore) -> Iterator[FlaskClient]:
    app = create_app(
        settings, store=streak_store, clock=lambda: FIXED_NOW, background_refresh=False
    )
    yield app.test_client()


def answer(client: FlaskClient, program: str, seller_id: str) -> dict[str, Any]:
    response = client.get(
        f"/v1/incentives/{program}/sellers/{seller_id}?marketplace=US", headers=AUDIT
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert IncentiveResponseSchema().validate(body) == {}
    return body


def qualified(client: FlaskClient, program: str) -> set[str]:
    return {s for s in SELLERS if answer(client, program, s)["qualified"]}


# --- the audit read ---------------------------------------------------------------------


def test_only_the_seller_qualified_in_all_three_snapshots_qualifies_for_a_streak_of_three(
    audit_client: FlaskClient,
) -> None:
    assert qualified(audit_client, "steady") == {"E-A"}


def test_a_seller_dropped_in_the_middle_snapshot_does_not_qualify(
    audit_client: FlaskClient,
) -> None:
    body = answer(audit_client, "steady", "E-B")

    assert [(s["snapshot_id"], s["met"]) for s in body["snapshots"]] == [
        ("US-2026-11-27", True),
        ("US-2026-11-26", False),
        ("US-2026-11-25", True),
    ]
    assert body["reasons"] == [
        f"US-2026-11-26: when.all[0] seller.fq_percentile: {rank_percentile(2)} not >= 50.0"
    ]


def test_a_streak_of_two_counts_only_the_last_two_snapshots(audit_client: FlaskClient) -> None:
    assert qualified(audit_client, "recent") == {"E-A", "E-C"}
    assert [s["snapshot_id"] for s in answer(audit_client, "recent", "E-C")["snapshots"]] == [
        "US-2026-11-27",
        "US-2026-11-26",
    ]


def test_each_snapshot_ranks_the_seller_in_its_own_cohort(audit_client: FlaskClient) -> None:
    body = answer(audit_client, "steady", "E-C")

    ranks = [s["conditions"][0] for s in body["snapshots"]]
    assert [(c["cohort"], c["value"], c["passed"]) for c in ranks] == [
        ("category=electronics", rank_percentile(3), True),  # exactly 50: >= 50 holds
        ("category=electronics", rank_percentile(4), True),
        ("category=electronics", rank_percentile(2), False),
    ]
    assert rank_percentile(3) == 50.0


def test_the_whole_answer_names_its_program_approval_and_versions(
    audit_client: FlaskClient,
) -> None:
    body = answer(audit_client, "steady", "E-A")

    assert {k: body[k] for k in body if k not in ("snapshots", "config_version")} == {
        "snapshot_id": "US-2026-11-27",
        "marketplace": "US",
        "program_id": "steady",
        "approval_reference": "TEST-0002-STEADY",
        "seller_id": "E-A",
        "streak": 3,
        "withheld_reason": None,
        "qualified": True,
        "reasons": [],
    }
    assert body["snapshots"][0]["conditions"] == [
        {
            "path": "when.all[0]",
            "condition_id": "fq_rank",
            "signal": "seller.fq_percentile",
            "window": None,
            "cohort": "category=electronics",
            "bound": "point",
            "comparator": ">=",
            "threshold": 50.0,
            "value": rank_percentile(5),
            "sample": None,
            "passed": True,
            "reason": f"{rank_percentile(5)} >= 50.0",
        },
        {
            "path": "when.all[1]",
            "condition_id": "orders",
            "signal": "seller.orders",
            "window": "365d",
            "cohort": None,
            "bound": "point",
            "comparator": ">=",
            "threshold": 100.0,
            "value": 1440,
            "sample": 1440,
            "passed": True,
            "reason": "1440 >= 100.0",
        },
    ]


def test_a_cohort_below_the_minimum_size_fails_the_condition_and_says_so(
    audit_client: FlaskClient,
) -> None:
    body = answer(audit_client, "steady", "S-SMALL")

    # The last day S-NEW joins media, which then reaches the minimum size of 2; S-SMALL is
    # the worse of the two: no sketch point below it, one equal.
    assert [s["conditions"][0]["reason"] for s in body["snapshots"]] == [
        f"{0.5 / 101 * 100} not >= 50.0",
        "cohort category=media is below the minimum size: no percentile",
        "cohort category=media is below the minimum size: no percentile",
    ]
    assert [s["conditions"][0]["value"] for s in body["snapshots"]][1:] == [None, None]


def test_a_seller_new_in_the_active_snapshot_does_not_qualify_for_a_streak(
    audit_client: FlaskClient,
) -> None:
    body = answer(audit_client, "steady", "S-NEW")

    assert [(s["found"], s["met"]) for s in body["snapshots"]] == [
        (True, True),
        (False, False),
        (False, False),
    ]
    assert body["reasons"] == [
        "US-2026-11-26: not in the snapshot",
        "US-2026-11-25: not in the snapshot",
    ]


def test_the_client_decodes_the_answer(audit_client: FlaskClient) -> None:
    body = answer(audit_client, "recent", "E-C")

    decoded = parse_incentive(body)

    assert (decoded.qualified, decoded.streak, decoded.degraded) == (True, 2, False)
    assert [(s.snapshot_id, s.conditions[0].value) for s in decoded.snapshots] == [
        ("US-2026-11-27", rank_percentile(3)),
        ("US-2026-11-26", rank_percentile(4)),
    ]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/incentives/nope/sellers/E-A?marketplace=US", "incentive_not_found"),
        ("/v1/incentives/steady/sellers/nope?marketplace=US", "seller_not_found"),
        ("/v1/incentives/steady/sellers/E-A?marketplace=FR", "unknown_marketplace"),
    ],
    ids=["program", "seller", "marketplace"],
)
def test_unknown_program_seller_or_marketplace_is_a_404(
    audit_client: FlaskClient, path: str, code: str
) -> None:
    response = audit_client.get(path, headers=AUDIT)

    assert (response.status_code, response.get_json()["code"]) == (404, code)


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}], ids=["no-token", "wrong-token"]
)
def test_the_incentive_read_needs_the_audit_token(
    audit_client: FlaskClient, headers: dict[str, str]
) -> None:
    response = audit_client.get("/v1/incentives/steady/sellers/E-A?marketplace=US", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="trust-signals"'
    assert "fq_rank" not in response.get_data(as_text=True)


def test_the_admin_token_reads_it_too(audit_client: FlaskClient) -> None:
    response = audit_client.get(
        "/v1/incentives/steady/sellers/E-A?marketplace=US",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )

    assert response.status_code == 200


def test_a_retained_snapshot_loaded_under_other_cohort_parameters_is_a_409_naming_it(
    tmp_path: Path, config_path: Path
) -> None:
    store = InMemorySnapshotStore(clock=lambda: FIXED_NOW)
    bigger = tmp_path / "bigger-cohorts.toml"
    bigger.write_text(config_path.read_text().replace("min_cohort_size = 2", "min_cohort_size = 3"))
    config, other = load_config(config_path), load_config(bigger)
    for day in DAYS:  # the last day under the other cohort parameters, the others not
        under = other if day == DAYS[-1] else config
        load_snapshot_dir(store, day_snapshot(tmp_path / "days", day), under)
    settings = load_settings(
        {"TRUST_SIGNALS_CONFIG": str(bigger), "TRUST_SIGNALS_AUDIT_TOKEN": AUDIT_TOKEN}
    )
    app = create_app(settings, store=store, clock=lambda: FIXED_NOW, background_refresh=False)

    response = app.test_client().get(
        "/v1/incentives/steady/sellers/E-A?marketplace=US", headers=AUDIT
    )

    assert (response.status_code, response.get_json()["code"]) == (409, "cohort_benchmarks_missing")
    assert "snapshot 'US-2026-11-26' has no cohort benchmarks" in response.get_json()["detail"]


def test_an_active_snapshot_loaded_under_other_cohort_parameters_is_ranked_in_process(
    tmp_path: Path, config_path: Path
) -> None:
    """Its benchmarks under the served parameters are computed when the view is built: the
    answers are those of a store that has them all."""
    bigger = tmp_path / "bigger-cohorts.toml"
    bigger.write_text(config_path.read_text().replace("min_cohort_size = 2", "min_cohort_size = 3"))
    config, served = load_config(config_path), load_config(bigger)
    answers = []
    for active_under in (served, config):
        store = InMemorySnapshotStore(clock=lambda: FIXED_NOW)
        for day in DAYS:
            under = active_under if day == DAYS[-1] else served
            directory = day_snapshot(tmp_path / f"days-{len(answers)}", day)
            # Its signals under the served config, as `materialize` stores them.
            materialize_snapshot(store, load_snapshot_dir(store, directory, under), served)
        settings = load_settings(
            {"TRUST_SIGNALS_CONFIG": str(bigger), "TRUST_SIGNALS_AUDIT_TOKEN": AUDIT_TOKEN}
        )
        app = create_app(settings, store=store, clock=lambda: FIXED_NOW, background_refresh=False)
        answers.append({s: answer(app.test_client(), "steady", s) for s in SELLERS})

    assert answers[0] == answers[1]
    assert {s for s, a in answers[1].items() if a["qualified"]} == {"E-A"}


# --- the export -------------------------------------------------------------------------


def export(settings: Settings, config_path: Path, *args: str) -> Any:
    env = {"TRUST_SIGNALS_STORE": settings.store, "TRUST_SIGNALS_CONFIG": str(config_path)}
    return CliRunner().invoke(main, ["incentives", "export", *args], env=env)


def read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(newline="") as file:
            return [
                {k: (float(v) if "@" in k and ".cohort" not in k else v) for k, v in row.items()}
                for row in csv.DictReader(file)
            ]
    return pq.read_table(path).to_pylist()


@pytest.fixture
def sqlite_days(settings: Settings, tmp_path: Path, config_path: Path) -> Settings:
    load_days(SqliteSnapshotStore(Path(settings.store)), tmp_path, config_path)
    return settings


@pytest.mark.parametrize("program", ["steady", "recent"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_export_lists_the_qualified_sellers_with_the_values_the_api_gives(
    sqlite_days: Settings, config_path: Path, tmp_path: Path, program: str, suffix: str
) -> None:
    out = tmp_path / f"{program}{suffix}"
    client = create_app(
        sqlite_days, clock=lambda: FIXED_NOW, background_refresh=False
    ).test_client()

    result = export(sqlite_days, config_path, program, "--marketplace", "US", "--out", str(out))

    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    answers = {s: answer(client, program, s) for s in SELLERS}
    assert [r["seller_id"] for r in rows] == sorted(s for s, a in answers.items() if a["qualified"])
    streak = 3 if program == "steady" else 2
    assert list(rows[0]) == [
        "program_id",
        "marketplace",
        "seller_id",
        "config_version",
        "approval_reference",
        "snapshot_ids",
        *[
            name
            for k in range(streak)
            for name in (f"fq_rank@{k}", f"fq_rank.cohort@{k}", f"orders@{k}")
        ],
    ]
    for row in rows:
        body = answers[row["seller_id"]]
        expected = {
            "program_id": program,
            "marketplace": "US",
            "seller_id": body["seller_id"],
            "config_version": body["config_version"],
            "approval_reference": body["approval_reference"],
            "snapshot_ids": ";".join(s["snapshot_id"] for s in body["snapshots"]),
        }
        for k, snapshot in enumerate(body["snapshots"]):
            rank, orders = snapshot["conditions"]
            expected |= {
                f"fq_rank@{k}": rank["value"],
                f"fq_rank.cohort@{k}": rank["cohort"],
                f"orders@{k}": orders["value"],
            }
        assert row == expected
    snapshots = ", ".join(f"US-{day}" for day in reversed(DAYS[-streak:]))
    sellers = "1 qualifying seller" if len(rows) == 1 else f"{len(rows)} qualifying sellers"
    assert result.output == (
        f"exported {sellers} of 8 in US for {program} (snapshots {snapshots}; config "
        f"{rows[0]['config_version']}) to {out}\n"
    )


def test_the_parquet_export_names_its_envelope_in_its_metadata(
    sqlite_days: Settings, config_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "steady.parquet"

    export(sqlite_days, config_path, "steady", "--marketplace", "US", "--out", str(out))

    meta = pq.read_schema(out).metadata
    assert (meta[b"program_id"], meta[b"marketplace"], meta[b"snapshot_ids"]) == (
        b"steady",
        b"US",
        b'["US-2026-11-27","US-2026-11-26","US-2026-11-25"]',
    )
    assert len(meta[b"config_version"]) == 12


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["steady", "--marketplace", "DE"], "error: unknown marketplace 'DE': serving US"),
        (["nope", "--marketplace", "US"], "error: incentive 'nope' not found"),
    ],
    ids=["unserved-marketplace", "unknown-program"],
)
def test_an_export_that_cannot_be_made_is_one_line_and_leaves_no_file(
    sqlite_days: Settings, config_path: Path, tmp_path: Path, args: list[str], error: str
) -> None:
    out = tmp_path / "out.csv"

    result = export(sqlite_days, config_path, *args, "--out", str(out))

    assert result.exit_code == 1
    assert result.stderr.startswith(error)
    assert not out.exists() and list(tmp_path.glob(".out.csv*")) == []


def test_an_export_of_a_program_not_approved_in_the_marketplace_is_refused(
    settings: Settings, config_path: Path, tmp_path: Path
) -> None:
    store = SqliteSnapshotStore(Path(settings.store))
    config = load_config(config_path)
    de = write_snapshot_dir(
        tmp_path / "de",
        [seller_record(seller_id="D-1", marketplace="DE", location="DE")],
        [offer_record(offer_id="D-O1", seller_id="D-1", marketplace="DE")],
        marketplace="DE",
    )
    load_snapshot_dir(store, de, config)

    result = export(
        settings, config_path, "steady", "--marketplace", "DE", "--out", str(tmp_path / "de.csv")
    )

    assert (result.exit_code, result.stderr) == (
        1,
        "error: incentive 'steady' qualifies nobody in DE: not approved in DE\n",
    )


def test_an_export_of_a_streak_longer_than_the_snapshots_retained_is_refused(
    settings: Settings, config_path: Path, tmp_path: Path
) -> None:
    store, config = SqliteSnapshotStore(Path(settings.store)), load_config(config_path)
    for day in DAYS[1:]:
        load_snapshot_dir(store, day_snapshot(tmp_path / "days", day), config)
    out = tmp_path / "steady.csv"

    result = export(settings, config_path, "steady", "--marketplace", "US", "--out", str(out))

    assert (result.exit_code, result.stderr) == (
        1,
        "error: incentive 'steady' needs a streak of 3 snapshots of US; the store retains 2 up "
        "to the active one (US-2026-11-27, US-2026-11-26)\n",
    )
    assert not out.exists()


def test_an_export_into_a_missing_folder_is_one_line_naming_it(
    sqlite_days: Settings, config_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "nowhere" / "steady.csv"

    result = export(sqlite_days, config_path, "steady", "--marketplace", "US", "--out", str(out))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {out.parent}/.steady.csv.partial-")
    assert result.stderr.endswith(": No such file or directory\n")


def test_the_service_refuses_a_file_of_no_known_format(
    sqlite_days: Settings, tmp_path: Path
) -> None:
    signals = build_trust_signals(sqlite_days, SqliteSnapshotStore(Path(sqlite_days.store)))

    with pytest.raises(ExportRefused, match="must end in .csv or .parquet"):
        export_incentive(signals, "US", "steady", tmp_path / "steady.txt")


class SellerReadsFailing:
    """A store whose seller reads fail once `failing` is set, as a store that goes down."""

    def __init__(self, store: ServingStore) -> None:
        self._store = store
        self.failing = False

    def get_sellers(self, snapshot_id: str, ids: list[str]) -> Any:
        if self.failing:
            raise StoreUnavailable("the test store went down")
        return self._store.get_sellers(snapshot_id, ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_export_that_fails_midway_leaves_neither_the_file_nor_a_part_of_it(
    sqlite_days: Settings, tmp_path: Path, suffix: str
) -> None:
    store = SellerReadsFailing(SqliteSnapshotStore(Path(sqlite_days.store)))
    signals = build_trust_signals(sqlite_days, store)  # type: ignore[arg-type]
    out = tmp_path / f"steady{suffix}"
    out.write_text("the previous export")
    store.failing = True

    with pytest.raises(StoreUnavailable):
        export_incentive(signals, "US", "steady", out, progress=lambda sellers: None)

    assert out.read_text() == "the previous export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_an_export_to_a_file_of_no_known_format_is_a_usage_error(
    sqlite_days: Settings, config_path: Path, tmp_path: Path
) -> None:
    result = export(
        sqlite_days, config_path, "steady", "--marketplace", "US", "--out", str(tmp_path / "x.xlsx")
    )

    assert result.exit_code == 2
    assert "--out must end in .csv or .parquet, not 'x.xlsx'" in result.stderr


def test_the_export_shows_progress_on_a_terminal(
    sqlite_days: Settings, config_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "steady.csv"
    env = {"TRUST_SIGNALS_STORE": sqlite_days.store, "TRUST_SIGNALS_CONFIG": str(config_path)}

    said, shown = on_terminal(
        env, "incentives", "export", "steady", "--marketplace", "US", "--out", str(out)
    )

    assert said.startswith("exported 1 qualifying seller of 8 in US for steady")
    assert "exporting steady (US)" in shown and "100%" in shown
