"""`trust-signals config preview` and the preview `config activate` prints first, through
click's runner on a real SQLite store holding the small US and DE test snapshots."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from tests.conftest import FIXTURES, de_snapshot, us_snapshot
from trust_signals.cli import main
from trust_signals.config import load_config
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration
CONFIG = FIXTURES / "api_config.toml"
SEEDED = load_config(CONFIG).version
ON = ("--on", "2026-12-02")
STRICTER = ("threshold = 0.9", "threshold = 0.95")  # fast_delivery: O-1 and O-2 lose it
HTTP_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """A store with US and DE loaded and active under the test config (its seed)."""
    result = run(
        tmp_path, "load", str(us_snapshot(tmp_path / "us")), str(de_snapshot(tmp_path / "de"))
    )
    assert result.exit_code == 0, result.output
    return tmp_path / "store"


def run(tmp_path: Path, *args: str) -> Result:
    env = {"TRUST_SIGNALS_STORE": str(tmp_path / "store"), "TRUST_SIGNALS_CONFIG": str(CONFIG)}
    return CliRunner().invoke(main, list(args), env=env)


def edited(tmp_path: Path, *replacements: tuple[str, str], name: str = "new.toml") -> Path:
    """A copy of the test config with each (old, new) replaced once."""
    text = CONFIG.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text)
    return path


def preview_data(tmp_path: Path, config: Path, *options: str) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "preview.json"
    result = run(tmp_path, "config", "preview", str(config), *ON, "--json", str(out), *options)
    assert result.exit_code == 0, result.output
    return orjson.loads(out.read_bytes())  # type: ignore[no-any-return]


def badge(data: dict, marketplace: str, badge_id: str) -> dict:  # type: ignore[type-arg]
    [market] = [m for m in data["marketplaces"] if m["marketplace"] == marketplace]
    [found] = [b for b in market["badges"] if b["badge_id"] == badge_id]
    return found  # type: ignore[no-any-return]


def test_preview_prints_each_badges_gains_and_losses_and_changes_nothing(
    tmp_path: Path, store_dir: Path
) -> None:
    new = edited(tmp_path, STRICTER)
    store = SqliteSnapshotStore(store_dir)
    signals = store.signal_versions("US-2026-11-27")

    result = run(tmp_path, "config", "preview", str(new), *ON)

    version = load_config(new).version
    lines = result.stdout.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[0] == (
        f"launch preview: config {version} (api-tests) against {SEEDED} (approval TEST-0001), "
        "effective dates as on 2026-12-02"
    )
    us = lines.index(next(line for line in lines if line.startswith("US: US-2026-11-27")))
    assert lines[us + 3].split() == ["fast_delivery", "0", "-2", "2", "→", "0", "–"]
    assert lines[us + 2].split() == ["big_seller", "0", "0", "1", "→", "1", "0", "0", "3", "→", "3"]
    assert "    fast_delivery: changed" in lines
    # Nothing stored or activated: the same active version, history and signals.
    assert store.active_config_version() == SEEDED
    assert [c.version for c in store.list_configs()] == [SEEDED]
    assert store.signal_versions("US-2026-11-27") == signals


def test_json_holds_the_cohort_breakdown_and_the_html_report_is_self_contained(
    tmp_path: Path, store_dir: Path
) -> None:
    html = tmp_path / "report.html"

    data = preview_data(tmp_path, edited(tmp_path, STRICTER), "--html", str(html))

    fast = badge(data, "US", "fast_delivery")
    assert fast["sellers"] is None
    assert {k: fast["offers"][k] for k in ("held_before", "held_after", "gained", "lost")} == {
        "held_before": 2,
        "held_after": 0,
        "gained": 0,
        "lost": 2,
    }
    # O-1's seller S-BIG (electronics) and O-2's S-SMALL (media), both long-standing FBA.
    assert fast["offers"]["lost_by"] == {
        "tenure": {">=365d": 2},
        "category": {"electronics": 1, "media": 1},
        "channel": {"fba": 2},
        "first_party": {"third party": 2},
    }
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert HTTP_ASSET.search(page) is None
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert page.count("<svg") >= 4
    assert '<td class="n loss">-2</td>' in page  # US fast_delivery, in the overview and its table
    assert "<td>media</td>" in page and "Tenure band" in page


@pytest.mark.parametrize(
    ("order", "added", "removed", "moved"),
    [
        ([0, 1, 2, 3], ["seller_orders"], [], []),
        ([0, 2], [], ["offer_on_time_point"], []),
        ([1, 0, 2], [], [], ["offer_orders_90d_log"]),  # a swap: one of the two moved
    ],
    ids=["added", "removed", "reordered"],
)
def test_features_added_removed_or_reordered_make_a_new_schema_version(
    tmp_path: Path, store_dir: Path, order: list[int], added: list[str], removed: list[str],
    moved: list[str],
) -> None:  # fmt: skip
    text = CONFIG.read_text()
    head, *blocks = text.split("[[ranking_features]]\n")
    last, tail = blocks[-1].split("# The last table", 1)
    blocks[-1] = last
    blocks.append(
        'name = "seller_orders"\nsignal = "seller.orders"\nwindow = "90d"\ndefault = 0.0\n\n'
    )
    new = tmp_path / "features.toml"
    new.write_text(head + "".join("[[ranking_features]]\n" + blocks[i] for i in order)
                   + "# The last table" + tail)  # fmt: skip

    html = tmp_path / "report.html"
    data = preview_data(tmp_path, new, "--html", str(html))

    schema = data["schema"]
    assert f"</code> → <code>{schema['version_after']}</code>" in html.read_text()
    assert schema["changed"] is True
    assert schema["version_after"] != schema["version_before"]
    assert (schema["added"], schema["removed"], schema["moved"]) == (added, removed, moved)
    assert schema["names_after"] == [
        ["offer_orders_90d_log", "offer_on_time_point", "seller_tenure_days", "seller_orders"][i]
        for i in order
    ]


def test_approval_and_effective_date_changes_and_who_they_take_the_badge_from(
    tmp_path: Path, store_dir: Path
) -> None:
    later = edited(
        tmp_path,
        ("effective_from = 2026-01-01", "effective_from = 2027-01-01"),  # big_seller
        ('approval_reference = "TEST-0001-BIG"', 'approval_reference = "TEST-0002-BIG"'),
        ('approval_reference = "TEST-0001"', 'approval_reference = "TEST-0002"'),
    )

    html = tmp_path / "report.html"
    data = preview_data(tmp_path, later, "--html", str(html))

    assert {"field": "approval_reference", "before": "TEST-0001", "after": "TEST-0002"} in data[
        "settings"
    ]
    [us] = [m for m in data["marketplaces"] if m["marketplace"] == "US"]
    assert us["badge_changes"] == [
        {
            "item_id": "big_seller",
            "change": "changed",
            "fields": [
                {
                    "field": "approval_reference",
                    "before": "TEST-0001-BIG",
                    "after": "TEST-0002-BIG",
                },
                {"field": "effective_from", "before": "2026-01-01", "after": "2027-01-01"},
            ],
        }
    ]
    page = html.read_text()
    assert "<td>US</td><td>big_seller</td><td>effective_from</td>" in page
    assert "<td>2026-01-01</td><td>2027-01-01</td>" in page
    big = badge(data, "US", "big_seller")
    # Not effective yet on 2026-12-02: every holder loses it; fast_delivery shows in its place.
    assert (big["sellers"]["lost"], big["sellers"]["held_after"]) == (3, 0)
    assert (big["offers"]["lost"], big["offers"]["held_after"]) == (1, 0)
    assert badge(data, "US", "fast_delivery")["offers"]["gained"] == 0  # O-1 showed it on the PDP


def test_stats_newly_shown_and_withheld(tmp_path: Path, store_dir: Path) -> None:
    text = CONFIG.read_text().replace("min_sample = 200", "min_sample = 100")
    orders_stat = '[[profile_stats]]\nid = "orders"'
    start = text.index(orders_stat)
    new = tmp_path / "stats.toml"
    new.write_text(text[:start] + text[text.index("[[ranking_features]]", start) :])

    html = tmp_path / "report.html"
    data = preview_data(tmp_path, new, "--html", str(html))

    assert "<h3>orders: removed</h3>" in html.read_text()
    assert [(c["item_id"], c["change"]) for c in data["stat_changes"]] == [
        ("on_time_delivery", "changed"),
        ("orders", "removed"),
    ]
    stats = {m["marketplace"]: m["stats"] for m in data["marketplaces"]}
    assert stats["US"] == [
        # S-SMALL's 120 orders a window reach the smaller minimum.
        {"stat_id": "on_time_delivery", "shown_before": 3, "shown_after": 4,
         "newly_shown": 1, "newly_withheld": 0},
        {"stat_id": "orders", "shown_before": 4, "shown_after": 0,
         "newly_shown": 0, "newly_withheld": 4},
    ]  # fmt: skip
    assert stats["DE"][1]["newly_withheld"] == 1


def test_preview_against_a_stored_version(tmp_path: Path, store_dir: Path) -> None:
    new = edited(tmp_path, STRICTER)
    before_activation = preview_data(tmp_path, new)
    assert run(tmp_path, "config", "activate", str(new), "--approval-ref", "L-2").exit_code == 0

    against_seed = preview_data(tmp_path, new, "--against", SEEDED)
    against_active = preview_data(tmp_path, new)

    assert against_seed["marketplaces"] == before_activation["marketplaces"]
    assert against_seed["against_approval"] == "TEST-0001"
    assert against_active["against_version"] == load_config(new).version
    assert all(
        (m["gained"], m["lost"]) == (0, 0)
        for market in against_active["marketplaces"]
        for b in market["badges"]
        for m in (b["offers"], b["sellers"])
        if m is not None
    )


def test_config_activate_prints_the_preview_first_then_activates(
    tmp_path: Path, store_dir: Path
) -> None:
    new = edited(tmp_path, STRICTER)

    result = run(tmp_path, "config", "activate", str(new), "--approval-ref", "L-2", "--by", "ops")

    version = load_config(new).version
    lines = result.stdout.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[0].startswith(f"launch preview: config {version} (api-tests) against {SEEDED}")
    assert "    fast_delivery: changed" in lines
    assert lines[-1].startswith(f"activated config {version} (approval L-2): ")
    assert SqliteSnapshotStore(store_dir).active_config_version() == version


def test_config_activate_without_the_preview(tmp_path: Path, store_dir: Path) -> None:
    new = edited(tmp_path, STRICTER)

    result = run(tmp_path, "config", "activate", str(new), "--approval-ref", "L-2", "--no-preview")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith(
        f"activated config {load_config(new).version} "
    )
    assert "launch preview" not in result.output


def test_a_removed_badge_is_lost_by_every_holder_and_named_with_its_approval(
    tmp_path: Path, store_dir: Path
) -> None:
    text = CONFIG.read_text()
    start = text.index("[[badges]]", text.index('id = "big_seller"'))
    end = text.index("[[profile_stats]]")
    new = tmp_path / "removed.toml"
    new.write_text(text[:start] + text[end:])

    result = run(tmp_path, "config", "preview", str(new), *ON)

    us = result.stdout.split("\nUS: ")[1].splitlines()
    assert us[3].split() == ["fast_delivery", "0", "-2", "2", "→", "0", "–"]
    assert us[-1] == (
        "    fast_delivery: removed (approval_reference TEST-0001-FAST, approved_here yes, "
        "marketplaces DE, US, effective_from 2026-01-01, effective_until open-ended, enabled yes)"
    )


MARGIN = (
    'approval_reference = "TEST-0001-FAST"\n',
    'approval_reference = "TEST-0001-FAST"\nkeep_margin = { on_time = 0.05 }\n',
)
STAGE_AND_COACHING = (
    "# The last table",
    '[marketplaces.US]\nstore_stage = "established"\n\n[[coaching.resources]]\n'
    'defect = "late_delivery"\ncopy_key = "coaching.resource.delivery_guide"\n'
    'link = "https://sellers.example.com/delivery"\n\n# The last table',
)


def test_keep_margin_store_stage_and_coaching_resource_changes_are_listed(
    tmp_path: Path, store_dir: Path
) -> None:
    new = edited(tmp_path, MARGIN, STAGE_AND_COACHING)
    html = tmp_path / "report.html"
    out = tmp_path / "preview.json"

    result = run(
        tmp_path, "config", "preview", str(new), *ON, "--html", str(html), "--json", str(out)
    )

    assert result.exit_code == 0, result.output
    data = orjson.loads(out.read_bytes())
    assert data["settings"] == [
        {
            "field": "coaching.resources.defect.late_delivery",
            "before": None,
            "after": "coaching.resource.delivery_guide https://sellers.example.com/delivery",
        }
    ]
    markets = {m["marketplace"]: m for m in data["marketplaces"]}
    assert markets["US"]["settings"] == [
        {"field": "store_stage", "before": "emerging", "after": "established"}
    ]
    assert markets["DE"]["settings"] == []
    margin = {
        "field": "keep_margin.on_time",
        "before": None,
        "after": "0.05 (a holder keeps it at >= 0.85)",
    }
    for market in ("US", "DE"):
        [fast] = markets[market]["badge_changes"]
        assert (fast["item_id"], fast["change"], fast["fields"]) == (
            "fast_delivery",
            "changed",
            [margin],
        )
    lines = result.stdout.splitlines()
    assert (
        "  coaching.resources.defect.late_delivery: (none) -> "
        "coaching.resource.delivery_guide https://sellers.example.com/delivery"
    ) in lines
    us = lines.index(next(line for line in lines if line.startswith("US: US-2026-11-27")))
    assert lines[us:].index("  marketplace changes:") < lines[us:].index("  badge changes:")
    assert "    store_stage: emerging -> established" in lines
    assert "      keep_margin.on_time: (none) -> 0.05 (a holder keeps it at >= 0.85)" in lines
    page = html.read_text()
    assert "<td>store_stage</td><td>emerging</td><td>established</td>" in page
    assert "<td>keep_margin.on_time</td>" in page
    assert "<td>coaching.resources.defect.late_delivery</td>" in page


def test_a_marketplace_without_a_snapshot_gets_the_config_changes_only(
    tmp_path: Path, store_dir: Path
) -> None:
    new = edited(tmp_path, ('marketplaces = ["US"]', 'marketplaces = ["US", "FR"]'))
    html = tmp_path / "report.html"

    result = run(tmp_path, "config", "preview", str(new), *ON, "--html", str(html))

    lines = result.stdout.splitlines()
    fr = lines.index("FR: no active snapshot (config changes only)")
    assert lines[fr + 1 : fr + 5] == [
        "  badge changes:",
        "    big_seller: changed",
        "      approved_here: no -> yes",
        "      marketplaces: US -> FR, US",
    ]
    assert "<h2>FR</h2><p>No active snapshot here: the config's changes only.</p>" in (
        html.read_text()
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--against", "nope"], "error: config version 'nope' is not stored"),
        (["--on", "2026-13-01"], "Invalid value for '--on'"),
    ],
    ids=["unknown-version", "bad-day"],
)
def test_preview_refusals_are_one_clear_line(
    tmp_path: Path, store_dir: Path, args: list[str], error: str
) -> None:
    result = run(tmp_path, "config", "preview", str(edited(tmp_path, STRICTER)), *args)

    assert result.exit_code in (1, 2)
    assert error in result.stderr
    assert "Traceback" not in result.output
