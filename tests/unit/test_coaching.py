"""Seller coaching: what each condition takes, checked against the engine itself.

The property tests draw sellers and thresholds for every kind of criterion and hold each
answer to the engine's own fast check (`CompiledRule.earned`): the suggested change passes,
one unit less does not (and, where the answer is small, no smaller change does); the most
defects pass and one more does not.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    AS_OF,
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
    valid_seller_counts,
)
from trust_signals.domain.badge_rules import signal_kind
from trust_signals.domain.badges import (
    BadgeRule,
    CompiledRule,
    Condition,
    Group,
    VolumeWindow,
    compile_rule,
    compile_rules,
)
from trust_signals.domain.coaching import (
    BadgeCoaching,
    Change,
    CriterionCoaching,
    GroupCoaching,
    coach_rule,
    coach_seller,
)
from trust_signals.domain.count_changes import (
    COUNT_UNITS,
    OPPORTUNITY_OF,
    add_good,
    rate_defects,
    with_count,
    with_rate_defects,
)
from trust_signals.domain.indices import SELLER_DEFECTS
from trust_signals.domain.signals import (
    GOOD_RATES,
    SELLER_COUNTS,
    SELLER_RATES,
    SignalParams,
    Subject,
)
from trust_signals.domain.snapshots import WINDOWS

PARAMS = signal_params()
ON = AS_OF
DEFECT_RATES = sorted(set(SELLER_RATES) - GOOD_RATES)
DEFECT_COUNTS = sorted(set(SELLER_COUNTS) - set(COUNT_UNITS))
BRUTE_FORCE = 300  # changes below this are all tried: none may pass


def a_rule(*children: Condition | Group, **overrides: Any) -> CompiledRule:
    """A live seller rule in DE over `children` (all of them), over 90 days."""
    fields: dict[str, Any] = {
        "id": "badge",
        "level": "seller",
        "surfaces": frozenset({"spp"}),
        "priority": 1,
        "marketplaces": frozenset({"DE"}),
        "effective_from": date(2025, 1, 1),
        "effective_until": None,
        "enabled": True,
        "copy_key": "badge.copy",
        "approval_reference": "T-1",
        "when": Group("all", children),
        "window": "90d",
    }
    return compile_rule(BadgeRule(**{**fields, **overrides}))


def by_volume(at_least: float, then: str = "90d", otherwise: str = "365d") -> dict[str, Any]:
    """Rule fields choosing the window by the seller's orders over 90 days."""
    volume = VolumeWindow("seller.orders", "90d", at_least, then, otherwise)
    return {"window": None, "window_by_volume": volume}


def coached(compiled: CompiledRule, who: Subject, params: SignalParams = PARAMS) -> Any:
    (criterion,) = coach_rule(compiled, who, params).criteria
    return criterion


def with_good(who: Subject, change: Change) -> Subject:
    return dataclasses.replace(who, seller=add_good(who.seller, change.unit, change.count))


def defect_room(who: Subject, found: CriterionCoaching) -> tuple[int, Any]:
    """The most defects the criterion's window could hold, and the subject with `d` of them."""
    assert found.window is not None
    name, counts = found.signal.partition(".")[2], who.seller.windows[found.window]
    if signal_kind(found.signal) == "rate":
        limit = SELLER_RATES[name][1](counts)

        def setting(d: int) -> Any:
            return with_rate_defects(counts, name, d)
    else:
        limit = getattr(counts, OPPORTUNITY_OF[name])

        def setting(d: int) -> Any:
            return with_count(counts, name, d)

    def having(d: int) -> Subject:
        windows = {**who.seller.windows, found.window: setting(d)}
        return dataclasses.replace(who, seller=dataclasses.replace(who.seller, windows=windows))

    return limit, having


def assert_exact(
    compiled: CompiledRule, who: Subject, params: SignalParams = PARAMS
) -> CriterionCoaching:
    """The criterion's answers hold against the engine's own check of the rule."""
    found: CriterionCoaching = coached(compiled, who, params)

    def earned(s: Subject) -> bool:
        return compiled.earned(s, params)

    assert found.passes is earned(who)
    more = found.more_good
    if more is not None:
        assert earned(with_good(who, more))
        if more.count:
            assert not earned(with_good(who, Change(more.count - 1, more.unit)))
        for n in range(min(more.count, BRUTE_FORCE)):
            assert not earned(with_good(who, Change(n, more.unit))), n
    if found.max_defects is not None:
        limit, having = defect_room(who, found)
        assert earned(having(found.max_defects))
        if found.max_defects < limit:
            assert not earned(having(found.max_defects + 1))
    return found


@st.composite
def subjects(draw: st.DrawFn, max_count: int = 500) -> Subject:
    """A seller with any valid counts in each window, and a cohort prior."""
    windows = {w: draw(valid_seller_counts(max_count)) for w in WINDOWS}
    rates = st.floats(0.0, 0.2)
    prior = {w: {k: draw(rates) for f in SELLER_DEFECTS.values() for k in f} for w in WINDOWS}
    return subject(seller_snapshot(window_counts=windows), prior_rates=prior)


MIN_SAMPLES = st.integers(0, 1500)
# Each example runs a few searches of ~60 engine calls and a brute force: no deadline.
ENGINE_BOUND = settings(deadline=None)


@ENGINE_BOUND
@given(
    who=subjects(),
    rate=st.sampled_from(sorted(GOOD_RATES)),
    comparator=st.sampled_from([">=", ">"]),
    threshold=st.floats(0.3, 0.99),
    min_sample=MIN_SAMPLES,
)
def test_good_rate_lower_bound(
    who: Subject, rate: str, comparator: str, threshold: float, min_sample: int
) -> None:
    condition = Condition(f"seller.{rate}", "lower", comparator, threshold, min_sample=min_sample)
    assert assert_exact(a_rule(condition), who).more_good is not None


@ENGINE_BOUND
@given(
    who=subjects(),
    rate=st.sampled_from(DEFECT_RATES),
    comparator=st.sampled_from(["<", "<="]),
    threshold=st.floats(0.01, 0.5),
    min_sample=MIN_SAMPLES,
)
def test_defect_rate_upper_bound(
    who: Subject, rate: str, comparator: str, threshold: float, min_sample: int
) -> None:
    condition = Condition(f"seller.{rate}", "upper", comparator, threshold, min_sample=min_sample)
    assert assert_exact(a_rule(condition), who).more_good is not None


@ENGINE_BOUND
@given(
    who=subjects(),
    rate=st.sampled_from(sorted(SELLER_RATES)),
    # The ends of the range, and thresholds a billion more orders can reach.
    threshold=st.sampled_from([0.0, 1.0]) | st.floats(0.001, 0.999),
    window=st.sampled_from(WINDOWS),
)
def test_point_estimate(who: Subject, rate: str, threshold: float, window: str) -> None:
    good = rate in GOOD_RATES
    condition = Condition(f"seller.{rate}", "point", ">=" if good else "<=", threshold, window)
    found = assert_exact(a_rule(condition), who)
    # Only a threshold at the very end of the range is out of reach while there are defects.
    defects = rate_defects(who.seller.windows[window], rate)
    out_of_reach = defects > 0 and threshold == (1.0 if good else 0.0)
    assert (found.more_good is None) is out_of_reach


@ENGINE_BOUND
@given(
    who=subjects(),
    name=st.sampled_from(sorted(COUNT_UNITS)),
    threshold=st.integers(0, 3000),
    extra=st.sampled_from([0.0, 0.5]),
)
def test_count_at_least(who: Subject, name: str, threshold: int, extra: float) -> None:
    condition = Condition(f"seller.{name}", "point", ">=", threshold + extra)
    found = assert_exact(a_rule(condition), who)
    assert found.more_good is not None and found.max_defects is None
    if isinstance(found.value, int):  # a whole count: the missing amount
        assert found.more_good.count == max(0, math.ceil(threshold + extra - found.value))


@ENGINE_BOUND
@given(
    who=subjects(),
    name=st.sampled_from(DEFECT_COUNTS),
    comparator=st.sampled_from(["<", "<="]),
    threshold=st.integers(0, 60),
)
def test_count_at_most(who: Subject, name: str, comparator: str, threshold: int) -> None:
    condition = Condition(f"seller.{name}", "point", comparator, threshold)
    found = assert_exact(a_rule(condition), who)
    assert found.more_good is None
    assert (found.reason is None) is found.passes
    limit = defect_room(who, found)[0]
    cap = threshold if comparator == "<=" else threshold - 1
    assert found.max_defects == (min(cap, limit) if cap >= 0 else None)


@ENGINE_BOUND
@given(
    who=subjects(),
    family=st.sampled_from(["fq", "csq"]),
    threshold=st.floats(50.0, 99.5),
    weight=st.floats(0.1, 3.0),
    pseudo_orders=st.sampled_from([0.0, 20.0]),
)
def test_index(
    who: Subject,
    family: str,
    threshold: float,
    weight: float,
    pseudo_orders: float,
) -> None:
    params = signal_params(
        {f: dict.fromkeys(kinds, weight) for f, kinds in SELLER_DEFECTS.items()}, pseudo_orders
    )
    condition = Condition(f"seller.{family}_index", "point", ">=", threshold)
    found = assert_exact(a_rule(condition), who, params)
    assert found.more_good is not None and found.more_good.unit == "orders"


@ENGINE_BOUND
@given(
    who=subjects(),
    bound=st.sampled_from(["point", "lower"]),
    threshold=st.floats(1.0, 4.99),
    min_sample=st.integers(0, 50),
)
def test_average_rating(who: Subject, bound: str, threshold: float, min_sample: int) -> None:
    condition = Condition("seller.average_rating", bound, ">=", threshold, min_sample=min_sample)
    found = assert_exact(a_rule(condition), who)
    assert found.more_good is not None and found.more_good.unit == "five_star_ratings"


@settings(max_examples=60, deadline=None)
@given(
    who=subjects(max_count=60),
    rate=st.sampled_from(sorted(SELLER_RATES)),
    threshold=st.floats(0.05, 0.95),
    at_least=st.integers(0, 300),
    windows=st.permutations(WINDOWS),
)
def test_window_by_volume_switch(
    who: Subject, rate: str, threshold: float, at_least: int, windows: list[str]
) -> None:
    bound, comparator = ("lower", ">=") if rate in GOOD_RATES else ("upper", "<=")
    condition = Condition(f"seller.{rate}", bound, comparator, threshold, min_sample=40)
    compiled = a_rule(condition, **by_volume(at_least, windows[0], windows[1]))
    found = assert_exact(compiled, who)
    assert found.more_good is not None
    for n in range(found.more_good.count):  # every smaller change, across the switch
        assert not compiled.earned(with_good(who, Change(n, found.more_good.unit)), PARAMS)


def test_a_window_switch_is_searched_on_each_side() -> None:
    # Over 365 days 11 late of 102: 8 more clean orders bring the point rate to 0.1. At 53
    # orders over 90 days (13 more) the rule switches to 90 days, where 20 late of 40 need
    # 160 more. A search over the whole range, as if it were monotone, finds 160.
    who = subject(
        seller_snapshot(
            window_counts={
                "90d": seller_counts(orders=40, late_shipments=20),
                "365d": seller_counts(orders=102, late_shipments=11),
            }
        )
    )
    condition = Condition("seller.late_shipment_rate", "point", "<=", 0.1)
    found = assert_exact(a_rule(condition, **by_volume(53)), who)
    assert found.more_good == Change(8, "orders")
    late = dataclasses.replace(who, seller=add_good(who.seller, "orders", 13))
    assert coached(a_rule(condition, **by_volume(53)), late).more_good == Change(147, "orders")


def test_a_criterion_shows_where_the_seller_stands() -> None:
    # 10 late of 1,000 shipments: upper bound 0.01831 at z = 1.96; 7 late: 0.01438 < 0.015.
    who = subject(seller_snapshot(counts=seller_counts(orders=1000, late_shipments=10)))
    condition = Condition("seller.late_shipment_rate", "upper", "<", 0.015)
    found = coached(a_rule(condition), who)
    assert found == CriterionCoaching(
        path="when.all[0]",
        signal="seller.late_shipment_rate",
        window="90d",
        bound="upper",
        comparator="<",
        threshold=0.015,
        min_sample=0,
        sample=1000,
        value=pytest.approx(0.018310, abs=1e-6),
        passes=False,
        more_good=found.more_good,
        max_defects=7,
        reason=None,
    )
    assert found.more_good is not None and found.more_good.unit == "orders"


def test_a_passing_criterion_needs_no_change_and_shows_its_room() -> None:
    who = subject(seller_snapshot(counts=seller_counts(orders=1000, late_shipments=10)))
    found = coached(a_rule(Condition("seller.late_shipment_rate", "point", "<", 0.04)), who)
    assert (found.passes, found.more_good, found.max_defects) == (True, Change(0, "orders"), 39)


@pytest.mark.parametrize(
    ("condition", "seller", "reason"),
    [
        pytest.param(
            Condition("seller.tenure_days", "point", ">=", 90),
            seller_snapshot(tenure_days=40),
            "seller.tenure_days is not a count: it is met in 50 days",
            id="tenure-days-remain",
        ),
        pytest.param(
            Condition("seller.days_since_first_sale", "point", ">", 90),
            seller_snapshot(first_sale_date=date(2025, 6, 1)),
            "seller.days_since_first_sale is not a count: it is met in 62 days",
            id="days-since-first-sale",
        ),
        pytest.param(
            Condition("seller.days_since_first_sale", "point", ">=", 90),
            seller_snapshot(first_sale_date=None),
            "seller.days_since_first_sale is not a count, and it starts with the first sale",
            id="no-first-sale",
        ),
        pytest.param(
            Condition("seller.tenure_days", "point", "<=", 10),
            seller_snapshot(tenure_days=40),
            "seller.tenure_days is not a count, and time alone does not meet it",
            id="tenure-cap",
        ),
        pytest.param(
            Condition("seller.first_party", "point", ">=", 1),
            seller_snapshot(),
            "seller.first_party is a fact about the account: no change in counts meets it",
            id="first-party",
        ),
        pytest.param(
            Condition("seller.late_shipments", "point", ">=", 5),
            seller_snapshot(),
            "more good events do not change seller.late_shipments, a count of defects",
            id="defect-count",
        ),
        pytest.param(
            Condition("seller.orders", "point", "<=", 50),
            seller_snapshot(),
            "more orders only raise seller.orders",
            id="good-count-cap",
        ),
        pytest.param(
            Condition("seller.late_shipment_rate", "upper", "<", 0.05, min_sample=200),
            seller_snapshot(),
            "sample 100 below the minimum 200: no number of defects passes at today's volume",
            id="defects-below-minimum-sample",
        ),
        pytest.param(
            Condition("seller.late_shipment_rate", "upper", "<", 0.01),
            seller_snapshot(),
            "fails even with no defects at today's volume",
            id="defects-fail-anyway",
        ),
        pytest.param(
            Condition("seller.contact_response_rate", "lower", ">=", 0.9),
            seller_snapshot(),
            "no data in its window: no number of defects passes at today's volume",
            id="defects-without-data",
        ),
    ],
)
def test_what_no_change_of_counts_can_do_is_said_plainly(
    condition: Condition, seller: Any, reason: str
) -> None:
    found = coached(a_rule(condition), subject(seller))
    assert (found.passes, found.reason) == (False, reason)
    assert found.max_defects is None


def test_an_attribute_that_passes_needs_nothing() -> None:
    found = coached(a_rule(Condition("seller.tenure_days", "point", ">=", 90)), subject())
    assert (found.passes, found.more_good, found.max_defects, found.reason) == (
        True,
        None,
        None,
        None,
    )


def test_a_change_beyond_the_search_cap_is_not_offered() -> None:
    rule = a_rule(Condition("seller.orders", "point", ">=", 1000))
    found = coach_rule(rule, subject(), PARAMS, cap=10).criteria[0]
    assert found.more_good is None
    assert found.reason == "no number of additional orders up to 10 makes it pass"


def test_a_passing_cap_on_defects_needs_no_more_good_events() -> None:
    found = coached(a_rule(Condition("seller.late_shipments", "point", "<=", 3)), subject())
    assert (found.passes, found.more_good, found.max_defects, found.reason) == (
        True,
        None,
        3,
        None,
    )


def test_an_any_group_needs_one_child() -> None:
    late = Condition("seller.late_shipment_rate", "point", "<=", 0.01)
    tenure = Condition("seller.tenure_days", "point", ">=", 900)
    orders = Condition("seller.orders", "point", ">=", 500)
    seller = seller_snapshot(counts=seller_counts(orders=100, late_shipments=5))
    found = coach_rule(a_rule(orders, Group("any", (late, tenure))), subject(seller), PARAMS)
    assert found.mode == "all"
    assert found.groups == (
        GroupCoaching("when", "all", False, 2, ("when.all[0]", "when.all[1]")),
        GroupCoaching("when.all[1]", "any", False, 1, ("when.all[1].any[0]", "when.all[1].any[1]")),
    )
    assert [c.path for c in found.criteria] == [
        "when.all[0]",
        "when.all[1].any[0]",
        "when.all[1].any[1]",
    ]
    assert found.criteria[1].more_good == Change(400, "orders")  # 5 of 500: one suffices


def test_coaching_lists_the_live_seller_badges_not_held_in_display_order() -> None:
    fail = Group("all", (Condition("seller.orders", "point", ">=", 500, window="90d"),))
    held = Group("all", (Condition("seller.orders", "point", ">=", 1, window="90d"),))
    base = a_rule(Condition("seller.orders", "point", ">=", 1)).rule
    rules = compile_rules(
        [
            dataclasses.replace(base, id="missed_low", priority=1, when=fail),
            dataclasses.replace(base, id="missed_high", priority=9, when=fail),
            dataclasses.replace(base, id="held", when=held),
            dataclasses.replace(base, id="disabled", enabled=False, when=fail),
            dataclasses.replace(base, id="elsewhere", marketplaces=frozenset({"US"}), when=fail),
            dataclasses.replace(base, id="later", effective_from=date(2026, 1, 1), when=fail),
            dataclasses.replace(base, id="offer_rule", level="offer", when=fail),
        ]
    )
    found = coach_seller(rules, subject(), PARAMS, marketplace="DE", on=ON)
    assert [b.badge_id for b in found] == ["missed_high", "missed_low"]
    assert isinstance(found[0], BadgeCoaching) and found[0].copy_key == "badge.copy"
