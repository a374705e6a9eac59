"""The `trust-signals` command through click's runner, on real SQLite stores: every command's
success and refusals, one plain line per failure and never a traceback."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from tests.builders import offer_record, seller_record, write_snapshot_dir
from tests.conftest import FIXTURES, us_snapshot
from trust_signals.cli import main
from trust_signals.cli.boundary import ErrorBoundary
from trust_signals.config import load_config
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration

GRACE_SECONDS = 2.0
CONFIG = FIXTURES / "api_config.toml"
US_LOADED = "loaded US-2026-11-27 (US, 4 sellers, 3 offers) and activated\n"


def env_for(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The settings of a fresh SQLite store in tmp_path, with the test config."""
    return {
        "TRUST_SIGNALS_STORE": str(tmp_path / "store"),
        "TRUST_SIGNALS_CONFIG": str(CONFIG),
        "TRUST_SIGNALS_RELOAD_INTERVAL_SECONDS": "0.1",
        "TRUST_SIGNALS_RETIRE_GRACE_SECONDS": str(GRACE_SECONDS),
        **{f"TRUST_SIGNALS_{name}": value for name, value in overrides.items()},
    }


def invoke(env: Mapping[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=dict(env), prog_name="trust-signals")


def run(tmp_path: Path, *args: str) -> Result:
    return invoke(env_for(tmp_path), *args)


def refused(result: Result, exit_code: int = 1) -> list[str]:
    """The stderr lines of a command that failed as designed: the exit code, no traceback."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


def generate(tmp_path: Path, out: Path, marketplaces: str = "US,DE", *options: str) -> Result:
    """`trust-signals generate` of 20 sellers and 200 offers for 2026-11-27 into out."""
    return run(tmp_path, "generate", "--sellers", "20", "--offers", "200", "--marketplaces",
               marketplaces, "--as-of", "2026-11-27", "--out", str(out), *options)  # fmt: skip


def small_snapshot(tmp_path: Path, as_of: str) -> Path:
    return write_snapshot_dir(tmp_path / as_of, [seller_record()], [offer_record()], as_of=as_of)


def store_of(tmp_path: Path) -> SqliteSnapshotStore:
    return SqliteSnapshotStore(tmp_path / "store")


# --- the whole command ------------------------------------------------------------------


def test_version_is_the_installed_package_version() -> None:
    result = invoke({}, "--version")

    assert (result.exit_code, result.output) == (0, f"trust-signals {version('trust-signals')}\n")


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


@pytest.mark.parametrize("path", _commands(main), ids=lambda p: " ".join(p) or "trust-signals")
def test_every_command_answers_h_with_help_on_every_option_and_argument_despite_bad_settings(
    path: tuple[str, ...],
) -> None:
    result = invoke({"TRUST_SIGNALS_CACHE_SIZE": "x"}, *path, "-h")

    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: {' '.join(('trust-signals', *path))} ")
    command = main
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    options = [p for p in command.params if isinstance(p, click.Option)]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    assert [o.name for o in options if not o.help] == []
    assert [a.name for a in arguments if a.human_readable_name not in (command.help or "")] == []


def test_help_names_every_setting_and_where_the_default_store_is() -> None:
    result = invoke({}, "--help")

    assert result.exit_code == 0
    for name in (
        "STORE",
        "CONFIG",
        "MAX_SNAPSHOT_SHRINK",
        "RETIRE_GRACE_SECONDS",
        "RELOAD_INTERVAL_SECONDS",
        "CACHE_SIZE",
        "ADMIN_TOKEN",
    ):
        assert f"TRUST_SIGNALS_{name}" in result.output.split()
    assert "default var/store, relative to the working directory" in " ".join(result.output.split())


def test_a_bad_setting_is_one_line_naming_it_and_what_it_must_be(tmp_path: Path) -> None:
    result = invoke(env_for(tmp_path, CACHE_SIZE="x"), "snapshots", "list")

    assert refused(result) == [
        "error: TRUST_SIGNALS_CACHE_SIZE: must be a whole number >= 0, got 'x'"
    ]


def test_every_bad_setting_is_named_on_its_own_line(tmp_path: Path) -> None:
    env = env_for(tmp_path, CACHE_SIZE="x", MAX_SNAPSHOT_SHRINK="2")

    assert refused(invoke(env, "load", str(us_snapshot(tmp_path / "us")))) == [
        "error: TRUST_SIGNALS_CACHE_SIZE: must be a whole number >= 0, got 'x'",
        "error: TRUST_SIGNALS_MAX_SNAPSHOT_SHRINK: must be a share in [0, 1], got '2'",
    ]


def test_an_unreachable_redis_store_is_one_line_asking_whether_redis_runs(tmp_path: Path) -> None:
    result = invoke(env_for(tmp_path, STORE="redis://127.0.0.1:1/0"), "snapshots", "list")

    [line] = refused(result)
    assert line.startswith("error: the store at redis://127.0.0.1:1/0 does not answer: ")
    assert line.endswith(" — is Redis running there? (TRUST_SIGNALS_STORE)")


def test_a_store_path_that_is_a_file_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "store").write_text("not a store")

    [line] = refused(run(tmp_path, "load", str(us_snapshot(tmp_path / "us"))))

    assert line.startswith(f"error: the store at {tmp_path / 'store'} cannot be used: ")
    assert line.endswith(" — TRUST_SIGNALS_STORE must name a directory this user can write")


def test_a_usage_error_is_clicks_own_with_exit_status_2(tmp_path: Path) -> None:
    lines = refused(run(tmp_path, "load"), exit_code=2)

    assert lines[-1] == "Error: Missing argument 'PATHS...'."
    assert "Try 'trust-signals load --help' for help." in lines


def _crash() -> None:
    raise ZeroDivisionError("division by zero")


def _crashing_group() -> click.Group:
    """A group under the same boundary as trust-signals, with a command that has a bug."""

    @click.group(cls=ErrorBoundary)
    @click.option("--debug", is_flag=True)
    def group(debug: bool) -> None:
        """A command line."""

    group.command("crash")(_crash)
    return group


def test_an_unexpected_failure_is_one_line_saying_it_is_a_bug_and_how_to_see_more() -> None:
    result = CliRunner().invoke(_crashing_group(), ["crash"], prog_name="trust-signals")

    assert refused(result) == [
        "error: unexpected ZeroDivisionError: division by zero (this is a bug; run the command "
        "again as `trust-signals --debug ...` for its traceback)"
    ]


def test_debug_lets_the_traceback_through() -> None:
    result = CliRunner().invoke(_crashing_group(), ["--debug", "crash"])

    assert isinstance(result.exception, ZeroDivisionError)


# --- generate ---------------------------------------------------------------------------


def test_generate_prints_each_snapshot_folder_and_nothing_else_off_a_terminal(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"

    result = generate(tmp_path, out)

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [str(out / "US"), str(out / "DE")]
    assert (out / "DE" / "manifest.json").is_file()


def test_generate_refuses_a_lower_case_marketplace_as_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = generate(tmp_path, out, marketplaces="us")

    lines = refused(result, exit_code=2)
    assert lines[-1] == "Error: marketplaces: ['us'] are not two upper-case letters"
    assert not out.exists()


def test_generate_format_parquet_writes_parquet_files_that_load(tmp_path: Path) -> None:
    out = tmp_path / "out"

    generated = generate(tmp_path, out, "US,DE", "--format", "parquet")
    loaded = run(tmp_path, "load", str(out))

    assert (generated.exit_code, generated.stderr) == (0, "")
    assert sorted(path.name for path in (out / "US").iterdir()) == [
        "manifest.json",
        "offers.parquet",
        "sellers.parquet",
    ]
    assert (loaded.exit_code, loaded.stderr) == (0, "")
    assert loaded.stdout.splitlines() == [
        "loaded DE-2026-11-27 (DE, 6 sellers, 60 offers) and activated",
        "loaded US-2026-11-27 (US, 14 sellers, 140 offers) and activated",
    ]


def test_generate_refuses_plain_with_parquet_as_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = generate(tmp_path, out, "US", "--format", "parquet", "--plain")

    lines = refused(result, exit_code=2)
    assert lines[-1] == "Error: --plain applies to --format jsonl only: Parquet is never gzipped"
    assert not out.exists()


# --- load -------------------------------------------------------------------------------


def test_load_says_what_it_loaded_and_activated(tmp_path: Path) -> None:
    result = run(tmp_path, "load", str(us_snapshot(tmp_path / "us")))

    assert (result.exit_code, result.stdout, result.stderr) == (0, US_LOADED, "")
    assert list(store_of(tmp_path).active_snapshots()) == ["US"]


def test_load_without_activating_says_so(tmp_path: Path) -> None:
    result = run(tmp_path, "load", "--no-activate", str(us_snapshot(tmp_path / "us")))

    assert result.output == "loaded US-2026-11-27 (US, 4 sellers, 3 offers)\n"
    assert store_of(tmp_path).active_snapshots() == {}


def test_load_of_a_publish_folder_loads_every_marketplace(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(tmp_path, out)

    result = run(tmp_path, "load", str(out))

    assert result.exit_code == 0
    assert [line.split(" (")[0] for line in result.output.splitlines()] == [
        "loaded DE-2026-11-27",
        "loaded US-2026-11-27",
    ]


def test_load_refuses_a_folder_without_a_snapshot_and_creates_no_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    assert refused(run(tmp_path, "load", str(empty))) == [
        "error: snapshot refused (1 problem):",
        f"{empty}: holds no snapshot (manifest.json in it or in a folder in it)",
    ]
    assert not (tmp_path / "store").exists()


def test_load_refuses_a_publish_folder_missing_a_manifest_before_loading_any(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    generate(tmp_path, out)
    (out / "DE" / "manifest.json").unlink()

    assert refused(run(tmp_path, "load", str(out))) == [
        "error: snapshot refused (1 problem):",
        f"{out / 'DE'}: no manifest.json: an incomplete snapshot; publish it again, "
        "or load the other folders by name",
    ]
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("file", ["sellers.jsonl", "sellers.parquet"])
def test_load_lists_every_bad_record_as_file_line_field_problem(tmp_path: Path, file: str) -> None:
    sellers = [seller_record(tenure_days=-1), seller_record(seller_id="S-2", marketplace="us")]
    parquet = file.endswith(".parquet")
    snapshot = write_snapshot_dir(tmp_path / "bad", sellers, [offer_record()], parquet=parquet)

    assert refused(run(tmp_path, "load", str(snapshot))) == [
        "error: snapshot refused (2 problems):",
        f"{file}:1: tenure_days: Must be greater than or equal to 0.",
        f"{file}:2: marketplace: String does not match expected pattern.",
    ]
    assert store_of(tmp_path).list_snapshots() == []


def test_load_refuses_a_snapshot_already_loaded_unless_forced(tmp_path: Path) -> None:
    snapshot = us_snapshot(tmp_path / "us")
    run(tmp_path, "load", str(snapshot))

    again = run(tmp_path, "load", str(snapshot))
    forced = run(tmp_path, "load", "--force", str(snapshot))

    assert refused(again) == [
        "error: snapshot refused (1 problem):",
        "snapshot_id: 'US-2026-11-27' is already loaded (force replaces it)",
    ]
    assert (forced.exit_code, forced.output) == (0, US_LOADED)


def test_load_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    lines = refused(run(tmp_path, "load", str(tmp_path / "nope")), exit_code=2)

    assert (
        lines[-1]
        == f"Error: Invalid value for 'PATHS...': Directory '{tmp_path / 'nope'}' does not exist."
    )


def test_load_refuses_to_activate_a_far_smaller_snapshot_unless_allowed(tmp_path: Path) -> None:
    assert run(tmp_path, "load", str(us_snapshot(tmp_path / "us"))).exit_code == 0
    smaller = small_snapshot(tmp_path, "2026-11-28")

    result = run(tmp_path, "load", str(smaller))
    allowed = run(tmp_path, "snapshots", "activate", "US-2026-11-28", "--allow-shrink")

    [line] = refused(result)
    assert line.startswith("error: loaded US-2026-11-28 but not activated: snapshot US-2026-11-28 ")
    assert "has 1 seller, 75.0% fewer than the active US-2026-11-27 (4)" in line
    assert "--allow-shrink" in line
    assert (allowed.exit_code, allowed.output) == (0, "activated US-2026-11-28\n")


# --- snapshots --------------------------------------------------------------------------


def test_snapshots_list_marks_the_active_one(tmp_path: Path) -> None:
    run(tmp_path, "load", str(us_snapshot(tmp_path / "us")))
    run(tmp_path, "load", "--no-activate", str(small_snapshot(tmp_path, "2026-11-28")))

    result = run(tmp_path, "snapshots", "list")

    assert result.exit_code == 0
    assert [line.split("  loaded ")[0] for line in result.output.splitlines()] == [
        "  US-2026-11-28            US  as_of 2026-11-28  1 seller  1 offer",
        "* US-2026-11-27            US  as_of 2026-11-27  4 sellers  3 offers",
    ]


def test_snapshots_list_of_a_store_without_snapshots_says_how_to_load_one(tmp_path: Path) -> None:
    run(tmp_path, "config", "activate", str(CONFIG), "--approval-ref", "LEGAL-1")

    result = run(tmp_path, "snapshots", "list")

    assert (result.exit_code, result.output) == (
        0,
        "no snapshot loaded yet: `trust-signals load DIR` loads one\n",
    )


def test_reading_a_missing_store_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default store, var/store, is relative to it

    result = invoke({}, "snapshots", "list")

    assert refused(result) == [
        f"error: no store at {tmp_path / 'var' / 'store'}: nothing was stored there yet; "
        "load a snapshot into it, or set TRUST_SIGNALS_STORE to the store (a relative path "
        "starts at the working directory)"
    ]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["snapshots", "activate", "US-2026-11-27"],
        ["snapshots", "deactivate", "US"],
        ["snapshots", "delete", "US-2026-11-27"],
        ["config", "history"],
        ["config", "show"],
        ["config", "rollback"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_commands_on_a_missing_store_create_none(tmp_path: Path, args: list[str]) -> None:
    [line] = refused(run(tmp_path, *args))

    assert line.startswith(f"error: no store at {tmp_path / 'store'}: ")
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["activate", "nope"], "snapshot 'nope' not found"),
        (["delete", "nope"], "snapshot 'nope' not found"),
        (["delete", "US-2026-11-27"],
         "snapshot 'US-2026-11-27' is active; activate another one before deleting it"),
        (["deactivate", "DE"], "marketplace 'DE' not found"),
    ],
    ids=["activate-unknown", "delete-unknown", "delete-active", "deactivate-unserved"],
)  # fmt: skip
def test_snapshots_refusals_are_one_line(tmp_path: Path, args: list[str], error: str) -> None:
    run(tmp_path, "load", str(us_snapshot(tmp_path / "us")))

    assert refused(run(tmp_path, "snapshots", *args)) == [f"error: {error}"]


def test_deactivate_takes_a_marketplace_off_and_says_what_it_served(tmp_path: Path) -> None:
    run(tmp_path, "load", str(us_snapshot(tmp_path / "us")))

    result = run(tmp_path, "snapshots", "deactivate", "US")
    again = run(tmp_path, "snapshots", "deactivate", "US")

    assert (result.exit_code, result.output) == (0, "deactivated US (was serving US-2026-11-27)\n")
    assert refused(again) == ["error: marketplace 'US' not found"]
    store = store_of(tmp_path)
    assert store.active_snapshots() == {}
    assert store.deactivated_marketplaces() == {"US"}


def test_delete_waits_until_no_worker_can_still_serve_the_snapshot(tmp_path: Path) -> None:
    run(tmp_path, "load", str(us_snapshot(tmp_path / "us")))
    run(tmp_path, "load", str(us_snapshot(tmp_path / "next", as_of="2026-11-28")))

    result = run(tmp_path, "snapshots", "delete", "US-2026-11-27", "--no-wait")

    [line] = refused(result)
    assert "was active" in line and "too recently" in line
    assert [i.snapshot_id for i in store_of(tmp_path).list_snapshots()] == [
        "US-2026-11-28",
        "US-2026-11-27",
    ]

    started = time.monotonic()
    waited = run(tmp_path, "snapshots", "delete", "US-2026-11-27")

    assert waited.exit_code == 0
    assert waited.output.startswith("waiting ")
    assert waited.output.endswith("deleted US-2026-11-27\n")
    assert time.monotonic() - started < GRACE_SECONDS + 1
    assert [i.snapshot_id for i in store_of(tmp_path).list_snapshots()] == ["US-2026-11-28"]


# --- config -----------------------------------------------------------------------------


def test_config_check_of_a_good_file_names_its_version(tmp_path: Path) -> None:
    result = run(tmp_path, "config", "check", str(CONFIG))

    assert (result.exit_code, result.output) == (
        0,
        f"ok: {CONFIG} config_version {load_config(CONFIG).version}\n",
    )


def test_config_check_lists_every_problem_on_its_own_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = CONFIG.read_text().replace("wilson_z = ", "wilson_z = -", 1)
    bad.write_text(text.replace("retained_snapshots = ", "retained_snapshots = -", 1))

    lines = refused(run(tmp_path, "config", "check", str(bad)))

    assert len(lines) == 2
    assert all(line.startswith("error: ") for line in lines)
    assert [line.split(":")[1].strip() for line in lines] == ["wilson_z", "retained_snapshots"]


def test_config_activate_history_rollback_and_show(tmp_path: Path) -> None:
    edited = tmp_path / "edited.toml"
    edited.write_text(CONFIG.read_text().replace("enabled = true", "enabled = false", 1))
    first, second = load_config(CONFIG).version, load_config(edited).version

    activated = run(tmp_path, "config", "activate", str(CONFIG), "--approval-ref", "LEGAL-1")
    run(tmp_path, "config", "activate", str(edited), "--approval-ref", "LEGAL-2", "--by", "ops")
    history = run(tmp_path, "config", "history")
    rolled_back = run(tmp_path, "config", "rollback")
    shown = run(tmp_path, "config", "show")

    assert activated.output == (
        f"activated config {first} (approval LEGAL-1): "
        "every node serves it within the reload interval\n"
    )
    assert [line.split("  stored ")[0] for line in history.output.splitlines()] == [
        f"* {second}  approval LEGAL-2",
        f"  {first}  approval LEGAL-1",
    ]
    assert rolled_back.output.startswith(f"activated config {first} (approval LEGAL-1)")
    assert f'"config_version": "{first}"' in shown.output


def test_config_show_of_a_file_needs_no_store(tmp_path: Path) -> None:
    result = run(tmp_path, "config", "show", "--config", str(CONFIG))

    assert result.exit_code == 0
    assert f'"config_version": "{load_config(CONFIG).version}"' in result.output
    assert not (tmp_path / "store").exists()


def test_config_rollback_to_an_unknown_version_is_refused(tmp_path: Path) -> None:
    run(tmp_path, "config", "activate", str(CONFIG), "--approval-ref", "LEGAL-1")

    assert refused(run(tmp_path, "config", "rollback", "nope")) == [
        "error: config version 'nope' is not stored"
    ]


# --- demo -------------------------------------------------------------------------------


def test_demo_generates_over_a_run_cut_short_loads_and_then_has_nothing_to_do(
    tmp_path: Path,
) -> None:
    out = tmp_path / "demo"
    (out / "US").mkdir(parents=True)  # an earlier generation that never wrote its manifest

    first = run(tmp_path, "demo", "--out", str(out))
    second = run(tmp_path, "demo", "--out", str(out))

    assert first.exit_code == 0
    assert sorted(line.split(" (")[0][:9] for line in first.output.splitlines()) == [
        "loaded DE",
        "loaded IN",
        "loaded US",
    ]
    assert sorted(store_of(tmp_path).active_snapshots()) == ["DE", "IN", "US"]
    assert (second.exit_code, second.output) == (0, "a snapshot is already active; nothing to do\n")


def test_demo_without_out_is_a_usage_error(tmp_path: Path) -> None:
    assert refused(run(tmp_path, "demo"), exit_code=2)[-1] == "Error: Missing option '--out'."


# --- progress ---------------------------------------------------------------------------


def on_terminal(env: Mapping[str, str], *args: str) -> tuple[str, str]:
    """(stdout, stderr) of the installed command run with its stderr on a terminal (a pty)."""
    command = Path(sys.executable).with_name("trust-signals")
    terminal, its_end = os.openpty()
    with subprocess.Popen(
        [str(command), *args],
        stdout=subprocess.PIPE,
        stderr=its_end,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    ) as process:
        os.close(its_end)
        shown = bytearray()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not select.select([terminal], [], [], 0.1)[0]:
                continue
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # EIO: the command ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        stdout = process.stdout.read() if process.stdout else b""
        assert process.wait(timeout=60) == 0, shown.decode()
    os.close(terminal)
    return stdout.decode(), shown.decode()


def test_generate_and_load_show_progress_on_a_terminal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = env_for(tmp_path)

    generated, generating = on_terminal(
        env, "generate", "--sellers", "20", "--offers", "5000", "--marketplaces", "US", "--out",
        str(out),
    )  # fmt: skip
    loaded, loading = on_terminal(env, "load", str(out))

    assert generated == f"{out / 'US'}\n"
    assert f"generating {out}" in generating and "100%" in generating
    assert loaded.startswith("loaded US-")
    assert f"loading {out / 'US'}" in loading and "100%" in loading
