"""Config versions through the real app and the `trust-signals config` commands: what is
served follows the store's active version, never an edited file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from tests.conftest import ADMIN_TOKEN, activate_kill_switch, de_snapshot, us_snapshot
from trust_signals.cli import main
from trust_signals.config import Settings, load_config
from trust_signals.service.cohort_artifacts import CohortModel
from trust_signals.store.base import ServingStore
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration
# The CLI opens the store TRUST_SIGNALS_STORE names: the SQLite directory of `settings`.
SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SEARCH = "/v1/badges?marketplace=US&surface=search&offer_ids=O-1"
CUT_SHORT = (
    "end: missing: a config ends with an [end] table repeating its config_name; "
    "without it the file may be cut short"
)


def cli(settings: Settings, *args: str) -> Result:
    env = {"TRUST_SIGNALS_STORE": settings.store, "TRUST_SIGNALS_CONFIG": str(settings.config)}
    return CliRunner().invoke(main, list(args), env=env)


def served(client: FlaskClient) -> tuple[str, list[str]]:
    """The config version and O-1's search badges, after the worker re-reads the store."""
    assert client.post("/admin/config/reload", headers=AUTH).status_code == 200
    body = client.get(SEARCH).get_json()
    return body["config_version"], [b["id"] for b in body["offers"][0]["badges"]]


def test_first_start_seeds_the_store_with_the_config_file(
    client: FlaskClient, store: ServingStore, config_path: Path
) -> None:
    version, _ = served(client)

    [seeded] = store.list_configs()
    assert (seeded.version, seeded.text, seeded.approval_reference) == (
        load_config(config_path).version,
        config_path.read_text(),
        "TEST-0001",
    )
    assert (seeded.stored_by, seeded.activated_by) == ("seed", "seed")
    assert store.active_config_version() == version


@SQLITE
def test_editing_the_config_file_changes_nothing_served_while_config_activate_does(
    client: FlaskClient, settings: Settings, config_path: Path
) -> None:
    before = served(client)
    config_path.write_text(config_path.read_text().replace("enabled = true", "enabled = false", 1))
    assert served(client) == before

    result = cli(
        settings, "config", "activate", str(config_path), "--approval-ref", "LEGAL-9", "--by", "ops"
    )

    version, badges = served(client)
    assert (result.exit_code, badges) == (0, ["fast_delivery"])
    assert version != before[0]
    # The launch preview first, then the activation.
    assert result.stdout.startswith(f"launch preview: config {version} (api-tests) against ")
    assert result.stdout.splitlines()[-1].startswith(
        f"activated config {version} (approval LEGAL-9)"
    )
    assert cli(settings, "config", "history").output.startswith(f"* {version}  approval LEGAL-9")


@SQLITE
def test_a_bad_config_activated_via_the_cli_is_refused_with_every_problem_and_changes_nothing(
    client: FlaskClient, settings: Settings, config_path: Path, tmp_path: Path
) -> None:
    before, history = served(client), cli(settings, "config", "history").output
    lines = config_path.read_text().replace("threshold = 0.9", "threshold = 9").splitlines(True)
    bad = tmp_path / "bad.toml"
    bad.write_text("".join(lines[:-3]))  # and cut short: [end] is gone

    result = cli(settings, "config", "activate", str(bad), "--approval-ref", "LEGAL-9")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"error: {CUT_SHORT}",
        "error: badges[1].when.all[0].threshold: must be between 0 and 1",
    ]
    assert served(client) == before
    assert cli(settings, "config", "history").output == history


@pytest.fixture
def versions(client: FlaskClient, store: ServingStore, config_path: Path) -> tuple[str, str]:
    """(seeded, killed): the version the app seeded, and a kill switch activated after it."""
    seeded, _ = served(client)
    return seeded, activate_kill_switch(store, config_path).config.version


@SQLITE
def test_history_lists_versions_newest_first_with_approvals_and_the_active_marked(
    settings: Settings, versions: tuple[str, str]
) -> None:
    seeded, killed = versions

    lines = cli(settings, "config", "history").output.splitlines()

    assert [line.split("  stored ")[0] for line in lines] == [
        f"* {killed}  approval TEST-EDIT",
        f"  {seeded}  approval TEST-0001",
    ]
    assert [line.rsplit(" by ", 1)[1] for line in lines] == ["tests", "seed"]


@SQLITE
def test_rollback_activates_the_config_active_before_the_current(
    client: FlaskClient, settings: Settings, versions: tuple[str, str]
) -> None:
    seeded, killed = versions
    assert served(client) == (killed, ["fast_delivery"])

    result = cli(settings, "config", "rollback", "--by", "ops")

    assert result.exit_code == 0
    assert result.output.startswith(f"activated config {seeded} (approval TEST-0001): ")
    assert served(client) == (seeded, ["big_seller"])


@SQLITE
def test_rollback_to_a_named_version_and_activating_the_active_one_again(
    client: FlaskClient, settings: Settings, config_path: Path, versions: tuple[str, str]
) -> None:
    seeded, killed = versions
    cli(settings, "config", "rollback", seeded)

    again = cli(settings, "config", "rollback", seeded)
    same_file = cli(settings, "config", "activate", str(config_path), "--approval-ref", "X")
    forward = cli(settings, "config", "rollback", killed)

    assert again.output == f"config {seeded} is already active; nothing changed\n"
    assert same_file.output == f"config {seeded} is already active; nothing changed\n"
    assert forward.exit_code == 0
    assert served(client) == (killed, ["fast_delivery"])


@SQLITE
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["rollback", "nope"], "error: config version 'nope' is not stored"),
        (["rollback"], "error: no other config version was ever active: nothing to roll back to"),
        (["activate", "absent.toml", "--approval-ref", "X"],
         "error: absent.toml: cannot read: No such file or directory"),
        (["activate", "{config}", "--approval-ref", " "],
         "error: approval reference: must not be empty"),
    ],
    ids=["unknown-version", "nothing-earlier", "missing-file", "blank-approval"],
)  # fmt: skip
def test_config_command_errors_are_one_clear_line(
    client: FlaskClient, settings: Settings, config_path: Path, args: list[str], error: str
) -> None:
    before = served(client)

    result = cli(settings, "config", *[a.format(config=config_path) for a in args])

    assert (result.exit_code, result.stderr) == (1, error + "\n")
    assert served(client) == before


def test_load_computes_cohort_artifacts_with_the_stores_active_config(
    settings: Settings, config_path: Path, tmp_path: Path
) -> None:
    first = cli(settings, "load", str(us_snapshot(tmp_path / "us")))
    wider = tmp_path / "wider.toml"
    wider.write_text(config_path.read_text().replace("min_cohort_size = 2", "min_cohort_size = 3"))
    cli(settings, "config", "activate", str(wider), "--approval-ref", "LEGAL-9")

    second = cli(settings, "load", str(de_snapshot(tmp_path / "de")))

    assert (first.exit_code, second.exit_code) == (0, 0)
    store = SqliteSnapshotStore(Path(settings.store))
    [seeded] = [c for c in store.list_configs() if c.stored_by == "seed"]
    assert seeded.version == load_config(config_path).version
    for snapshot_id, config in (("US-2026-11-27", config_path), ("DE-2026-11-27", wider)):
        used = load_config(config)
        model = CohortModel(used.cohort_spec, used.params)
        assert store.get_artifact(snapshot_id, f"priors:{model.version}") is not None


@SQLITE
def test_config_show_is_the_stores_active_config_unless_a_file_is_named(
    settings: Settings, config_path: Path, versions: tuple[str, str]
) -> None:
    seeded, killed = versions

    shown = cli(settings, "config", "show")
    from_file = cli(settings, "config", "show", "--config", str(config_path))

    assert f'"config_version": "{killed}"' in shown.output
    assert f'"config_version": "{seeded}"' in from_file.output
