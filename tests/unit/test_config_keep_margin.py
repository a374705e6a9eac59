"""The config's keep margins: validated with their path, shown, and part of signals_version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.test_config import edited, problems_of, replaced
from trust_signals.config import default_config_path, load_config, parse_config
from trust_signals.domain.badge_rules import iter_conditions, relaxed_rule

OTD = 1  # on_time_delivery, the default config's second badge


def margins(badge: int, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["badges"][badge].update(keep_margin=value)


INVALID = [
    ("unknown-condition", margins(OTD, {"on_tme": 0.01}),
     "badges[1].keep_margin.on_tme: the rule has no condition with id 'on_tme'"),
    ("negative", margins(OTD, {"on_time": -0.01}),
     "badges[1].keep_margin.on_time: must be at least 0"),
    ("wider-than-the-rate", margins(OTD, {"on_time": 1.2}),
     "badges[1].keep_margin.on_time: must be at most 1, the range of offer.on_time_delivery_rate"),
    ("wider-than-the-index", margins(0, {"fq_index": 120}),
     "badges[0].keep_margin.fq_index: must be at most 100, the range of seller.fq_index"),
    ("not-a-number", margins(OTD, {"on_time": "0.01"}),
     "badges[1].keep_margin.on_time: must be a finite number"),
    ("not-a-table", margins(OTD, 0.01), "badges[1].keep_margin: must be a table"),
    ("bad-id", margins(OTD, {"On-Time": 0.01}),
     'badges[1].keep_margin["On-Time"]: must be 1-64 characters of a-z 0-9 _, starting with a '
     "letter"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "problem"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_an_invalid_keep_margin_is_refused_naming_where(
    edit: Callable[[dict[str, Any]], object], problem: str
) -> None:
    assert problem in problems_of(edited(edit))


def test_the_default_config_gives_its_badges_margins() -> None:
    config = load_config(default_config_path())
    rules = {c.rule.id: c for c in config.base.rules}

    assert rules["on_time_delivery"].rule.keep_margin == (("on_time", 0.01),)
    assert all(c.kept is not None for c in rules.values())
    shown = config.base.describe()["badges"]
    assert {b["id"]: b["keep_margin"] for b in shown}["on_time_delivery"] == {"on_time": 0.01}


def test_a_rule_may_have_no_keep_margin() -> None:
    config = parse_config(edited(lambda d: d["badges"][OTD].pop("keep_margin")), "test.toml")
    rules = {c.rule.id: c for c in config.base.rules}

    assert rules["on_time_delivery"].rule.keep_margin == ()
    assert rules["on_time_delivery"].kept is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("keep_margin = { on_time = 0.01 }", "keep_margin = { on_time = 0.02 }"),
        ("keep_margin = { on_time = 0.01 }", ""),
        ("keep_margin = { response_rate = 0.02 }", "keep_margin = { response_rate = 0.0 }"),
    ],
    ids=["wider", "removed", "zero"],
)
def test_a_keep_margin_change_changes_the_signals_version(old: str, new: str) -> None:
    before, after = load_config(default_config_path()), replaced(old, new)

    assert after.base.signals_version != before.base.signals_version
    assert after.for_marketplace("IN").signals_version != (
        before.for_marketplace("IN").signals_version
    )


def test_a_margin_is_relaxed_from_a_marketplace_threshold_override() -> None:
    text = default_config_path().read_text()
    text = text.replace("keep_margin = { fq_index = 1.0,", "keep_margin = { fq_index = 2.0,", 1)
    config = parse_config(text, "test.toml")
    [india] = [c for c in config.for_marketplace("IN").rules if c.rule.id == "top_rated_seller"]

    thresholds = {c.id: c.threshold for _, c in iter_conditions(india.rule.when)}
    relaxed = {c.id: c.threshold for _, c in iter_conditions(relaxed_rule(india.rule).when)}
    assert (thresholds["fq_index"], relaxed["fq_index"]) == (93, 91)
