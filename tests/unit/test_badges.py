"""Badge rules: conditions, groups, windows, approval, display order and explanations."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.domain_builders import (
    AS_OF,
    offer_counts,
    offer_snapshot,
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
)
from trust_signals.domain.badge_checks import Leaf, compile_tree, leaf_check
from trust_signals.domain.badges import (
    COMPARATORS,
    SURFACES,
    Badge,
    BadgeDecision,
    BadgeRule,
    CompiledRule,
    Condition,
    ConditionExplanation,
    Group,
    RuleExplanation,
    VolumeWindow,
    compile_rule,
    compile_rules,
    earned_seller_rules,
    evaluate_badges,
    evaluate_surfaces,
    explain_badges,
    met_rules,
    override_thresholds,
    rule_problems,
    shown_badges,
    threshold_problem,
    threshold_range,
)
from trust_signals.domain.signals import Subject, signal_catalogue
from trust_signals.domain.snapshots import OFFER_COUNT_BOUNDS, SELLER_COUNT_BOUNDS

PARAMS = signal_params()
TRACKING = Condition("seller.valid_tracking_rate", "point", ">=", 0.95, window="90d")


def a_rule(*conditions: Condition | Group, **overrides: Any) -> BadgeRule:
    """An enabled, approved, live seller rule over `conditions` (all of them)."""
    fields: dict[str, Any] = {
        "id": "badge",
        "level": "seller",
        "surfaces": frozenset({"search", "pdp", "spp"}),
        "priority": 10,
        "marketplaces": frozenset({"US", "DE"}),
        "effective_from": date(2026, 1, 1),
        "effective_until": None,
        "enabled": True,
        "copy_key": "badge.copy",
        "approval_reference": "LEGAL-1",
        "when": Group("all", conditions or (TRACKING,)),
    }
    return BadgeRule(**{**fields, **overrides})


def earned_ids(
    rules: list[BadgeRule] | tuple[CompiledRule, ...],
    who: Subject | None = None,
    *,
    surface: str = "pdp",
    marketplace: str = "US",
    on: date = AS_OF,
    max_badges: int = 10,
) -> list[str]:
    compiled = rules if isinstance(rules, tuple) else compile_rules(rules)
    badges = evaluate_badges(
        compiled,
        who or subject(),
        PARAMS,
        surface=surface,
        marketplace=marketplace,
        on=on,
        max_badges=max_badges,
    )
    return [b.id for b in badges]


def meets(*conditions: Condition | Group, who: Subject | None = None, **rule: Any) -> bool:
    return earned_ids([a_rule(*conditions, **rule)], who) == ["badge"]


# Late shipments 10 of 1,000: point 0.01, Wilson (z 1.96) lower 0.00544, upper 0.01831.
@pytest.mark.parametrize(
    ("bound", "comparator", "threshold", "expected"),
    [
        ("point", ">=", 0.01, True),
        ("point", ">=", 0.0101, False),
        ("point", ">", 0.01, False),
        ("point", ">", 0.0099, True),
        ("point", "<=", 0.01, True),
        ("point", "<=", 0.0099, False),
        ("point", "<", 0.01, False),
        ("point", "<", 0.0101, True),
        ("lower", ">=", 0.0054, True),
        ("lower", ">=", 0.0055, False),
        ("upper", "<=", 0.0184, True),
        ("upper", "<=", 0.0183, False),
        ("upper", "<", 0.02, True),
        ("lower", ">", 0.006, False),
        ("lower", "<=", 0.0055, True),
        ("lower", "<", 0.0054, False),
        ("upper", ">=", 0.0183, True),
        ("upper", ">", 0.019, False),
        ("upper", ">=", 0.005, True),
    ],
    ids=lambda v: str(v),
)
def test_condition_compares_the_chosen_bound(
    bound: str, comparator: str, threshold: float, expected: bool
) -> None:
    condition = Condition("seller.late_shipment_rate", bound, comparator, threshold, window="90d")
    assert meets(condition) is expected


@pytest.mark.parametrize(
    ("min_sample", "expected"),
    [(0, True), (999, True), (1000, True), (1001, False)],
    ids=["no-minimum", "minimum-below-sample", "minimum-at-sample", "minimum-above-sample"],
)
def test_condition_fails_below_its_minimum_sample(min_sample: int, expected: bool) -> None:
    condition = dataclasses.replace(TRACKING, min_sample=min_sample)
    assert meets(condition) is expected


NO_SHIPMENTS = subject(
    seller_snapshot(
        windows={
            "90d": seller_counts(
                shipments=0,
                late_shipments=0,
                shipments_with_valid_tracking=0,
                on_time_tracked_shipments=0,
            )
        }
    )
)


@pytest.mark.parametrize(
    ("condition", "who"),
    [
        (TRACKING, NO_SHIPMENTS),
        (
            Condition("seller.days_since_first_sale", "point", ">=", 0),
            subject(seller_snapshot(first_sale_date=None)),
        ),
        (Condition("seller.late_shipment_rate", "upper", "<=", 1.0, window="90d"), NO_SHIPMENTS),
    ],
    ids=["rate-without-shipments", "never-sold", "bound-without-shipments"],
)
def test_condition_without_data_fails_even_at_the_loosest_threshold(
    condition: Condition, who: Subject
) -> None:
    assert not meets(condition, who=who)


YES = Condition("seller.tenure_days", "point", ">=", 1)
NO = Condition("seller.tenure_days", "point", ">=", 10_000)


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        (Group("all", (YES, YES)), True),
        (Group("all", (YES, NO)), False),
        (Group("any", (NO, YES)), True),
        (Group("any", (NO, NO)), False),
        (Group("all", (YES, Group("any", (NO, YES)))), True),
        (Group("all", (YES, Group("any", (NO, NO)))), False),
        (Group("any", (NO, Group("all", (YES, Group("any", (NO, YES)))))), True),
        (Group("any", (Group("all", (YES, NO)), Group("all", (NO, YES)))), False),
    ],
    ids=[
        "all-pass",
        "all-one-fails",
        "any-one-passes",
        "any-none-passes",
        "all-with-any-passing",
        "all-with-any-failing",
        "three-levels",
        "any-of-failing-alls",
    ],
)
def test_groups_combine_their_conditions(tree: Group, expected: bool) -> None:
    assert meets(tree) is expected


def _volume_seller(transactions_90d: int) -> Subject:
    # Clean over 90 days, 10 % defects over 365 days: only the window decides.
    clean = seller_counts(
        transactions=transactions_90d,
        transaction_defects=0,
        transaction_defect_buyers=0,
        cases_closed_without_resolution=0,
        domestic_transactions=transactions_90d,
    )
    dirty = seller_counts(transactions=2000, transaction_defects=200, domestic_transactions=1800)
    return subject(seller_snapshot(windows={"90d": clean, "365d": dirty}))  # fmt: skip


EBAY_WINDOW = VolumeWindow("seller.transactions", "90d", 400, "90d", "365d")
DEFECTS = Condition("seller.transaction_defect_rate", "point", "<=", 0.005)


@pytest.mark.parametrize(
    ("transactions_90d", "expected"),
    [(400, True), (1000, True), (399, False), (0, False)],
    ids=["at-volume-uses-90d", "above-volume-uses-90d", "below-uses-365d", "none-uses-365d"],
)
def test_window_is_chosen_by_volume(transactions_90d: int, expected: bool) -> None:
    who = _volume_seller(transactions_90d)
    assert meets(DEFECTS, who=who, window_by_volume=EBAY_WINDOW) is expected


def test_explicit_condition_window_ignores_the_volume_choice() -> None:
    explicit = dataclasses.replace(DEFECTS, window="90d")
    assert meets(explicit, who=_volume_seller(10), window_by_volume=EBAY_WINDOW)


def test_rule_window_applies_to_conditions_without_one() -> None:
    who = _volume_seller(10)
    assert (meets(DEFECTS, who=who, window="90d"), meets(DEFECTS, who=who, window="365d")) == (
        True,
        False,
    )


@pytest.mark.parametrize(
    ("marketplace", "expected"),
    [("US", ["badge"]), ("DE", ["badge"]), ("IN", [])],
    ids=["approved-US", "approved-DE", "not-approved-IN"],
)
def test_badge_shows_only_where_approved(marketplace: str, expected: list[str]) -> None:
    assert earned_ids([a_rule()], marketplace=marketplace) == expected


FROM, UNTIL = date(2026, 3, 1), date(2026, 6, 1)


@pytest.mark.parametrize(
    ("on", "until", "expected"),
    [
        (FROM - timedelta(days=1), UNTIL, []),
        (FROM, UNTIL, ["badge"]),
        (UNTIL - timedelta(days=1), UNTIL, ["badge"]),
        (UNTIL, UNTIL, []),
        (date(2030, 1, 1), None, ["badge"]),
    ],
    ids=["day-before-from", "from-inclusive", "last-day", "until-exclusive", "open-ended"],
)
def test_badge_shows_only_while_effective(on: date, until: date | None, expected: list) -> None:
    rule = a_rule(effective_from=FROM, effective_until=until)
    assert earned_ids([rule], on=on) == expected


def test_disabled_badge_never_shows() -> None:
    assert earned_ids([a_rule(enabled=False), a_rule(id="other")]) == ["other"]


_SIGNALS = st.sampled_from(
    [
        ("seller.valid_tracking_rate", 0.0, 1.0),
        ("seller.late_shipment_rate", 0.0, 1.0),
        ("seller.orders", 0.0, 3000.0),
        ("seller.fq_index", 0.0, 100.0),
    ]
)


@st.composite
def _rules(draw: st.DrawFn) -> list[BadgeRule]:
    rules = []
    for index in range(draw(st.integers(1, 6))):
        signal, low, high = draw(_SIGNALS)
        condition = Condition(
            signal,
            draw(st.sampled_from(["point", "lower", "upper"])),
            draw(st.sampled_from([">=", "<=", ">", "<"])),
            draw(st.floats(low, high)),
            window="90d",
        )
        rules.append(
            a_rule(
                condition,
                id=f"r{index}",
                enabled=draw(st.booleans()),
                priority=draw(st.integers(0, 3)),
                surfaces=frozenset(draw(st.sets(st.sampled_from(["search", "pdp"]), min_size=1))),
            )
        )
    return rules


@given(
    rules=_rules(),
    late=st.integers(0, 1000),
    surface=st.sampled_from(["search", "pdp"]),
    cap=st.integers(0, 6),
)
def test_disabled_badges_never_show_and_never_take_a_slot(
    rules: list[BadgeRule], late: int, surface: str, cap: int
) -> None:
    who = subject(seller_snapshot(windows={"90d": seller_counts(late_shipments=late)}))
    shown = earned_ids(rules, who, surface=surface, max_badges=cap)
    enabled_only = [r for r in rules if r.enabled]
    disabled = {r.id for r in rules if not r.enabled}
    assert not disabled & set(shown)
    assert shown == earned_ids(enabled_only, who, surface=surface, max_badges=cap)


RANKED = [
    a_rule(id="c_low", priority=1),
    a_rule(id="b_high", priority=20),
    a_rule(id="a_high", priority=20),
    a_rule(id="pdp_only", priority=30, surfaces=frozenset({"pdp"})),
    a_rule(NO, id="unearned", priority=50),
]


@pytest.mark.parametrize(
    ("surface", "cap", "expected"),
    [
        ("search", 1, ["a_high"]),
        ("search", 2, ["a_high", "b_high"]),
        ("search", 5, ["a_high", "b_high", "c_low"]),
        ("pdp", 3, ["pdp_only", "a_high", "b_high"]),
        ("pdp", 0, []),
    ],
    ids=["search-cap-1", "search-cap-2", "search-uncapped", "pdp-cap-3", "cap-0"],
)
def test_badges_ordered_by_priority_then_id_and_capped(
    surface: str, cap: int, expected: list[str]
) -> None:
    assert earned_ids(RANKED, surface=surface, max_badges=cap) == expected


def test_evaluate_returns_whole_badges() -> None:
    rule = a_rule(id="top", copy_key="badge.top", priority=7, approval_reference="LEGAL-7")
    compiled = compile_rules([rule])
    badges = evaluate_badges(
        compiled, subject(), PARAMS, surface="pdp", marketplace="US", on=AS_OF, max_badges=3
    )
    assert badges == [Badge("top", "badge.top", "seller", 7, "LEGAL-7")]


OFFER_RULE = a_rule(
    Condition("offer.on_time_delivery_rate", "point", ">=", 0.9, window="90d"),
    id="offer_badge",
    level="offer",
)
LEVEL_RULES = [
    a_rule(id="inherited", inherit_to_offers=True),
    a_rule(id="seller_only"),
    OFFER_RULE,
]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (subject(offer=offer_snapshot()), ["inherited", "offer_badge"]),
        (subject(), ["inherited", "seller_only"]),
    ],
    ids=["offer-gets-offer-and-inherited", "seller-gets-seller-rules"],
)
def test_badge_levels_and_inheritance(who: Subject, expected: list[str]) -> None:
    assert earned_ids(LEVEL_RULES, who) == expected


@pytest.mark.parametrize(
    ("inherited", "expected"),
    [(frozenset({"inherited"}), {"inherited", "offer_badge"}), (frozenset(), {"offer_badge"})],
    ids=["seller-earned-it", "seller-did-not"],
)
def test_an_offer_meets_a_seller_rule_only_as_its_seller_earned_it(
    inherited: frozenset[str], expected: set[str]
) -> None:
    rules = compile_rules(LEVEL_RULES)
    who = subject(offer=offer_snapshot())

    assert met_rules(rules, who, PARAMS, inherited=inherited) == expected


def test_offer_rule_judges_the_offer_not_the_seller() -> None:
    late_offer = offer_snapshot(windows={"90d": offer_counts(on_time_deliveries=20)})
    assert earned_ids([OFFER_RULE], subject(offer=late_offer)) == []


def test_explanation_lists_every_condition_with_its_outcome() -> None:
    rule = a_rule(
        Condition("seller.tenure_days", "point", ">=", 90, id="tenure"),
        Group(
            "any",
            (
                Condition("seller.late_shipment_rate", "upper", "<", 0.01, id="late"),
                Condition("seller.orders", "point", ">=", 100, window="365d", min_sample=5000),
            ),
        ),
        window="90d",
    )
    [explanation] = explain_badges(
        compile_rules([rule]), subject(), PARAMS, marketplace="US", on=AS_OF
    )
    assert explanation == RuleExplanation(
        rule_id="badge",
        approval_reference="LEGAL-1",
        level="seller",
        window_choice="rule window 90d",
        conditions=(
            ConditionExplanation(
                "when.all[0]", "tenure", "seller.tenure_days", None, "point", ">=", 90,
                400, 1, 0, True, "400 >= 90",
            ),
            ConditionExplanation(
                "when.all[1].any[0]", "late", "seller.late_shipment_rate", "90d", "upper", "<",
                0.01, 0.01830966530539216, 1000, 0, False, "0.01830966530539216 not < 0.01",
            ),
            ConditionExplanation(
                "when.all[1].any[1]", None, "seller.orders", "365d", "point", ">=", 100,
                1000, 1000, 5000, False, "sample 1000 below minimum 5000",
            ),
        ),
        conditions_met=False,
        withheld_reason=None,
        earned=False,
    )  # fmt: skip
    assert explanation.decision == BadgeDecision(
        "badge",
        False,
        (
            "when.all[1].any[0] seller.late_shipment_rate: 0.01830966530539216 not < 0.01",
            "when.all[1].any[1] seller.orders: sample 1000 below minimum 5000",
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "who", "surface", "reason"),
    [
        ({"enabled": False}, subject(), None, "disabled (kill switch)"),
        ({"marketplaces": frozenset({"DE"})}, subject(), None, "not approved in US"),
        ({"effective_from": date(2027, 1, 1)}, subject(), None, "not effective before 2027-01-01"),
        ({"effective_until": AS_OF}, subject(), None, "not effective from 2026-11-27"),
        ({"surfaces": frozenset({"spp"})}, subject(), "search", "not shown on search"),
        ({}, subject(offer=offer_snapshot()), None, "seller badge not shown on offers"),
        ({"level": "offer"}, subject(), None, "offer badge: needs an offer"),
    ],
    ids=["disabled", "not-approved", "not-yet", "expired", "other-surface", "not-inherited",
         "offer-rule-on-seller"],
)  # fmt: skip
def test_explanation_names_why_a_met_rule_is_withheld(
    overrides: dict[str, Any], who: Subject, surface: str | None, reason: str
) -> None:
    [explanation] = explain_badges(
        compile_rules([a_rule(**overrides)]),
        who,
        PARAMS,
        marketplace="US",
        on=AS_OF,
        surface=surface,
    )
    assert (explanation.conditions_met, explanation.earned, explanation.withheld_reason) == (
        True,
        False,
        reason,
    )
    assert explanation.decision == BadgeDecision("badge", False, (reason,))


@pytest.mark.parametrize(
    ("transactions_90d", "choice"),
    [
        (500, "seller.transactions over 90d = 500 >= 400, so 90d"),
        (10, "seller.transactions over 90d = 10 < 400, so 365d"),
    ],
    ids=["volume-met", "volume-not-met"],
)
def test_explanation_shows_the_window_chosen_by_volume(transactions_90d: int, choice: str) -> None:
    rule = a_rule(DEFECTS, window_by_volume=EBAY_WINDOW)
    [explanation] = explain_badges(
        compile_rules([rule]), _volume_seller(transactions_90d), PARAMS, marketplace="US", on=AS_OF
    )
    assert (explanation.window_choice, explanation.conditions[0].window) == (
        choice,
        choice.split()[-1],
    )


@given(late=st.integers(0, 1000), surface=st.sampled_from(["search", "pdp", "spp"]))
def test_explanation_agrees_with_evaluation(late: int, surface: str) -> None:
    who = subject(seller_snapshot(windows={"90d": seller_counts(late_shipments=late)}))
    rules = compile_rules(
        [
            a_rule(
                Condition("seller.late_shipment_rate", "upper", "<", 0.05), id="a", window="90d"
            ),
            a_rule(id="b", surfaces=frozenset({"spp"})),
            a_rule(id="c", enabled=False),
        ]
    )
    explained = explain_badges(rules, who, PARAMS, marketplace="US", on=AS_OF, surface=surface)
    assert [e.rule_id for e in explained if e.earned] == earned_ids(rules, who, surface=surface)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (
            a_rule(Condition("seller.late_shipment_rate", "point", "<", 2.0, window="90d")),
            ("when.all[0].threshold", "must be between 0 and 1"),
        ),
        (
            a_rule(Condition("seller.orders", "point", ">=", -1, window="90d")),
            ("when.all[0].threshold", "must be at least 0"),
        ),
        (
            a_rule(Condition("seller.average_rating", "point", ">=", 6, window="90d")),
            ("when.all[0].threshold", "must be between 1 and 5"),
        ),
        (
            a_rule(Condition("seller.late_shipment_rate", "point", "<", 0.1)),
            ("when.all[0].window", "required: the rule has no window or window_by_volume"),
        ),
        (
            a_rule(Condition("seller.tenure_days", "point", ">=", 90, window="90d")),
            ("when.all[0].window", "signal 'seller.tenure_days' has no window"),
        ),
        (
            a_rule(Condition("seller.nonsense", "point", ">=", 1, window="90d")),
            ("when.all[0].signal", "unknown signal 'seller.nonsense'"),
        ),
        (
            a_rule(Condition("offer.handling_days", "point", "<=", 1)),
            ("when.all[0].signal", "a seller-level rule can only use seller signals"),
        ),
        (
            a_rule(Condition("seller.tenure_days", "mean", "=>", 1)),
            ("when.all[0].bound", "must be one of point, lower, upper"),
        ),
        (
            a_rule(YES, Group("any", (dataclasses.replace(YES, id="x"),
                                      dataclasses.replace(NO, id="x")))),
            ("when.all[1].any[1].id", "duplicate condition id 'x'"),
        ),
        (a_rule(Group("all", ())), ("when.all[0].all", "must hold at least one condition")),
        (a_rule(level="offer", inherit_to_offers=True),
         ("inherit_to_offers", "only seller-level rules are inherited by offers")),
        (a_rule(surfaces=frozenset({"home"})),
         ("surfaces", "must be a non-empty subset of search, pdp, spp")),
        (a_rule(effective_until=date(2026, 1, 1)),
         ("effective_until", "must be after effective_from")),
        (a_rule(window="90d", window_by_volume=EBAY_WINDOW),
         ("window", "give window or window_by_volume, not both")),
        (a_rule(window_by_volume=dataclasses.replace(EBAY_WINDOW, otherwise="7d")),
         ("window_by_volume.otherwise", "must be one of 30d, 90d, 365d")),
        (a_rule(dataclasses.replace(YES, min_sample=-1)),
         ("when.all[0].min_sample", "must be at least 0")),
        (a_rule(dataclasses.replace(TRACKING, window="7d")),
         ("when.all[0].window", "must be one of 30d, 90d, 365d")),
        (a_rule(Group("none", (YES,))), ("when.all[0]", "a group must be one of all, any")),
        (a_rule(level="shop"), ("level", "must be one of seller, offer")),
        (a_rule(marketplaces=frozenset()),
         ("marketplaces", "must name at least one approved marketplace")),
        (a_rule(window="7d"), ("window", "must be one of 30d, 90d, 365d")),
        (a_rule(window_by_volume=dataclasses.replace(EBAY_WINDOW, at_least=-1)),
         ("window_by_volume.at_least", "must be at least 0")),
        (a_rule(window_by_volume=dataclasses.replace(EBAY_WINDOW, signal="seller.tenure_days")),
         ("window_by_volume", "signal 'seller.tenure_days' has no window")),
        (a_rule(window_by_volume=dataclasses.replace(EBAY_WINDOW, signal="offer.orders")),
         ("window_by_volume.signal", "a seller-level rule can only use seller signals")),
    ],
    ids=["rate-above-1", "negative-count", "rating-above-5", "missing-window",
         "window-on-attribute", "unknown-signal", "offer-signal-in-seller-rule", "bad-bound",
         "duplicate-condition-id", "empty-group", "inherited-offer-rule", "unknown-surface",
         "until-before-from", "two-windows", "bad-volume-window", "negative-min-sample",
         "unknown-condition-window", "unknown-group-mode", "unknown-level", "no-marketplace",
         "unknown-rule-window", "negative-volume", "volume-on-attribute", "offer-volume"],
)  # fmt: skip
def test_invalid_rule_is_reported_with_its_path(rule: BadgeRule, problem: tuple) -> None:
    assert problem in rule_problems(rule)
    with pytest.raises(ValueError, match="rule 'badge'"):
        compile_rule(rule)


def test_valid_rule_has_no_problems() -> None:
    assert rule_problems(a_rule(DEFECTS, window_by_volume=EBAY_WINDOW)) == []


def test_duplicate_badge_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate badge ids: badge"):
        compile_rules([a_rule(), a_rule()])


def test_threshold_override_replaces_only_the_named_condition() -> None:
    rule = a_rule(
        dataclasses.replace(TRACKING, id="tracking"),
        Group("any", (dataclasses.replace(YES, id="t"),)),
    )
    changed = override_thresholds(rule, {"t": 5})
    assert [
        c.threshold for c in (changed.when.children[0], changed.when.children[1].children[0])
    ] == [
        0.95,
        5,
    ]


def test_threshold_override_of_unknown_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="has no condition nope"):
        override_thresholds(a_rule(), {"nope": 0.5})


@pytest.mark.parametrize(
    ("reference", "threshold", "problem"),
    [
        ("offer.free_returns", 1, None),
        ("offer.free_returns", 2, "must be between 0 and 1"),
        ("seller.fq_index", 100, None),
        ("seller.fq_index", 100.5, "must be between 0 and 100"),
        ("seller.tenure_days", 10_000, None),
    ],
    ids=["flag-ok", "flag-above-1", "index-ok", "index-above-100", "attribute-unbounded"],
)
def test_threshold_ranges_follow_the_signal_kind(
    reference: str, threshold: float, problem: str | None
) -> None:
    assert threshold_problem(reference, threshold) == problem


def test_explanation_without_volume_data_uses_the_longer_window() -> None:
    rule = a_rule(
        Condition("offer.late_delivery_rate", "point", "<=", 0.1),
        level="offer",
        window_by_volume=VolumeWindow("offer.orders", "90d", 100, "90d", "365d"),
    )
    [explanation] = explain_badges(
        compile_rules([rule]), subject(), PARAMS, marketplace="US", on=AS_OF
    )
    assert (explanation.window_choice, explanation.conditions[0].reason) == (
        "offer.orders over 90d: no data, so 365d",
        "no data",
    )


@st.composite
def _counts(draw: st.DrawFn, fields: dict[str, Any], bounds: tuple) -> dict[str, Any]:
    """Random small counts (zeros likely) repaired so every event fits its opportunities."""
    values = {
        name: draw(st.floats(0, 40)) if isinstance(value, float) else draw(st.integers(0, 12))
        for name, value in fields.items()
        if name != "ratings"
    }
    for event, opportunity in bounds:
        values[event] = min(values[event], values[opportunity])
    return values


@st.composite
def _subjects(draw: st.DrawFn) -> Subject:
    seller_fields = seller_counts()._asdict()
    bounds = (*SELLER_COUNT_BOUNDS, ("domestic_sales_amount", "sales_amount"))
    counts = draw(_counts(seller_fields, bounds))
    ratings = tuple(draw(st.lists(st.integers(0, 5), min_size=5, max_size=5)))
    seller = seller_snapshot(
        windows={"90d": seller_counts(**counts, ratings=ratings)},
        first_sale_date=draw(st.none() | st.dates(date(2020, 1, 1), AS_OF)),
        tenure_days=draw(st.integers(0, 2000)),
    )
    offer = None
    if draw(st.booleans()):
        values = draw(_counts(offer_counts()._asdict(), OFFER_COUNT_BOUNDS))
        values["on_time_deliveries"] = min(
            values["on_time_deliveries"], values["orders"] - values["late_deliveries"]
        )
        offer = offer_snapshot(
            windows={"90d": offer_counts(**values)},
            handling_days=draw(st.integers(0, 5)),
            free_returns=draw(st.booleans()),
        )
    return subject(seller, offer)


@given(
    reference=st.sampled_from(sorted(signal_catalogue())),
    bound=st.sampled_from(["point", "lower", "upper"]),
    comparator=st.sampled_from([">=", "<=", ">", "<"]),
    position=st.floats(0, 1),
    min_sample=st.integers(0, 3),
    who=_subjects(),
    z=st.floats(0.5, 3),
)
def test_fast_check_agrees_with_the_signal_measure(
    reference: str,
    bound: str,
    comparator: str,
    position: float,
    min_sample: int,
    who: Subject,
    z: float,
) -> None:
    low, high = threshold_range(reference)
    threshold = low + position * ((high if high is not None else 40.0) - low)
    windowed = signal_catalogue()[reference]
    condition = Condition(
        reference, bound, comparator, threshold, "90d" if windowed else None, min_sample
    )
    [leaf] = compile_tree(Group("all", (condition,)), None).children
    assert isinstance(leaf, Leaf)
    params = signal_params(z=z)
    measure = leaf.fn(who, params)
    value = measure.bound(bound)
    expected = (
        value is not None
        and measure.sample >= min_sample
        and COMPARATORS[comparator](value, threshold)
    )
    assert leaf_check(leaf)(who, params) is expected


@given(who=_subjects(), caps=st.fixed_dictionaries({s: st.integers(0, 3) for s in SURFACES}))
def test_all_surfaces_at_once_equal_each_surface_alone(who: Subject, caps: dict) -> None:
    rules = compile_rules(
        [
            a_rule(Condition("seller.late_shipment_rate", "upper", "<", 0.3), id="a", window="90d"),
            a_rule(YES, id="b", surfaces=frozenset({"spp", "pdp"}), inherit_to_offers=True),
            dataclasses.replace(OFFER_RULE, surfaces=frozenset({"search"})),
            a_rule(YES, id="d", enabled=False),
            a_rule(YES, id="e", priority=1, inherit_to_offers=True),
        ]
    )
    together = evaluate_surfaces(rules, who, PARAMS, max_badges=caps, marketplace="US", on=AS_OF)
    assert together == {
        surface: evaluate_badges(
            rules, who, PARAMS, surface=surface, marketplace="US", on=AS_OF, max_badges=cap
        )
        for surface, cap in caps.items()
    }


@given(
    who=_subjects(),
    caps=st.fixed_dictionaries({s: st.integers(0, 3) for s in SURFACES}),
    on=st.sampled_from([AS_OF, date(2020, 1, 1), date(2100, 1, 1)]),
    marketplace=st.sampled_from(["US", "DE"]),
)
def test_badges_shown_from_the_rules_met_equal_evaluating_the_subject(
    who: Subject, caps: dict, on: date, marketplace: str
) -> None:
    rules = compile_rules(
        [
            a_rule(Condition("seller.late_shipment_rate", "upper", "<", 0.3), id="a", window="90d"),
            a_rule(YES, id="b", surfaces=frozenset({"spp", "pdp"}), inherit_to_offers=True),
            dataclasses.replace(OFFER_RULE, surfaces=frozenset({"search"})),
            a_rule(YES, id="d", enabled=False),
            a_rule(YES, id="e", priority=1, inherit_to_offers=True, marketplaces=frozenset({"US"})),
            a_rule(YES, id="f", effective_from=date(2026, 1, 1), effective_until=date(2027, 1, 1)),
        ]
    )
    seller = Subject(who.seller, None, who.as_of, who.prior_rates)
    inherited = earned_seller_rules(rules, seller, PARAMS) if who.offer is not None else None
    live = {"max_badges": caps, "marketplace": marketplace, "on": on}

    met = met_rules(rules, who, PARAMS, inherited=inherited)
    shown = shown_badges(rules, met, is_offer=who.offer is not None, **live)

    assert shown == evaluate_surfaces(rules, who, PARAMS, inherited=inherited, **live)


@pytest.mark.parametrize(
    "condition",
    [
        Condition("offer.handling_days", "point", "<=", 5),
        Condition("offer.orders", "point", ">=", 0, window="90d"),
        Condition("offer.late_delivery_rate", "point", "<=", 1, window="90d"),
        Condition("offer.late_delivery_rate", "upper", "<=", 1, window="90d"),
        Condition("offer.fq_index", "point", ">=", 0, window="90d"),
    ],
    ids=["attribute", "count", "rate-point", "rate-bound", "index"],
)
def test_offer_condition_fails_without_an_offer(condition: Condition) -> None:
    rule = a_rule(condition, level="offer")
    [explanation] = explain_badges(
        compile_rules([rule]), subject(), PARAMS, marketplace="US", on=AS_OF
    )
    assert (compile_rule(rule).earned(subject(), PARAMS), explanation.conditions[0].reason) == (
        False,
        "no data",
    )
