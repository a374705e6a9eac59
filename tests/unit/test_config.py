"""Configuration: the TOML file (validation, versions, marketplaces) and the environment."""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.domain_builders import (
    AS_OF,
    offer_counts,
    offer_snapshot,
    seller_counts,
    seller_snapshot,
    subject,
)
from trust_signals.cli import main
from trust_signals.config import (
    Settings,
    TrustConfig,
    default_config_path,
    load_config,
    load_settings,
    parse_config,
)
from trust_signals.domain.badges import evaluate_badges, iter_conditions
from trust_signals.domain.coaching_offers import Resource
from trust_signals.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEFAULT: dict[str, Any] = tomllib.loads(default_config_path().read_text())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime | int | float):
        return value.isoformat() if isinstance(value, date) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _key_values(data: dict[str, Any]) -> list[str]:
    return [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in data.items()]


def to_toml(data: dict[str, Any]) -> str:
    """A TOML document of `data`: one `key = value` line per root key, inline below it, and
    the `[end]` table last."""
    body = _key_values({k: v for k, v in data.items() if k != "end"})
    end = ["[end]", *_key_values(data["end"])] if "end" in data else []
    return "\n".join(body + end) + "\n"


def edited(edit: Callable[[dict[str, Any]], object]) -> str:
    """The default configuration with `edit` applied to its parsed form, as TOML again."""
    data = copy.deepcopy(DEFAULT)
    edit(data)
    return to_toml(data)


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "test.toml")
    return raised.value.problems


def condition(rule: int, index: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: d["badges"][rule]["when"]["all"][index]


def resource(index: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: d["coaching"]["resources"][index]


# --- loading ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        default_config_path(),
        EXAMPLES / "ebay_top_rated_seller.toml",
        EXAMPLES / "ebay_top_rated_plus.toml",
        EXAMPLES / "etsy_star_seller.toml",
    ],
    ids=["default", "ebay-trs", "ebay-trs-plus", "etsy-star-seller"],
)
def test_shipped_configurations_load(path: Path) -> None:
    config = load_config(path)
    assert (config.source, len(config.version), config.base.rules != ()) == (str(path), 12, True)


def test_default_configuration_in_brief() -> None:
    config = load_config(default_config_path())
    base = config.base
    assert (
        config.params.z,
        dict(base.surface_caps),
        dict(base.max_ids),
        [r.rule.id for r in base.rules],
        [s.id for s in base.stats],
        len(base.feature_schema.features),
        config.known_marketplaces,
    ) == (
        1.96,
        {"search": 1, "pdp": 3, "spp": 5},
        {"badges": 100, "features": 1000},
        ["top_rated_seller", "on_time_delivery", "hassle_free_returns", "responsive_seller"],
        [
            "on_time_delivery",
            "orders",
            "positive_feedback",
            "average_rating",
            "response_within_24h",
        ],
        23,
        frozenset({"US", "DE", "IN"}),
    )


@pytest.mark.parametrize(
    ("stat_id", "higher_is_better", "windows"),
    [
        ("on_time_delivery", True, ("90d", "365d")),
        ("orders", True, ("365d",)),
        ("average_rating", True, ("365d",)),
    ],
    ids=["good-rate-with-fallback", "count", "rating"],
)
def test_stats_are_built_with_direction_and_windows(
    stat_id: str, higher_is_better: bool, windows: tuple[str, ...]
) -> None:
    text = edited(lambda d: d["profile_stats"].append(
        {"id": "late", "signal": "seller.late_shipment_rate", "windows": ["90d"],
         "min_sample": 10, "format": "percent"}
    ))  # fmt: skip
    stats = {s.id: s for s in parse_config(text, "t").base.stats}
    found = stats[stat_id]
    assert (
        found.higher_is_better,
        found.windows,
        len(found.compiled),
        stats["late"].higher_is_better,
    ) == (
        higher_is_better,
        windows,
        len(windows),
        False,
    )


def test_load_config_reports_an_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as raised:
        load_config(missing)
    assert raised.value.problems == (f"{missing}: cannot read: No such file or directory",)


# --- versions --------------------------------------------------------------------------


def test_version_ignores_comments_and_layout() -> None:
    original = default_config_path().read_text()
    assert parse_config(original, "a").version == parse_config(to_toml(DEFAULT), "b").version


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(wilson_z=1.64),
        lambda d: condition(0, 2)(d).update(threshold=0.011),
        lambda d: condition(1, 0)(d).update(min_sample=31),
        lambda d: d["dsi_weights"]["fq"].update(damaged=1.9),
        lambda d: d["surfaces"]["search"].update(max_badges=2),
        lambda d: d["badges"][3].update(enabled=False),
        lambda d: d["marketplaces"]["IN"]["thresholds"].update({"top_rated_seller.fq_index": 92}),
        lambda d: d["ranking_features"][0].update(default=0.8),
    ],
    ids=[
        "wilson-z",
        "badge-threshold",
        "min-sample",
        "dsi-weight",
        "surface-cap",
        "kill-switch",
        "marketplace-threshold",
        "feature-default",
    ],
)
def test_version_changes_with_any_value(edit: Callable[[dict[str, Any]], object]) -> None:
    assert parse_config(edited(edit), "a").version != parse_config(to_toml(DEFAULT), "b").version


# --- invalid configurations ------------------------------------------------------------


def _delete(path: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Callable:
    return lambda d: path(d).pop(key)


INVALID: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("rate-threshold-above-1", lambda d: condition(0, 2)(d).update(threshold=1.5),
     "badges[0].when.all[2].threshold: must be between 0 and 1"),
    ("count-threshold-negative", lambda d: condition(0, 6)(d).update(threshold=-1),
     "badges[0].when.all[6].threshold: must be at least 0"),
    ("index-threshold-above-100", lambda d: condition(0, 0)(d).update(threshold=101),
     "badges[0].when.all[0].threshold: must be between 0 and 100"),
    ("threshold-as-string", lambda d: condition(0, 2)(d).update(threshold="0.01"),
     "badges[0].when.all[2].threshold: Not a valid number."),
    ("unknown-signal", lambda d: condition(1, 0)(d).update(signal="offer.nope"),
     "badges[1].when.all[0].signal: unknown signal 'offer.nope'"),
    ("unknown-window", lambda d: condition(0, 6)(d).update(window="7d"),
     "badges[0].when.all[6].window: must be one of 30d, 90d, 365d"),
    ("window-on-attribute", lambda d: condition(0, 7)(d).update(window="90d"),
     "badges[0].when.all[7].window: signal 'seller.tenure_days' has no window"),
    ("missing-window", lambda d: d["badges"][1].pop("window"),
     "badges[1].when.all[0].window: required: the rule has no window or window_by_volume"),
    ("offer-signal-in-seller-rule",
     lambda d: condition(3, 0)(d).update(signal="offer.late_delivery_rate", bound="upper",
                                         comparator="<=", threshold=0.1),
     "badges[3].when.all[0].signal: a seller-level rule can only use seller signals"),
    ("unknown-bound", lambda d: condition(0, 2)(d).update(bound="mean"),
     "badges[0].when.all[2].bound: must be one of point, lower, upper"),
    ("unknown-comparator", lambda d: condition(0, 2)(d).update(comparator="=="),
     "badges[0].when.all[2].comparator: must be one of >=, <=, >, <"),
    ("zero-min-sample", lambda d: condition(1, 0)(d).update(min_sample=0),
     "badges[1].when.all[0].min_sample: Must be greater than or equal to 1."),
    ("group-with-both", lambda d: d["badges"][0]["when"].update(any=[condition(0, 0)(d)]),
     "badges[0].when: give exactly one of all, any"),
    ("unknown-key-in-condition", lambda d: condition(0, 0)(d).update(treshold=1),
     "badges[0].when.all[0].treshold: Unknown field."),
    ("unknown-root-key", lambda d: d.update(wilson=1.96), "wilson: Unknown field."),
    ("unknown-badge-key", lambda d: d["badges"][0].update(colour="gold"),
     "badges[0].colour: Unknown field."),
    ("missing-approval-reference", _delete(lambda d: d["badges"][2], "approval_reference"),
     "badges[2].approval_reference: Missing data for required field."),
    ("missing-enabled", _delete(lambda d: d["badges"][2], "enabled"),
     "badges[2].enabled: Missing data for required field."),
    ("enabled-as-string", lambda d: d["badges"][0].update(enabled="yes"),
     "badges[0].enabled: Not a valid boolean."),
    ("unknown-surface", lambda d: d["badges"][0].update(surfaces=["home"]),
     "badges[0].surfaces[0]: must be one of search, pdp, spp"),
    ("marketplace-lowercase", lambda d: d["badges"][0].update(marketplaces=["us"]),
     "badges[0].marketplaces[0]: must be like US"),
    ("until-before-from", lambda d: d["badges"][0].update(effective_until=date(2025, 12, 31)),
     "badges[0].effective_until: must be after effective_from"),
    ("date-time-not-date",
     lambda d: d["badges"][0].update(effective_from=datetime(2026, 1, 1, 12, 0)),
     "badges[0].effective_from: must be a date such as 2026-01-01, not a date-time"),
    ("inherited-offer-rule", lambda d: d["badges"][1].update(inherit_to_offers=True),
     "badges[1].inherit_to_offers: only seller-level rules are inherited by offers"),
    ("bad-volume-window",
     lambda d: d["badges"][0].update(window_by_volume={
         "signal": "seller.transactions", "window": "90d", "at_least": 400, "then": "90d",
         "otherwise": "1y"}),
     "badges[0].window_by_volume.otherwise: must be one of 30d, 90d, 365d"),
    ("two-windows",
     lambda d: d["badges"][0].update(window_by_volume={
         "signal": "seller.transactions", "window": "90d", "at_least": 400, "then": "90d",
         "otherwise": "365d"}),
     "badges[0].window: give window or window_by_volume, not both"),
    ("duplicate-condition-id", lambda d: condition(0, 1)(d).update(id="fq_index"),
     "badges[0].when.all[1].id: duplicate condition id 'fq_index'"),
    ("duplicate-badge-id", lambda d: d["badges"][2].update(id="top_rated_seller"),
     "badges[2].id: duplicate id 'top_rated_seller'"),
    ("duplicate-feature-name", lambda d: d["ranking_features"][3].update(name="offer_free_returns"),
     "ranking_features[11].name: duplicate name 'offer_free_returns'"),
    ("duplicate-stat-id", lambda d: d["profile_stats"][4].update(id="orders"),
     "profile_stats[4].id: duplicate id 'orders'"),
    ("missing-dsi-weight", _delete(lambda d: d["dsi_weights"]["fq"], "damaged"),
     "dsi_weights.fq.damaged: Missing data for required field."),
    ("unknown-dsi-weight", lambda d: d["dsi_weights"]["csq"].update(slow_refund=1.0),
     "dsi_weights.csq.slow_refund: Unknown field."),
    ("negative-dsi-weight", lambda d: d["dsi_weights"]["fq"].update(late_delivery=-0.1),
     "dsi_weights.fq.late_delivery: Must be greater than or equal to 0."),
    ("zero-z", lambda d: d.update(wilson_z=0), "wilson_z: Must be greater than 0."),
    ("missing-legal-z", lambda d: d.pop("wilson_z"), "wilson_z: Missing data for required field."),
    ("negative-pseudo-orders", lambda d: d.update(shrinkage_pseudo_orders=-1),
     "shrinkage_pseudo_orders: Must be greater than or equal to 0."),
    ("unknown-cohort-dimension", lambda d: d.update(shrinkage_cohort=["colour"]),
     "shrinkage_cohort[0]: must be one of tenure, location, category, channel"),
    ("tenure-edges-unordered", lambda d: d.update(tenure_band_edges_days=[365, 90]),
     "tenure_band_edges_days: must be strictly increasing"),
    ("missing-surface", lambda d: d["surfaces"].pop("spp"),
     "surfaces.spp: Missing data for required field."),
    ("negative-surface-cap", lambda d: d["surfaces"]["pdp"].update(max_badges=-1),
     "surfaces.pdp.max_badges: Must be greater than or equal to 0."),
    ("zero-id-limit", lambda d: d["max_ids"].update(features=0),
     "max_ids.features: Must be greater than or equal to 1."),
    ("percent-of-a-count", lambda d: d["profile_stats"][1].update(format="percent"),
     "profile_stats[1].format: 'percent' does not fit a count signal"),
    ("stat-on-offer-signal", lambda d: d["profile_stats"][0].update(signal="offer.orders"),
     "profile_stats[0].signal: must be a windowed seller signal"),
    ("clip-without-clip-transform", lambda d: d["ranking_features"][0].update(clip=[0, 1]),
     "ranking_features[0].clip: required with transform 'clip', and only with it"),
    ("clip-reversed", lambda d: d["ranking_features"][8].update(clip=[100.0, 0.0]),
     "ranking_features[8].clip: low must not exceed high"),
    ("feature-without-window", lambda d: d["ranking_features"][0].pop("window"),
     "ranking_features[0].window: signal 'offer.on_time_delivery_rate' needs a window "
     "(30d, 90d, 365d)"),
    ("override-unknown-badge",
     lambda d: d["marketplaces"]["IN"]["thresholds"].update({"gold_star.fq_index": 90}),
     "marketplaces.IN.thresholds[\"gold_star.fq_index\"]: unknown badge 'gold_star'"),
    ("override-unknown-condition",
     lambda d: d["marketplaces"]["IN"]["thresholds"].update({"top_rated_seller.nope": 90}),
     "marketplaces.IN.thresholds[\"top_rated_seller.nope\"]: badge 'top_rated_seller' has no "
     "condition with id 'nope'"),
    ("override-threshold-out-of-range",
     lambda d: d["marketplaces"]["IN"]["thresholds"].update(
         {"top_rated_seller.order_defect_rate": 2}),
     "marketplaces.IN.thresholds[\"top_rated_seller.order_defect_rate\"]: must be between 0 "
     "and 1"),
    ("override-key-without-condition",
     lambda d: d["marketplaces"]["IN"]["thresholds"].update({"top_rated_seller": 90}),
     "marketplaces.IN.thresholds.top_rated_seller: must be 'badge_id.condition_id'"),
    ("override-disables-unknown-badge",
     lambda d: d["marketplaces"]["IN"].update(badges_disabled=["gold_star"]),
     "marketplaces.IN.badges_disabled[0]: unknown badge 'gold_star'"),
    ("override-unknown-key", lambda d: d["marketplaces"]["IN"].update(surfaces={}),
     "marketplaces.IN.surfaces: Unknown field."),
    ("marketplace-name", lambda d: d["marketplaces"].update(india={}),
     "marketplaces.india: must be a marketplace like US"),
    ("marketplaces-not-a-table", lambda d: d.update(marketplaces=3),
     "marketplaces: must be a table"),
    ("override-not-a-table", lambda d: d["marketplaces"].update(IN=3),
     "marketplaces.IN: Invalid input type."),
    ("store-stage-unknown", lambda d: d["marketplaces"]["IN"].update(store_stage="nascent"),
     "marketplaces.IN.store_stage: must be one of emerging, established"),
    ("store-stage-not-a-string", lambda d: d["marketplaces"]["US"].update(store_stage=True),
     "marketplaces.US.store_stage: Not a valid string."),
    ("store-stage-at-the-top", lambda d: d.update(store_stage="established"),
     "store_stage: Unknown field."),
    ("override-threshold-as-string",
     lambda d: d["marketplaces"]["IN"]["thresholds"].update({"top_rated_seller.fq_index": "93"}),
     "marketplaces.IN.thresholds[\"top_rated_seller.fq_index\"]: must be a finite number"),
    ("override-threshold-infinite",
     lambda d: d["marketplaces"]["IN"]["thresholds"].update({"top_rated_seller.orders": 1e999}),
     "marketplaces.IN.thresholds[\"top_rated_seller.orders\"]: must be a finite number"),
    ("threshold-infinite", lambda d: condition(0, 6)(d).update(threshold=1e999),
     "badges[0].when.all[6].threshold: Special numeric values (nan or infinity) are not "
     "permitted."),
    ("integer-as-float", lambda d: d.update(min_cohort_size=10.5),
     "min_cohort_size: Not a valid integer."),
    ("condition-not-a-table", lambda d: d["badges"][0]["when"].update(all=[1]),
     "badges[0].when.all[0]: must be a condition table or a group with all or any"),
    ("badge-id-not-a-string", lambda d: d["badges"][0].update(id=5),
     "badges[0].id: Not a valid string."),
    ("badges-not-a-list", lambda d: d.update(badges={}), "badges: Not a valid list."),
    ("stat-window-repeated", lambda d: d["profile_stats"][0].update(windows=["90d", "90d"]),
     "profile_stats[0].windows: must not repeat a window"),
    ("resource-without-target", _delete(resource(0), "defect"),
     "coaching.resources[0]: give exactly one of defect, criterion"),
    ("resource-with-both", lambda d: resource(0)(d).update(criterion="seller.damaged_rate"),
     "coaching.resources[0]: give exactly one of defect, criterion"),
    ("resource-unknown-defect", lambda d: resource(1)(d).update(defect="late_shipments"),
     "coaching.resources[1].defect: must be one of late_shipment, late_delivery, cancellation, "
     "missing_tracking, damaged, not_as_described, fq_claim, fq_negative_feedback, "
     "unanswered_contact, unsatisfactory_contact, return_dissatisfaction, cs_claim, "
     "cs_negative_feedback"),
    ("resource-unknown-criterion", lambda d: resource(8)(d).update(criterion="seller.speed"),
     "coaching.resources[8].criterion: unknown signal 'seller.speed'"),
    ("resource-offer-criterion", lambda d: resource(8)(d).update(criterion="offer.orders"),
     "coaching.resources[8].criterion: must be a seller signal: coaching covers the seller's "
     "badges"),
    ("resource-plain-http", lambda d: resource(2)(d).update(link="http://example.com/guide"),
     "coaching.resources[2].link: must be an https URL"),
    ("resource-not-a-url", lambda d: resource(2)(d).update(link="see the guide"),
     "coaching.resources[2].link: must be an https URL"),
    ("resource-without-copy-key", _delete(resource(3), "copy_key"),
     "coaching.resources[3].copy_key: Missing data for required field."),
    ("resource-repeated", lambda d: d["coaching"]["resources"].append(resource(4)(d)),
     "coaching.resources[10]: repeats resource 'coaching.resource.packaging_guide' for 'damaged'"),
    ("resource-unknown-key", lambda d: resource(0)(d).update(title="Ship faster"),
     "coaching.resources[0].title: Unknown field."),
    ("coaching-unknown-key", lambda d: d["coaching"].update(guides=[]),
     "coaching.guides: Unknown field."),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "problem"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_configuration_is_refused_naming_where(
    edit: Callable[[dict[str, Any]], object], problem: str
) -> None:
    assert problem in problems_of(edited(edit))


def test_every_problem_is_reported_at_once() -> None:
    def break_three_things(d: dict[str, Any]) -> None:
        condition(0, 2)(d).update(threshold=1.5)
        d["dsi_weights"]["csq"].pop("cs_claim")
        d["ranking_features"][1]["name"] = d["ranking_features"][0]["name"]

    assert problems_of(edited(break_three_things)) == (
        "dsi_weights.csq.cs_claim: Missing data for required field.",
        "badges[0].when.all[2].threshold: must be between 0 and 1",
        "ranking_features[1].name: duplicate name 'offer_on_time_delivery_lower'",
    )


def test_toml_syntax_error_names_line_and_column() -> None:
    assert problems_of('config_name = "x"\nwilson_z = \n[end]\nconfig_name = "x"\n') == (
        "test.toml: TOML syntax error: Invalid value (at line 2, column 12)",
    )


# --- the [end] table -------------------------------------------------------------------

CUT_SHORT = (
    "end: missing: a config ends with an [end] table repeating its config_name; "
    "without it the file may be cut short"
)


def test_config_without_end_table_is_refused_as_maybe_cut_short() -> None:
    assert problems_of(edited(lambda d: d.pop("end"))) == (CUT_SHORT,)


def test_end_table_must_name_the_config() -> None:
    assert problems_of(edited(lambda d: d["end"].update(config_name="other"))) == (
        "end.config_name: must equal config_name 'default', got 'other'",
    )


def test_end_table_without_config_name_is_refused() -> None:
    assert problems_of(edited(lambda d: d["end"].pop("config_name"))) == (
        "end.config_name: " + CUT_SHORT.removeprefix("end: "),
    )


def test_table_after_end_is_refused_naming_it_and_its_line() -> None:
    text = default_config_path().read_text() + "\n[marketplaces.FR]\n"
    assert problems_of(text) == (
        f"end: must be the last table of the file, but [marketplaces.FR] follows it at line "
        f"{len(text.splitlines())}",
    )


def test_end_written_inline_is_refused() -> None:
    text = 'end = { config_name = "default" }\n' + edited(lambda d: d.pop("end"))
    assert problems_of(text) == (CUT_SHORT,)


def test_text_cut_mid_value_names_the_missing_end_before_the_syntax_error() -> None:
    assert problems_of('config_name = "x"\nwilson_z = \n') == (
        CUT_SHORT,
        "test.toml: TOML syntax error: Invalid value (at line 2, column 12)",
    )


def test_config_check_refuses_every_line_prefix_of_the_default_but_the_whole_file(
    tmp_path: Path,
) -> None:
    # A file written in place is read half-written: no prefix of it may pass for a config.
    lines = default_config_path().read_text().splitlines(keepends=True)
    copy = tmp_path / "copy.toml"
    # Complete: only blank or comment lines are left out.
    complete = [
        all(not line.strip() or line.lstrip().startswith("#") for line in lines[cut:])
        for cut in range(len(lines) + 1)
    ]
    outcomes = []
    for cut in range(len(lines) + 1):
        copy.write_text("".join(lines[:cut]))
        result = CliRunner().invoke(main, ["config", "check", str(copy)])
        says_why = result.output.startswith(("error: end: ", "error: end.config_name: "))
        outcomes.append((cut, result.exit_code == 0, result.exit_code == 0 or says_why))
    assert outcomes == [(cut, complete[cut], True) for cut in range(len(lines) + 1)]
    assert complete.count(True) == 1


# --- marketplaces ----------------------------------------------------------------------


def _threshold(config: TrustConfig, marketplace: str, badge: str, condition_id: str) -> float:
    [rule] = [c.rule for c in config.for_marketplace(marketplace).rules if c.rule.id == badge]
    return next(c.threshold for _, c in iter_conditions(rule.when) if c.id == condition_id)


@pytest.mark.parametrize(
    ("marketplace", "threshold"),
    [("IN", 93), ("US", 95), ("DE", 95), ("FR", 95)],
    ids=["emerging-store-override", "US-base", "DE-base", "unknown-falls-back-to-base"],
)
def test_threshold_differs_only_where_overridden(marketplace: str, threshold: float) -> None:
    config = load_config(default_config_path())
    assert _threshold(config, marketplace, "top_rated_seller", "fq_index") == threshold


@pytest.mark.parametrize(
    ("marketplace", "expected"),
    [("US", ["on_time_delivery", "hassle_free_returns"]), ("DE", ["on_time_delivery",
     "hassle_free_returns"]), ("IN", ["on_time_delivery"]), ("FR", [])],
    ids=["approved-US", "approved-DE", "not-approved-IN", "unknown-marketplace"],
)  # fmt: skip
def test_badge_not_approved_in_a_marketplace_is_not_shown_there(
    marketplace: str, expected: list[str]
) -> None:
    config = load_config(default_config_path())
    market = config.for_marketplace(marketplace)
    # A new, unresponsive seller (no seller badge) with a punctual, free-returns offer.
    counts = seller_counts(contacts_answered_24h=100, returns=300, return_dissatisfaction=0)
    seller = seller_snapshot(tenure_days=10, windows={"90d": counts})
    punctual = offer_counts(orders=1000, on_time_deliveries=1000, late_deliveries=0)
    offer = offer_snapshot(free_returns=True, return_window_days=30, windows={"90d": punctual})
    badges = evaluate_badges(
        market.rules,
        subject(seller, offer),
        market.params,
        surface="pdp",
        marketplace=marketplace,
        on=AS_OF,
        max_badges=3,
    )
    assert [b.id for b in badges] == expected


def test_badge_disabled_in_one_marketplace_only() -> None:
    text = edited(lambda d: d["marketplaces"]["IN"].update(badges_disabled=["on_time_delivery"]))
    config = parse_config(text, "t")
    enabled = {
        marketplace: {c.rule.id: c.rule.enabled for c in config.for_marketplace(marketplace).rules}[
            "on_time_delivery"
        ]
        for marketplace in ("IN", "US")
    }
    assert enabled == {"IN": False, "US": True}


@pytest.mark.parametrize(
    ("marketplace", "stage"),
    [("IN", "emerging"), ("US", "established"), ("DE", "established"), ("FR", "emerging")],
    ids=["IN", "US", "DE", "unknown-marketplace"],
)
def test_default_config_places_each_store_in_its_stage(marketplace: str, stage: str) -> None:
    assert load_config(default_config_path()).for_marketplace(marketplace).store_stage == stage


def test_a_marketplace_table_without_a_store_stage_is_an_emerging_store() -> None:
    config = parse_config(edited(lambda d: d["marketplaces"]["US"].pop("store_stage")), "t")
    assert config.for_marketplace("US").store_stage == "emerging"


def test_a_store_stage_change_changes_the_config_version_but_needs_no_recomputation() -> None:
    before = load_config(default_config_path())
    after = parse_config(
        edited(lambda d: d["marketplaces"]["IN"].update(store_stage="established")), "t"
    )
    assert after.for_marketplace("IN").store_stage == "established"
    assert after.version != before.version
    assert all(
        after.for_marketplace(m).signals_version == before.for_marketplace(m).signals_version
        for m in ("IN", "US", "DE")
    )


def test_describe_is_plain_data_of_every_marketplace() -> None:
    described = load_config(default_config_path()).describe()
    encoded = json.loads(json.dumps(described))
    assert (
        sorted(encoded["marketplaces"]),
        encoded["marketplaces"]["IN"]["threshold_overrides"],
        {m: c["store_stage"] for m, c in encoded["marketplaces"].items()},
        encoded["base"]["store_stage"],
    ) == (
        ["DE", "IN", "US"],
        {"top_rated_seller.fq_index": 93},
        {"DE": "established", "IN": "emerging", "US": "established"},
        "emerging",
    )


# --- settings --------------------------------------------------------------------------


def test_settings_default_to_operational_values() -> None:
    assert load_settings({}) == Settings(
        store="var/store",
        config=default_config_path(),
        admin_token=None,
        cache_size=100_000,
        reload_interval_seconds=0.5,
    )


def test_settings_read_every_variable() -> None:
    environ = {
        "TRUST_SIGNALS_STORE": "redis://127.0.0.1:6379/0",
        "TRUST_SIGNALS_CONFIG": "/etc/trust/config.toml",
        "TRUST_SIGNALS_ADMIN_TOKEN": "s3cret-token",
        "TRUST_SIGNALS_AUDIT_TOKEN": "audit-token",
        "TRUST_SIGNALS_CACHE_SIZE": "5000",
        "TRUST_SIGNALS_RELOAD_INTERVAL_SECONDS": "2.5",
        "TRUST_SIGNALS_SELLER_LINK_SECRET": "sixteen-chars-ok",
        "UNRELATED": "ignored",
    }
    assert load_settings(environ) == Settings(
        store="redis://127.0.0.1:6379/0",
        config=Path("/etc/trust/config.toml"),
        admin_token="s3cret-token",
        cache_size=5000,
        reload_interval_seconds=2.5,
        audit_token="audit-token",
        seller_link_secret="sixteen-chars-ok",
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRUST_SIGNALS_CACHE_SIZE", "lots"),
        ("TRUST_SIGNALS_CACHE_SIZE", "-1"),
        ("TRUST_SIGNALS_STORE_TIMEOUT_SECONDS", "0"),
        ("TRUST_SIGNALS_STORE_TIMEOUT_SECONDS", "nan"),
        ("TRUST_SIGNALS_RELOAD_INTERVAL_SECONDS", "soon"),
        ("TRUST_SIGNALS_RELOAD_INTERVAL_SECONDS", "inf"),
        ("TRUST_SIGNALS_STORE", ""),
        ("TRUST_SIGNALS_STORE", "ftp://host/store"),
        ("TRUST_SIGNALS_CONFIG", " "),
        ("TRUST_SIGNALS_ADMIN_TOKEN", ""),
        ("TRUST_SIGNALS_AUDIT_TOKEN", " "),
        ("TRUST_SIGNALS_SELLER_LINK_SECRET", ""),
        ("TRUST_SIGNALS_SELLER_LINK_SECRET", "fifteen-chars-x"),
    ],
    ids=[
        "cache-size-word",
        "cache-size-negative",
        "timeout-zero",
        "timeout-nan",
        "interval-word",
        "interval-infinite",
        "store-empty",
        "store-unknown-scheme",
        "config-blank",
        "admin-token-empty",
        "audit-token-blank",
        "link-secret-empty",
        "link-secret-short",
    ],
)
def test_invalid_setting_is_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})
    assert [p.split(":")[0] for p in raised.value.problems] == [variable]


def test_audit_token_equal_to_the_admin_token_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"TRUST_SIGNALS_ADMIN_TOKEN": "same", "TRUST_SIGNALS_AUDIT_TOKEN": "same"})
    assert raised.value.problems == (
        "TRUST_SIGNALS_AUDIT_TOKEN: must differ from TRUST_SIGNALS_ADMIN_TOKEN",
    )


def test_every_invalid_setting_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(
            {"TRUST_SIGNALS_CACHE_SIZE": "x", "TRUST_SIGNALS_RELOAD_INTERVAL_SECONDS": "-5"}
        )
    assert [p.split(":")[0] for p in raised.value.problems] == [
        "TRUST_SIGNALS_CACHE_SIZE",
        "TRUST_SIGNALS_RELOAD_INTERVAL_SECONDS",
    ]


SERVE_TIME_CHANGES = [
    ("enabled = true", "enabled = false"),
    ('copy_key = "coaching.resource.packaging_guide"', 'copy_key = "coaching.resource.box"'),
    ("priority = 100", "priority = 7"),
    ('copy_key = "badge.top_rated_seller"', 'copy_key = "badge.other"'),
    ('marketplaces = ["US", "DE", "IN"]', 'marketplaces = ["US"]'),
    ("effective_from = 2026-01-01", "effective_from = 2026-06-01"),
    ('surfaces = ["search", "pdp", "spp"]', 'surfaces = ["spp"]'),
]
SIGNAL_CHANGES = [
    ("wilson_z = 1.96", "wilson_z = 1.9"),
    ("shrinkage_pseudo_orders = 20", "shrinkage_pseudo_orders = 30"),
    ("late_delivery = 1.0", "late_delivery = 1.1"),
    ("inherit_to_offers = true ", "inherit_to_offers = false "),
    ('window = "90d"', 'window = "365d"'),
    ("threshold = 95", "threshold = 94"),
]


def replaced(old: str, new: str) -> Any:
    text = default_config_path().read_text()
    assert old in text, old
    return parse_config(text.replace(old, new, 1), "changed")


@pytest.mark.parametrize(("old", "new"), SERVE_TIME_CHANGES)
def test_a_serve_time_change_keeps_the_signals_version(old: str, new: str) -> None:
    before, after = load_config(default_config_path()), replaced(old, new)

    assert after.version != before.version
    assert after.base.signals_version == before.base.signals_version


@pytest.mark.parametrize(("old", "new"), SIGNAL_CHANGES)
def test_a_change_to_what_signals_depend_on_changes_the_signals_version(old: str, new: str) -> None:
    before, after = load_config(default_config_path()), replaced(old, new)

    assert after.base.signals_version != before.base.signals_version


def test_a_marketplace_threshold_override_has_its_own_signals_version() -> None:
    config = load_config(default_config_path())

    assert config.for_marketplace("IN").signals_version != config.base.signals_version
    assert config.for_marketplace("US").signals_version == config.base.signals_version


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MAX_SNAPSHOT_SHRINK", "0", 0.0),
        ("MAX_SNAPSHOT_SHRINK", "1", 1.0),
        ("BREAKER_FAILURES", "3", 3),
        ("CACHE_SIZE", "0", 0),
    ],
)
def test_numeric_settings_accept_their_whole_range(name: str, value: str, expected: float) -> None:
    settings = load_settings({f"TRUST_SIGNALS_{name}": value})
    field = {"MAX_SNAPSHOT_SHRINK": "max_snapshot_shrink"}.get(name, name.lower())

    assert getattr(settings, field) == expected


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("MAX_SNAPSHOT_SHRINK", "1.5", "must be a share in [0, 1], got '1.5'"),
        ("MAX_SNAPSHOT_SHRINK", "-0.1", "must be a share in [0, 1]"),
        ("BREAKER_FAILURES", "0.5", "must be a whole number >= 1, got '0.5'"),
        ("BREAKER_FAILURES", "0", "must be a whole number >= 1"),
        ("CACHE_SIZE", "x", "must be a whole number >= 0, got 'x'"),
        ("RELOAD_INTERVAL_SECONDS", "nan", "must be a number of seconds > 0"),
    ],
)
def test_numeric_settings_name_what_they_expect(name: str, value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({f"TRUST_SIGNALS_{name}": value})

    assert any(f"TRUST_SIGNALS_{name}: {problem}" in line for line in refused.value.problems)


def test_coaching_resources_are_read_per_marketplace_and_optional() -> None:
    config = load_config(default_config_path())
    (late,) = [r for r in config.base.coaching_resources if r.defect == "late_shipment"]
    assert late == Resource(
        "coaching.resource.fulfillment_program",
        "https://sellercentral.example.com/programs/fulfillment",
        defect="late_shipment",
    )
    assert config.for_marketplace("IN").coaching_resources == config.base.coaching_resources
    assert parse_config(edited(lambda d: d.pop("coaching")), "t").base.coaching_resources == ()
