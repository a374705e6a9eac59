"""Who gains and loses each badge and stat: cohorts, held badges and counts of transitions."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.domain_builders import seller_snapshot
from trust_signals.domain.badges import BadgeRule, Condition, Group, compile_rules
from trust_signals.domain.cohorts import CohortSpec
from trust_signals.domain.launch_impact import (
    OFFERS,
    SELLERS,
    BadgeTransitions,
    Movement,
    StatImpact,
    StatTransitions,
    badge_movement,
    cohort_order,
    held_badges,
    preview_cohort,
    stat_impacts,
)

SPEC = CohortSpec((90, 365), ("category",), 2)
ORDER = cohort_order(SPEC)
NEW = ("<90d", "media", "fba", "third party")
OLD = (">=365d", "general", "mfn", "third party")
RETAIL = (">=365d", "general", "fba", "first party")


def a_rule(rule_id: str, **overrides: Any) -> BadgeRule:
    fields: dict[str, Any] = {
        "id": rule_id,
        "level": "offer",
        "surfaces": frozenset({"search", "pdp"}),
        "priority": 10,
        "marketplaces": frozenset({"US"}),
        "effective_from": date(2026, 1, 1),
        "effective_until": None,
        "enabled": True,
        "copy_key": f"badge.{rule_id}",
        "approval_reference": "LEGAL-1",
        "when": Group("all", (Condition("offer.orders", "point", ">=", 1, window="90d"),)),
    }
    return BadgeRule(**{**fields, **overrides})


def test_a_sellers_cohort_is_its_tenure_band_category_channel_and_party() -> None:
    young = seller_snapshot(tenure_days=30, category_group="media", fulfillment_channel="fba")
    retail = seller_snapshot(tenure_days=900, first_party=True, fulfillment_channel="fba")

    assert preview_cohort(young, SPEC) == NEW
    assert preview_cohort(retail, SPEC) == RETAIL


def test_cohort_values_read_in_order_tenure_bands_shortest_first() -> None:
    bands, categories, channels, parties = ORDER

    assert bands == ("<90d", "90-365d", ">=365d")
    assert (categories[0], channels[0], parties) == ("heavy_bulky", "fba", ORDER[3])
    assert parties == ("third party", "first party")


def test_held_badges_are_those_shown_on_some_surface_caps_and_approvals_applied() -> None:
    rules = compile_rules(
        [
            a_rule("first", priority=30),
            a_rule("second", priority=20),
            a_rule("pdp_only", priority=25, surfaces=frozenset({"pdp"})),
            a_rule("unapproved", marketplaces=frozenset({"DE"})),
            a_rule("later", effective_from=date(2027, 1, 1)),
            a_rule("unmet"),
        ]
    )
    met = {"first", "second", "pdp_only", "unapproved", "later"}

    held = held_badges(
        rules,
        met,
        is_offer=True,
        max_badges={"search": 1, "pdp": 2},
        marketplace="US",
        on=date(2026, 12, 2),
    )

    # search shows `first` only (cap 1); the PDP `first` and `pdp_only` (cap 2): `second`
    # shows nowhere.
    assert held == frozenset({"first", "pdp_only"})


def transitions() -> BadgeTransitions:
    return Counter(
        {
            (OFFERS, NEW, frozenset(), frozenset({"top"})): 5,
            (OFFERS, OLD, frozenset({"top"}), frozenset()): 2,
            (OFFERS, OLD, frozenset({"top", "fast"}), frozenset({"top", "fast"})): 7,
            (OFFERS, ("<90d", "media", "fba", "elsewhere"), frozenset(), frozenset({"top"})): 1,
            (SELLERS, RETAIL, frozenset({"top"}), frozenset()): 1,
        }
    )


def test_a_badges_movement_counts_holders_and_movers_by_cohort() -> None:
    movement = badge_movement(transitions(), OFFERS, "top", ORDER)

    assert movement == Movement(
        held_before=9,
        held_after=13,
        gained=6,
        lost=2,
        gained_by={
            "tenure": {"<90d": 6},
            "category": {"media": 6},
            "channel": {"fba": 6},
            # A value the order does not know comes after the known ones.
            "first_party": {"third party": 5, "elsewhere": 1},
        },
        lost_by={
            "tenure": {">=365d": 2},
            "category": {"general": 2},
            "channel": {"mfn": 2},
            "first_party": {"third party": 2},
        },
    )


def test_movements_of_sellers_and_of_a_badge_nobody_moved() -> None:
    sellers = badge_movement(transitions(), SELLERS, "top", ORDER)
    steady = badge_movement(transitions(), OFFERS, "fast", ORDER)

    assert (sellers.held_before, sellers.held_after, sellers.gained, sellers.lost) == (1, 0, 0, 1)
    assert sellers.lost_by["first_party"] == {"first party": 1}
    assert (steady.held_before, steady.held_after, steady.gained, steady.lost) == (7, 7, 0, 0)
    assert steady.gained_by == dict.fromkeys(("tenure", "category", "channel", "first_party"), {})


def test_stat_impacts_count_sellers_newly_showing_and_withholding_each_stat() -> None:
    shown: StatTransitions = Counter(
        {
            (frozenset({"orders"}), frozenset({"orders", "on_time"})): 4,
            (frozenset({"orders", "on_time"}), frozenset({"orders"})): 1,
            (frozenset({"rating"}), frozenset()): 2,
        }
    )

    impacts = stat_impacts(shown, ["orders", "on_time", "rating", "new"])

    assert impacts == [
        StatImpact("orders", 5, 5, 0, 0),
        StatImpact("on_time", 1, 4, 4, 1),
        StatImpact("rating", 2, 0, 0, 2),
        StatImpact("new", 0, 0, 0, 0),
    ]


BADGE_SETS = st.frozensets(st.sampled_from(["top", "fast", "returns"]))
COHORTS = st.tuples(
    st.sampled_from(ORDER[0]), st.sampled_from(["media", "toys"]), st.just("fba"),
    st.sampled_from(ORDER[3]),
)  # fmt: skip


@given(
    st.dictionaries(
        st.tuples(st.sampled_from([OFFERS, SELLERS]), COHORTS, BADGE_SETS, BADGE_SETS),
        st.integers(min_value=1, max_value=1_000),
    )
)
def test_holders_after_are_holders_before_plus_gains_less_losses_in_every_cohort(
    counts: dict[tuple[str, tuple[str, ...], frozenset[str], frozenset[str]], int],
) -> None:
    found: BadgeTransitions = Counter(counts)

    for kind in (OFFERS, SELLERS):
        for badge_id in ("top", "fast", "returns"):
            movement = badge_movement(found, kind, badge_id, ORDER)
            assert movement.held_after == movement.held_before + movement.gained - movement.lost
            for dimension in ("tenure", "category", "channel", "first_party"):
                assert sum(movement.gained_by[dimension].values()) == movement.gained
                assert sum(movement.lost_by[dimension].values()) == movement.lost
