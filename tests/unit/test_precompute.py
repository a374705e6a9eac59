"""Load-time artifacts: program totals stay exact whatever the counts add up to; the stored
priors hold the marketplace-wide fallback."""

from __future__ import annotations

import json
from datetime import date

import orjson

from tests.unit.snapshot_builders import seller_counts, seller_snapshot, signal_params
from trust_signals.domain.cohorts import CohortSpec, seller_prior
from trust_signals.domain.snapshots import SELLER_COUNT_FIELDS
from trust_signals.service.cohort_artifacts import CohortModel, build_artifacts

MODEL = CohortModel(CohortSpec((90, 365, 1095), ("category",), 2), signal_params())


def test_program_totals_beyond_64_bits_are_stored_exactly() -> None:
    top = 2**63 - 1
    counts = {name: top for name in SELLER_COUNT_FIELDS if name not in ("ratings",)}
    counts.update(sales_amount=1.0, domestic_sales_amount=1.0, ratings=(top,) * 5)
    sellers = [seller_snapshot(seller_id=f"S{n}", counts=seller_counts(**counts)) for n in range(3)]

    artifacts = build_artifacts(sellers, MODEL, date(2025, 6, 30))

    figures = json.loads(artifacts["programs"])["marketplace"]["DE"]["90d"]
    assert (figures["sellers"], figures["orders"], figures["defects"]["late_delivery"]) == (
        3,
        3 * top,
        3 * top,
    )


def test_stored_priors_give_first_party_retail_alone_in_its_cohort_the_marketplaces() -> None:
    retail = seller_snapshot(
        seller_id="RETAIL",
        first_party=True,
        category_group="grocery",
        counts=seller_counts(orders=20, late_deliveries=10),
    )
    third_party = seller_snapshot(counts=seller_counts(orders=100, late_deliveries=20))

    artifacts = build_artifacts([retail, third_party], MODEL, date(2025, 6, 30))

    priors = orjson.loads(artifacts[f"priors:{MODEL.version}"])
    assert seller_prior(retail, priors, MODEL.spec)["90d"]["late_delivery"] == 0.2
