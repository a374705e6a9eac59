"""DSI-weighted fulfillment-quality (FQ) and customer-service-quality (CSQ) indices."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import Any, Final

from trust_signals.domain.snapshots import OfferCounts, SellerCounts

Counter = Callable[[Any], int]

# Defect type -> its count in a window's counts. Every index rate is per order.
SELLER_DEFECTS: Final[Mapping[str, Mapping[str, Counter]]] = {
    "fq": {
        "late_shipment": attrgetter("late_shipments"),
        "late_delivery": attrgetter("late_deliveries"),
        "cancellation": attrgetter("cancellations"),
        "missing_tracking": lambda c: c.shipments - c.shipments_with_valid_tracking,
        "damaged": attrgetter("damaged"),
        "not_as_described": attrgetter("not_as_described"),
        "fq_claim": attrgetter("fq_claims"),
        "fq_negative_feedback": attrgetter("fq_negative_feedback"),
    },
    "csq": {
        "unanswered_contact": lambda c: c.contacts - c.contacts_answered_24h,
        "unsatisfactory_contact": attrgetter("contacts_unsatisfactory"),
        "return_dissatisfaction": attrgetter("return_dissatisfaction"),
        "cs_claim": attrgetter("cs_claims"),
        "cs_negative_feedback": attrgetter("cs_negative_feedback"),
    },
}
OFFER_DEFECTS: Final[Mapping[str, Mapping[str, Counter]]] = {
    "fq": {
        "late_delivery": attrgetter("late_deliveries"),
        "cancellation": attrgetter("cancellations"),
        "damaged": attrgetter("damaged"),
        "not_as_described": attrgetter("not_as_described"),
    },
}
FAMILIES: Final = ("fq", "csq")


def defect_counts(counts: SellerCounts | OfferCounts, family: str) -> dict[str, int]:
    """Defects per type of one family in one window's counts."""
    table = SELLER_DEFECTS if isinstance(counts, SellerCounts) else OFFER_DEFECTS
    return {kind: count(counts) for kind, count in table[family].items()}


def shrunk_rates(
    defects: Mapping[str, int],
    orders: int,
    prior_rates: Mapping[str, float],
    pseudo_orders: float,
) -> dict[str, float] | None:
    """Per-type defect rates shrunk toward a prior: (defects + m·prior) / (orders + m).

    With m pseudo-orders a small seller's rates start at the cohort's and move to its own as
    its orders grow. None when there are neither orders nor pseudo-orders.
    """
    total = orders + pseudo_orders
    if total <= 0:
        return None
    return {
        kind: (count + pseudo_orders * prior_rates.get(kind, 0.0)) / total
        for kind, count in defects.items()
    }


def weighted_defect_rate(rates: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """D = Σ_k w_k · rate_k over the weighted defect types."""
    return sum(weight * rates.get(kind, 0.0) for kind, weight in weights.items())


def quality_index(weighted_rate: float) -> float:
    """I = 100 · max(0, 1 − D): 100 means no defects."""
    return 100.0 * max(0.0, 1.0 - weighted_rate)


def entity_index(
    defects: Mapping[str, int],
    orders: int,
    weights: Mapping[str, float],
    prior_rates: Mapping[str, float],
    pseudo_orders: float,
) -> float | None:
    """An entity's index on rates shrunk toward its cohort; None without any orders.

    `quality_index(weighted_defect_rate(shrunk_rates(...), weights))` in one pass, without
    the intermediate dict: it runs per offer on the ranking path. A weighted type the entity
    has no count of adds nothing (an offer has no tracking or feedback defects).
    """
    if orders <= 0:
        return None
    total = orders + pseudo_orders
    weighted = 0.0
    for kind, weight in weights.items():
        count = defects.get(kind)
        if count is not None:
            weighted += weight * ((count + pseudo_orders * prior_rates.get(kind, 0.0)) / total)
    return quality_index(weighted)


def pooled_rates(groups: Iterable[tuple[Mapping[str, int], int]]) -> tuple[dict[str, float], int]:
    """Order-weighted defect rates over many entities: Σ defects_k / Σ orders, and Σ orders.

    Pooling counts (not averaging per-entity rates) is what makes an aggregate move only when
    real customer experience moves.
    """
    totals: dict[str, int] = {}
    orders = 0
    for defects, entity_orders in groups:
        orders += entity_orders
        for kind, count in defects.items():
            totals[kind] = totals.get(kind, 0) + count
    if orders == 0:
        return {kind: 0.0 for kind in totals}, 0
    return {kind: count / orders for kind, count in totals.items()}, orders


def improvement_opportunities(
    own_rates: Mapping[str, float],
    target_rates: Mapping[str, float],
    weights: Mapping[str, float],
) -> list[tuple[str, float]]:
    """Index points gained per defect type by reaching the target rate, largest first.

    Only types where the entity is worse than the target appear; each gain is computed on
    the whole index (so the clamp at 0 is respected), one type changed at a time.
    """
    before = quality_index(weighted_defect_rate(own_rates, weights))
    gains = []
    for kind in weights:
        own, target = own_rates.get(kind, 0.0), target_rates.get(kind, 0.0)
        if own > target:
            after = quality_index(weighted_defect_rate({**own_rates, kind: target}, weights))
            if after > before:
                gains.append((kind, after - before))
    return sorted(gains, key=lambda item: (-item[1], item[0]))
