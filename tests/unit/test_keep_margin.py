"""Keep margins: a holder keeps a badge within the margin of each margined threshold, a
newcomer must clear the threshold itself; validation; explanations that say so."""

from __future__ import annotations

from datetime import date
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
from trust_signals.domain.badge_rules import margin_problem, relaxed_rule, relaxed_threshold
from trust_signals.domain.badges import (
    BadgeRule,
    CompiledRule,
    Condition,
    Group,
    VolumeWindow,
    compile_rule,
    earned_seller_rules,
    explain_badges,
    explain_rule,
    met_rules,
    override_thresholds,
    rule_met,
    rule_problems,
)
from trust_signals.domain.signals import Subject

PARAMS = signal_params()
ON_TIME = Condition("offer.on_time_delivery_rate", "point", ">=", 0.95, window="90d", id="on_time")
TRACKING = Condition("seller.valid_tracking_rate", "point", ">=", 0.99, window="90d", id="tracking")
TENURE = Condition("seller.tenure_days", "point", ">=", 90, id="tenure")


def a_rule(*conditions: Condition | Group, **overrides: Any) -> BadgeRule:
    """A live seller rule over `conditions` (all of them), tracking kept within 0.005."""
    fields: dict[str, Any] = {
        "id": "reliable",
        "level": "seller",
        "surfaces": frozenset({"search", "pdp", "spp"}),
        "priority": 10,
        "marketplaces": frozenset({"US"}),
        "effective_from": date(2026, 1, 1),
        "effective_until": None,
        "enabled": True,
        "copy_key": "badge.reliable",
        "approval_reference": "LEGAL-1",
        "when": Group("all", conditions or (TRACKING, TENURE)),
        "keep_margin": (("tracking", 0.005),),
    }
    return BadgeRule(**{**fields, **overrides})


SELLER_RULE = compile_rule(a_rule(inherit_to_offers=True))
OFFER_RULE = compile_rule(
    a_rule(ON_TIME, id="on_time_delivery", level="offer", keep_margin=(("on_time", 0.01),))
)


def tracked(valid: int) -> Subject:
    """A seller with `valid` of 1,000 shipments validly tracked in 90 days."""
    counts = seller_counts(shipments_with_valid_tracking=valid, on_time_tracked_shipments=valid)
    return subject(seller_snapshot(windows={"90d": counts}))


def on_time(deliveries: int) -> Subject:
    """An offer delivered on time `deliveries` of 1,000 deliveries in 90 days, late the rest."""
    counts = offer_counts(
        orders=1000, on_time_deliveries=deliveries, late_deliveries=1000 - deliveries
    )
    return subject(offer=offer_snapshot(windows={"90d": counts}))


def explained(rule: CompiledRule, who: Subject, *, held_before: bool) -> Any:
    return explain_rule(rule, who, PARAMS, marketplace="US", on=AS_OF, held_before=held_before)


# 0.988 is under the 0.99 threshold and within the 0.005 margin; 0.980 is beyond it.
@pytest.mark.parametrize(
    ("valid", "held_before", "expected"),
    [
        (990, False, True),
        (990, True, True),
        (988, True, True),
        (988, False, False),
        (980, True, False),
        (980, False, False),
    ],
    ids=["new-at-threshold", "holder-at-threshold", "holder-within-margin",
         "newcomer-within-margin", "holder-beyond-margin", "newcomer-beyond-margin"],
)  # fmt: skip
def test_a_holder_keeps_a_seller_badge_within_the_margin_a_newcomer_does_not(
    valid: int, held_before: bool, expected: bool
) -> None:
    assert rule_met(SELLER_RULE, tracked(valid), PARAMS, held_before=held_before) is expected


@pytest.mark.parametrize(
    ("deliveries", "held_before", "expected"),
    [(945, True, True), (945, False, False), (935, True, False), (950, False, True)],
    ids=["holder-within-margin", "newcomer-within-margin", "holder-beyond", "newcomer-clears"],
)
def test_a_holder_keeps_an_offer_badge_within_the_margin_a_newcomer_does_not(
    deliveries: int, held_before: bool, expected: bool
) -> None:
    assert rule_met(OFFER_RULE, on_time(deliveries), PARAMS, held_before=held_before) is expected


def test_the_margin_relaxes_only_the_conditions_it_names() -> None:
    young = subject(
        seller_snapshot(
            tenure_days=89,
            windows={"90d": seller_counts(shipments_with_valid_tracking=988)},
        )
    )

    assert rule_met(SELLER_RULE, young, PARAMS, held_before=True) is False


def test_a_rule_without_margins_ignores_who_held_it() -> None:
    strict = compile_rule(a_rule(keep_margin=()))

    assert strict.kept is None
    assert rule_met(strict, tracked(988), PARAMS, held_before=True) is False


@pytest.mark.parametrize(
    ("comparator", "expected"),
    [(">=", 0.94), (">", 0.94), ("<=", 0.96), ("<", 0.96)],
)
def test_the_relaxed_threshold_moves_toward_passing(comparator: str, expected: float) -> None:
    condition = Condition("seller.valid_tracking_rate", "point", comparator, 0.95, "90d")

    assert relaxed_threshold(condition, 0.01) == pytest.approx(expected)


def test_a_relaxed_rule_follows_a_marketplace_threshold_override() -> None:
    overridden = override_thresholds(a_rule(), {"tracking": 0.98})

    [relaxed, tenure] = relaxed_rule(overridden).when.children
    assert isinstance(relaxed, Condition) and relaxed.threshold == pytest.approx(0.975)
    assert tenure == TENURE
    assert relaxed_rule(overridden).keep_margin == ()


def test_an_upper_bound_below_a_threshold_is_kept_within_the_margin() -> None:
    defects = Condition("seller.late_shipment_rate", "point", "<", 0.01, "90d", id="late")
    rule = compile_rule(a_rule(defects, keep_margin=(("late", 0.002),)))
    slightly_late = tracked(990)  # late shipments 10 of 1,000: 0.01, not < 0.01
    more_late = subject(seller_snapshot(windows={"90d": seller_counts(late_shipments=12)}))

    assert rule_met(rule, slightly_late, PARAMS, held_before=False) is False
    assert rule_met(rule, slightly_late, PARAMS, held_before=True) is True
    assert rule_met(rule, more_late, PARAMS, held_before=True) is False


def test_both_windows_chosen_by_volume_are_relaxed() -> None:
    volume = VolumeWindow("seller.transactions", "90d", 5000, "90d", "365d")
    condition = Condition("seller.valid_tracking_rate", "point", ">=", 0.99, id="tracking")
    rule = compile_rule(a_rule(condition, window_by_volume=volume))
    below_in_365d = subject(
        seller_snapshot(windows={"365d": seller_counts(shipments_with_valid_tracking=988)})
    )

    assert rule_met(rule, below_in_365d, PARAMS, held_before=False) is False
    assert rule_met(rule, below_in_365d, PARAMS, held_before=True) is True


def test_met_rules_give_the_margin_only_to_the_rules_held() -> None:
    rules = (SELLER_RULE, OFFER_RULE)
    offer = on_time(945).offer
    seller = tracked(988)
    offer_subject = Subject(seller.seller, offer, AS_OF, {})

    assert met_rules(rules, seller, PARAMS) == frozenset()
    assert met_rules(rules, seller, PARAMS, held={"reliable"}) == {"reliable"}
    assert met_rules(rules, offer_subject, PARAMS, held={"on_time_delivery"}) == {
        "on_time_delivery"
    }
    assert met_rules(rules, offer_subject, PARAMS, held={"reliable"}) == {"reliable"}
    inherited = earned_seller_rules(rules, seller, PARAMS, held={"reliable"})
    assert inherited == {"reliable"}
    assert earned_seller_rules(rules, seller, PARAMS) == frozenset()
    assert met_rules(rules, offer_subject, PARAMS, inherited=inherited) == {"reliable"}


def test_met_rules_drop_a_holder_beyond_the_margin() -> None:
    assert met_rules((SELLER_RULE,), tracked(980), PARAMS, held={"reliable"}) == frozenset()


def test_the_explanation_says_a_condition_was_kept_within_its_margin() -> None:
    found = explained(OFFER_RULE, on_time(945), held_before=True)

    [condition] = found.conditions
    assert (found.conditions_met, condition.passed, condition.kept_within_margin) == (
        True,
        True,
        True,
    )
    assert condition.reason == "0.945 not >= 0.95, kept within margin 0.01 (>= 0.94 for a holder)"


def test_the_explanation_of_a_holder_beyond_the_margin_says_it_is_not_within() -> None:
    found = explained(OFFER_RULE, on_time(935), held_before=True)

    [condition] = found.conditions
    assert (found.conditions_met, condition.passed, condition.kept_within_margin) == (
        False,
        False,
        False,
    )
    assert condition.reason == "0.935 not >= 0.95, nor within margin 0.01 (>= 0.94 for a holder)"


@pytest.mark.parametrize("held_before", [False, True], ids=["newcomer", "holder"])
def test_a_rule_met_outright_needs_no_margin_in_its_explanation(held_before: bool) -> None:
    found = explained(OFFER_RULE, on_time(950), held_before=held_before)

    assert found.conditions_met
    assert [c.kept_within_margin for c in found.conditions] == [False]
    assert found.conditions[0].reason == "0.95 >= 0.95"


def test_a_newcomer_within_the_margin_is_explained_against_the_threshold() -> None:
    found = explained(OFFER_RULE, on_time(945), held_before=False)

    assert not found.conditions_met
    assert found.conditions[0].reason == "0.945 not >= 0.95"


def test_a_holder_explanation_relaxes_only_margined_conditions() -> None:
    no_id = Condition("seller.tenure_days", "point", ">=", 90)
    rule = compile_rule(a_rule(TRACKING, no_id))
    young = subject(
        seller_snapshot(
            tenure_days=60, windows={"90d": seller_counts(shipments_with_valid_tracking=988)}
        )
    )

    found = explained(rule, young, held_before=True)

    assert not found.conditions_met
    assert [(c.passed, c.kept_within_margin) for c in found.conditions] == [
        (True, True),
        (False, False),
    ]


def test_explain_badges_hands_each_rule_whether_it_was_held() -> None:
    rules = (SELLER_RULE, OFFER_RULE)
    who = tracked(988)

    held = explain_badges(rules, who, PARAMS, marketplace="US", on=AS_OF, held={"reliable"})
    fresh = explain_badges(rules, who, PARAMS, marketplace="US", on=AS_OF)

    assert [r.conditions_met for r in held] == [True, False]
    assert [r.conditions_met for r in fresh] == [False, False]


def test_a_holder_without_data_is_not_kept() -> None:
    nothing = dict.fromkeys(offer_counts()._fields, 0)
    quiet = subject(offer=offer_snapshot(windows={"90d": offer_counts(**nothing)}))

    found = explained(OFFER_RULE, quiet, held_before=True)

    assert not rule_met(OFFER_RULE, quiet, PARAMS, held_before=True)
    assert (found.conditions_met, found.conditions[0].reason) == (False, "no data")


@pytest.mark.parametrize(
    ("margins", "problem"),
    [
        ((("speed", 0.01),), ("keep_margin.speed", "the rule has no condition with id 'speed'")),
        ((("tracking", -0.01),), ("keep_margin.tracking", "must be at least 0")),
        (
            (("tracking", 1.5),),
            ("keep_margin.tracking", "must be at most 1, the range of seller.valid_tracking_rate"),
        ),
    ],
    ids=["unknown-condition", "negative", "wider-than-a-rate"],
)
def test_an_invalid_margin_is_reported_with_its_path(
    margins: tuple[tuple[str, float], ...], problem: tuple[str, str]
) -> None:
    assert rule_problems(a_rule(keep_margin=margins)) == [problem]
    with pytest.raises(ValueError, match="keep_margin"):
        compile_rule(a_rule(keep_margin=margins))


@pytest.mark.parametrize(
    ("reference", "margin", "expected"),
    [
        ("seller.valid_tracking_rate", 1.0, None),
        ("seller.average_rating", 4.0, None),
        ("seller.average_rating", 4.5, "must be at most 4, the range of seller.average_rating"),
        ("seller.fq_index", 100.0, None),
        ("seller.tenure_days", 10_000.0, None),
        ("seller.orders", -1.0, "must be at least 0"),
    ],
)
def test_a_margin_fits_the_range_of_its_signal(
    reference: str, margin: float, expected: str | None
) -> None:
    assert margin_problem(reference, margin) == expected


_VALID = st.integers(900, 1000)
_MARGIN = st.sampled_from([0.0, 0.001, 0.005, 0.02, 0.1])


@given(valid=_VALID, margin=_MARGIN, held_before=st.booleans())
def test_the_fast_check_and_the_explanation_agree_with_margins(
    valid: int, margin: float, held_before: bool
) -> None:
    condition = Condition("seller.valid_tracking_rate", "lower", ">=", 0.97, "90d", id="tracking")
    rule = compile_rule(a_rule(condition, keep_margin=(("tracking", margin),)))
    who = tracked(valid)

    met = rule_met(rule, who, PARAMS, held_before=held_before)

    assert explained(rule, who, held_before=held_before).conditions_met is met


@given(valid=_VALID, margin=_MARGIN)
def test_a_holder_keeps_at_least_what_a_newcomer_earns(valid: int, margin: float) -> None:
    rule = compile_rule(a_rule(keep_margin=(("tracking", margin),)))
    who = tracked(valid)

    newcomer = rule_met(rule, who, PARAMS, held_before=False)
    holder = rule_met(rule, who, PARAMS, held_before=True)

    assert holder or not newcomer
    assert holder is (valid / 1000 >= relaxed_threshold(TRACKING, margin))
