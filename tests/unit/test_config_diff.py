"""What a new config changes, field by field: badge rules (approvals, dates, switches,
conditions), profile stats and the ranking schema."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from trust_signals.domain.badge_rules import BadgeRule, Condition, Group, VolumeWindow
from trust_signals.domain.config_diff import (
    FieldChange,
    ItemChange,
    badge_changes,
    condition_text,
    field_changes,
    rule_fields,
    schema_change,
    stat_changes,
)
from trust_signals.domain.profile_stats import StatDefinition
from trust_signals.domain.ranking_features import FeatureDefinition, feature_schema
from trust_signals.domain.signal_bounds import compile_bound
from trust_signals.domain.signals import compile_signal

ORDERS = Condition("seller.orders", "point", ">=", 100, window="365d", id="orders")
TENURE = Condition("seller.tenure_days", "point", ">=", 90)


def a_rule(**overrides: Any) -> BadgeRule:
    fields: dict[str, Any] = {
        "id": "top",
        "level": "seller",
        "surfaces": frozenset({"search", "spp"}),
        "priority": 10,
        "marketplaces": frozenset({"US", "DE"}),
        "effective_from": date(2026, 1, 1),
        "effective_until": None,
        "enabled": True,
        "copy_key": "badge.top",
        "approval_reference": "LEGAL-1",
        "when": Group("all", (ORDERS, Group("any", (TENURE,)))),
        "window": "90d",
    }
    return BadgeRule(**{**fields, **overrides})


def a_stat(stat_id: str = "orders", **overrides: Any) -> StatDefinition:
    fields: dict[str, Any] = {
        "id": stat_id,
        "signal": "seller.orders",
        "windows": ("90d", "365d"),
        "min_sample": 1,
        "format": "count",
        "higher_is_better": True,
    }
    fields.update(overrides)
    compiled = tuple(compile_signal(fields["signal"], w) for w in fields["windows"])
    return StatDefinition(**fields, compiled=compiled)


def a_feature(name: str, **overrides: Any) -> FeatureDefinition:
    fields: dict[str, Any] = {
        "name": name,
        "signal": "offer.orders",
        "window": "90d",
        "bound": "point",
        "transform": "identity",
        "clip_min": None,
        "clip_max": None,
        "default": 0.0,
    }
    fields.update(overrides)
    compiled = compile_bound(fields["signal"], fields["window"], fields["bound"])
    return FeatureDefinition(**fields, compiled=compiled)


def test_field_changes_lists_only_differences_old_fields_first_then_new_ones() -> None:
    changes = field_changes({"a": "1", "b": "2", "c": "3"}, {"d": "4", "b": "2", "a": "9"})

    assert changes == (
        FieldChange("a", "1", "9"),
        FieldChange("c", "3", None),
        FieldChange("d", None, "4"),
    )


@pytest.mark.parametrize(
    ("condition", "text"),
    [
        (ORDERS, "seller.orders[365d] point >= 100"),
        (TENURE, "seller.tenure_days point >= 90"),
        (
            Condition("offer.on_time_delivery_rate", "lower", ">=", 0.95, min_sample=30),
            "offer.on_time_delivery_rate lower >= 0.95 (min sample 30)",
        ),
    ],
    ids=["windowed", "attribute", "min-sample"],
)
def test_a_condition_reads_as_signal_window_bound_comparator_threshold(
    condition: Condition, text: str
) -> None:
    assert condition_text(condition) == text


def test_a_rule_reads_as_its_approval_display_and_every_condition_by_path() -> None:
    rule = a_rule(effective_until=date(2027, 1, 1), inherit_to_offers=True)

    assert rule_fields(rule, "IN") == {
        "approval_reference": "LEGAL-1",
        "approved_here": "no",
        "marketplaces": "DE, US",
        "effective_from": "2026-01-01",
        "effective_until": "2027-01-01",
        "enabled": "yes",
        "level": "seller (shown on its offers too)",
        "surfaces": "search, spp",
        "priority": "10",
        "copy_key": "badge.top",
        "window": "90d",
        "window_by_volume": "none",
        "when.all[0] (orders)": "seller.orders[365d] point >= 100",
        "when.all[1].any[0]": "seller.tenure_days point >= 90",
    }


def test_a_window_by_volume_reads_as_its_choice() -> None:
    volume = VolumeWindow("seller.transactions", "90d", 400, "90d", "365d")

    fields = rule_fields(a_rule(window=None, window_by_volume=volume, enabled=False), "US")

    assert (fields["window"], fields["window_by_volume"], fields["enabled"]) == (
        "none",
        "90d if seller.transactions[90d] >= 400, else 365d",
        "no",
    )
    assert (fields["effective_until"], fields["approved_here"]) == ("open-ended", "yes")


DEFECTS = Condition(
    "seller.order_defect_rate", "upper", "<", 0.01, window="90d", id="order_defect_rate"
)


def test_a_keep_margin_reads_as_the_margin_and_the_bar_a_holder_must_still_meet() -> None:
    rule = a_rule(
        when=Group("all", (ORDERS, DEFECTS)),
        keep_margin=(("order_defect_rate", 0.002), ("orders", 10.0)),
    )

    fields = rule_fields(rule, "US")

    assert {name: text for name, text in fields.items() if name.startswith("keep_margin")} == {
        "keep_margin.order_defect_rate": "0.002 (a holder keeps it at < 0.012)",
        "keep_margin.orders": "10 (a holder keeps it at >= 90)",
    }


def test_keep_margins_widened_added_and_dropped_are_changes_of_the_rule() -> None:
    when = Group("all", (ORDERS, DEFECTS))
    before = a_rule(when=when, keep_margin=(("orders", 10.0),))
    after = a_rule(when=when, keep_margin=(("order_defect_rate", 0.002), ("orders", 20.0)))

    [widened] = badge_changes([before], [after], "US")
    [dropped] = badge_changes([after], [a_rule(when=when)], "US")

    assert widened == ItemChange(
        "top",
        "changed",
        (
            FieldChange(
                "keep_margin.orders",
                "10 (a holder keeps it at >= 90)",
                "20 (a holder keeps it at >= 80)",
            ),
            FieldChange(
                "keep_margin.order_defect_rate", None, "0.002 (a holder keeps it at < 0.012)"
            ),
        ),
    )
    assert [(f.field, f.after) for f in dropped.fields] == [
        ("keep_margin.order_defect_rate", None),
        ("keep_margin.orders", None),
    ]
    assert widened.approvals == ()


def test_a_threshold_override_moves_the_bar_a_holder_keeps_its_badge_at() -> None:
    margin = {"keep_margin": (("orders", 10.0),)}
    stricter = Group("all", (dataclasses.replace(ORDERS, threshold=200), Group("any", (TENURE,))))

    [found] = badge_changes([a_rule(**margin)], [a_rule(when=stricter, **margin)], "US")

    assert found.fields[-1] == FieldChange(
        "keep_margin.orders",
        "10 (a holder keeps it at >= 90)",
        "10 (a holder keeps it at >= 190)",
    )


def test_badges_added_removed_and_unchanged() -> None:
    kept, gone, new = a_rule(), a_rule(id="gone"), a_rule(id="new", approval_reference="L-9")

    changes = badge_changes([kept, gone], [new, kept], "US")

    assert [(c.item_id, c.change) for c in changes] == [("gone", "removed"), ("new", "added")]
    added = changes[1]
    assert added.fields[0] == FieldChange("approval_reference", None, "L-9")
    assert all(f.before is None for f in added.fields)
    assert all(f.after is None for f in changes[0].fields)


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [(True, False, "disabled"), (False, True, "enabled")],
    ids=["kill-switch", "switched-on"],
)
def test_a_flipped_kill_switch_names_the_change(before: bool, after: bool, change: str) -> None:
    [found] = badge_changes([a_rule(enabled=before)], [a_rule(enabled=after, priority=5)], "US")

    assert found == ItemChange(
        "top",
        change,
        (
            FieldChange("enabled", "yes" if before else "no", "yes" if after else "no"),
            FieldChange("priority", "10", "5"),
        ),
    )


def test_approval_dates_and_places_are_the_approval_fields_of_a_change() -> None:
    after = a_rule(
        approval_reference="LEGAL-2",
        marketplaces=frozenset({"US", "DE", "IN"}),
        effective_from=date(2026, 3, 1),
        when=Group("all", (dataclasses.replace(ORDERS, threshold=200), Group("any", (TENURE,)))),
    )

    [found] = badge_changes([a_rule()], [after], "IN")

    assert found.change == "changed"
    assert found.approvals == (
        FieldChange("approval_reference", "LEGAL-1", "LEGAL-2"),
        FieldChange("approved_here", "no", "yes"),
        FieldChange("marketplaces", "DE, US", "DE, IN, US"),
        FieldChange("effective_from", "2026-01-01", "2026-03-01"),
    )
    assert found.fields[-1] == FieldChange(
        "when.all[0] (orders)",
        "seller.orders[365d] point >= 100",
        "seller.orders[365d] point >= 200",
    )


def test_stats_added_removed_and_redefined() -> None:
    before = [a_stat(), a_stat("rating", signal="seller.average_rating", format="rating")]
    after = [a_stat(min_sample=10, windows=("365d",)), a_stat("late")]

    changes = stat_changes(before, after)

    assert changes == [
        ItemChange(
            "orders",
            "changed",
            (FieldChange("windows", "90d, 365d", "365d"), FieldChange("min_sample", "1", "10")),
        ),
        ItemChange(
            "rating",
            "removed",
            (
                FieldChange("signal", "seller.average_rating", None),
                FieldChange("windows", "90d, 365d", None),
                FieldChange("min_sample", "1", None),
                FieldChange("format", "rating", None),
            ),
        ),
        ItemChange("late", "added", changes[2].fields),
    ]


def test_the_same_schema_is_no_change() -> None:
    features = [a_feature("a"), a_feature("b")]

    change = schema_change(feature_schema(features), feature_schema(list(features)))

    assert not change.changed
    assert (change.added, change.removed, change.moved, change.redefined) == ((), (), (), ())


def test_features_added_and_removed_make_a_new_version() -> None:
    before = feature_schema([a_feature("a"), a_feature("b"), a_feature("c")])
    after = feature_schema([a_feature("a"), a_feature("c"), a_feature("d")])

    change = schema_change(before, after)

    assert change.changed
    assert (change.added, change.removed, change.moved) == (("d",), ("b",), ())
    assert (change.names_before, change.names_after) == (("a", "b", "c"), ("a", "c", "d"))


@pytest.mark.parametrize(
    ("order", "moved"),
    [
        (["b", "a", "c", "d"], ("a",)),  # a swap: one move explains it
        (["b", "c", "d", "a"], ("a",)),  # the first to the end: only it moved
        (["d", "c", "b", "a"], ("c", "b", "a")),  # reversed: all but one moved
    ],
    ids=["swap", "first-to-last", "reversed"],
)
def test_a_reordered_schema_names_the_fewest_features_moved(
    order: list[str], moved: tuple[str, ...]
) -> None:
    before = feature_schema([a_feature(name) for name in "abcd"])
    after = feature_schema([a_feature(name) for name in order])

    change = schema_change(before, after)

    assert change.changed
    assert (change.added, change.removed, change.moved) == ((), (), moved)


def test_a_redefined_feature_keeps_its_place_and_lists_its_fields() -> None:
    before = feature_schema([a_feature("a"), a_feature("b")])
    clipped = a_feature("b", transform="clip", clip_min=0.0, clip_max=None, default=1.0)
    after = feature_schema([a_feature("a", window=None, signal="seller.tenure_days"), clipped])

    change = schema_change(before, after)

    assert change.changed
    assert change.moved == ()
    assert change.redefined == (
        ItemChange(
            "a", "changed", (FieldChange("signal", "offer.orders[90d]", "seller.tenure_days"),)
        ),
        ItemChange(
            "b",
            "changed",
            (
                FieldChange("transform", "identity", "clip"),
                FieldChange("clip", "none", "[0, none]"),
                FieldChange("default", "0", "1"),
            ),
        ),
    )
