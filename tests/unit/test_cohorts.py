"""Cohorts: tenure bands, keys, priors, quantile sketches, percentile ranks and benchmarks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
    valid_seller_counts,
)
from trust_signals.domain.cohorts import (
    BENCHMARK_METRICS,
    DEFECT_TYPES,
    DIMENSIONS,
    BenchmarkRow,
    CohortBenchmark,
    CohortSpec,
    MetricBenchmark,
    all_dimension_sets,
    canonical_dimensions,
    cohort_benchmarks,
    cohort_key,
    median,
    opportunities_against,
    percentile_rank,
    prior_rates,
    quantile_sketch,
    seller_dimensions,
    seller_prior,
    tenure_band,
)
from trust_signals.domain.indices import defect_counts, pooled_rates, weighted_defect_rate
from trust_signals.domain.signals import compile_signal
from trust_signals.domain.snapshots import WINDOWS, SellerCounts, SellerSnapshot

EDGES = (90, 365, 1095)
NO_METRICS = (None,) * len(BENCHMARK_METRICS)
NO_DEFECTS = (0.0,) * len(DEFECT_TYPES)
# A sketch holding 0, 1, ..., 100 at percentiles 0, 1, ..., 100.
UNIFORM = quantile_sketch([0.0, 100.0])


@pytest.mark.parametrize(
    ("tenure_days", "edges", "expected"),
    [
        (0, EDGES, "<90d"),
        (89, EDGES, "<90d"),
        (90, EDGES, "90-365d"),
        (364, EDGES, "90-365d"),
        (365, EDGES, "365-1095d"),
        (1094, EDGES, "365-1095d"),
        (1095, EDGES, ">=1095d"),
        (5000, EDGES, ">=1095d"),
        (29, (30,), "<30d"),
        (30, (30,), ">=30d"),
    ],
    ids=[
        "zero",
        "just-below-first-edge",
        "at-first-edge",
        "just-below-second-edge",
        "at-second-edge",
        "just-below-last-edge",
        "at-last-edge",
        "far-above",
        "single-edge-below",
        "single-edge-at",
    ],
)
def test_tenure_band_labels_at_the_edges(
    tenure_days: int, edges: tuple[int, ...], expected: str
) -> None:
    assert tenure_band(tenure_days, edges) == expected


def test_seller_dimensions() -> None:
    seller = seller_snapshot(
        tenure_days=120, location="PL", category_group="heavy_bulky", fulfillment_channel="mfn"
    )

    assert seller_dimensions(seller, CohortSpec(EDGES, (), 5)) == {
        "tenure": "90-365d",
        "location": "PL",
        "category": "heavy_bulky",
        "channel": "mfn",
    }


@pytest.mark.parametrize(
    ("dimensions", "expected"),
    [
        (("category", "channel"), "category=media|channel=fba"),
        (("tenure",), "tenure=90-365d"),
        (DIMENSIONS, "tenure=90-365d|location=DE|category=media|channel=fba"),
        ((), "all"),
    ],
    ids=["two", "one", "every", "none-is-all"],
)
def test_cohort_key(dimensions: tuple[str, ...], expected: str) -> None:
    values = {"tenure": "90-365d", "location": "DE", "category": "media", "channel": "fba"}

    assert cohort_key(values, dimensions) == expected


@pytest.mark.parametrize(
    ("dimensions", "expected"),
    [
        (["channel", "tenure"], ("tenure", "channel")),
        (["location", "location"], ("location",)),
        (["channel", "category", "location", "tenure"], DIMENSIONS),
        ([], ()),
    ],
    ids=["reordered", "duplicates-collapse", "every", "none"],
)
def test_canonical_dimensions_order(dimensions: list[str], expected: tuple[str, ...]) -> None:
    assert canonical_dimensions(dimensions) == expected


def test_canonical_dimensions_rejects_unknown_naming_them() -> None:
    with pytest.raises(ValueError) as raised:
        canonical_dimensions(["tenure", "size", "colour"])

    assert str(raised.value) == "unknown cohort dimension(s): colour, size"


def test_all_dimension_sets_are_the_16_canonical_subsets() -> None:
    sets = all_dimension_sets()

    assert (len(sets), len(set(sets)), sets[0], sets[-1]) == (16, 16, (), DIMENSIONS)
    assert all(canonical_dimensions(s) == s for s in sets)


@pytest.mark.parametrize(
    ("values", "points", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], (0, 10, 25, 50, 75, 100), [1.0, 1.4, 2.0, 3.0, 4.0, 5.0]),
        ([10.0, 20.0], (0, 25, 50, 99, 100), [10.0, 12.5, 15.0, 19.9, 20.0]),
        ([7.0], (0, 50, 100), [7.0, 7.0, 7.0]),
        # Percentile 67 sits at position 3·0.67 = 2.01: 1 + (9 − 1)·0.01.
        ([1.0, 1.0, 1.0, 9.0], (0, 50, 66, 67, 100), [1.0, 1.0, 1.0, 1.08, 9.0]),
    ],
    ids=["five-values", "two-values", "one-value", "ties"],
)
def test_quantile_sketch_interpolates_linearly_by_hand(
    values: list[float], points: tuple[int, ...], expected: list[float]
) -> None:
    sketch = quantile_sketch(values)

    assert (len(sketch), [sketch[p] for p in points]) == (101, pytest.approx(expected))


def test_quantile_sketch_of_0_and_100_is_every_percentile() -> None:
    assert quantile_sketch([0.0, 100.0]) == pytest.approx([float(p) for p in range(101)])


@pytest.mark.parametrize(
    ("sketch", "value", "higher_is_better", "expected"),
    [
        (UNIFORM, 50.0, True, 50.0),
        (UNIFORM, 25.5, True, 26 / 101 * 100),
        (UNIFORM, 25.0, True, 25.5 / 101 * 100),
        (UNIFORM, 25.0, False, 100 - 25.5 / 101 * 100),
        (UNIFORM, -1.0, True, 0.0),
        (UNIFORM, 101.0, True, 100.0),
        (UNIFORM, -1.0, False, 100.0),
        ([100.0] * 101, 100.0, True, 50.0),
        ([100.0] * 101, 100.0, False, 50.0),
    ],
    ids=[
        "middle",
        "between-points",
        "on-a-point-counts-half",
        "lower-is-better-flips",
        "below-everyone",
        "above-everyone",
        "lowest-defect-rate-beats-everyone",
        "all-tied-is-mid-rank",
        "all-tied-flipped-is-mid-rank",
    ],
)
def test_percentile_rank_by_hand(
    sketch: list[float], value: float, higher_is_better: bool, expected: float
) -> None:
    assert percentile_rank(sketch, value, higher_is_better) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([3.0, 1.0, 2.0], 2.0), ([4.0, 1.0, 3.0, 2.0], 2.5), ([5.0], 5.0)],
    ids=["odd", "even-averages-middle-two", "single"],
)
def test_median(values: list[float], expected: float) -> None:
    assert median(values) == expected


def row(dimensions: tuple[str, str, str, str], fq_index: float | None = None) -> BenchmarkRow:
    metrics = (fq_index, *NO_METRICS[1:])
    return BenchmarkRow(dimensions, metrics, NO_DEFECTS)


A = ("90-365d", "DE", "media", "fba")
C = ("<90d", "DE", "media", "mfn")


def test_cohort_benchmarks_leave_out_every_cohort_below_min_size() -> None:
    # A and B share every dimension; C shares only location and category with them.
    rows = [row(A, 90.0), row(A, 80.0), row(C, 70.0)]

    benchmarks = cohort_benchmarks(rows, min_size=2)

    a_values = dict(zip(DIMENSIONS, A, strict=True))
    expected_sizes = {
        cohort_key(a_values, dims): 3 if set(dims) <= {"location", "category"} else 2
        for dims in all_dimension_sets()
    }
    assert {key: b.size for key, b in benchmarks.items()} == expected_sizes


def test_cohort_benchmarks_with_a_higher_minimum_keep_only_the_shared_cohorts() -> None:
    rows = [row(A, 90.0), row(A, 80.0), row(C, 70.0)]

    benchmarks = cohort_benchmarks(rows, min_size=3)

    assert sorted(benchmarks) == sorted(
        ["all", "location=DE", "category=media", "location=DE|category=media"]
    )


def test_cohort_benchmark_quartiles_by_hand() -> None:
    rows = [row(A, v) for v in (80.0, 90.0, 70.0, 100.0, 60.0)]

    benchmark = cohort_benchmarks(rows, min_size=5)["all"]

    assert benchmark.metrics["fq_index"] == MetricBenchmark(
        "fq_index", 5, 70.0, 80.0, 90.0, tuple(quantile_sketch([60.0, 70.0, 80.0, 90.0, 100.0]))
    )


def test_cohort_benchmark_counts_only_members_with_the_metric() -> None:
    rows = [row(A, 80.0), row(A, None), row(A, 60.0), row(A, None)]

    benchmark = cohort_benchmarks(rows, min_size=1)["all"]

    assert (benchmark.size, set(benchmark.metrics), benchmark.metrics["fq_index"].count) == (
        4,
        {"fq_index"},
        2,
    )


def test_cohort_median_defect_rates_by_hand() -> None:
    late = DEFECT_TYPES.index("late_delivery")
    rates = (0.04, 0.01, 0.03, 0.10)
    rows = [
        BenchmarkRow(
            A, NO_METRICS, tuple(r if i == late else 0.0 for i in range(len(DEFECT_TYPES)))
        )
        for r in rates
    ]

    benchmark = cohort_benchmarks(rows, min_size=4)["all"]

    # Sorted 0.01, 0.03, 0.04, 0.10: the median of an even count averages 0.03 and 0.04.
    assert benchmark.median_defect_rates == {
        kind: pytest.approx(0.035) if kind == "late_delivery" else 0.0 for kind in DEFECT_TYPES
    }


def test_prior_rates_pool_counts_and_leave_out_first_party() -> None:
    spec = CohortSpec(EDGES, ("category",), 5)
    sellers = [
        seller_snapshot(seller_id="S1", counts=seller_counts(orders=100, late_deliveries=10)),
        seller_snapshot(seller_id="S2", counts=seller_counts(orders=900)),
        seller_snapshot(
            seller_id="RETAIL",
            first_party=True,
            counts=seller_counts(orders=1000, late_deliveries=500),
        ),
        seller_snapshot(
            seller_id="RETAIL-GROCERY",
            first_party=True,
            category_group="grocery",
            counts=seller_counts(orders=10, damaged=5),
        ),
    ]

    priors = prior_rates(sellers, spec)

    # 10 late of 1,000 pooled orders (the mean of the two sellers' rates would be 5 %); the
    # marketplace-wide prior is the same two sellers'.
    media = {kind: 0.01 if kind == "late_delivery" else 0.0 for kind in DEFECT_TYPES}
    expected = {window: media for window in WINDOWS}
    assert priors == {"all": expected, "category=media": expected}


def test_prior_rates_group_by_every_shrinkage_dimension() -> None:
    spec = CohortSpec(EDGES, ("tenure", "channel"), 5)
    sellers = [
        seller_snapshot(tenure_days=30, counts=seller_counts(damaged=2)),
        seller_snapshot(tenure_days=400, counts=seller_counts(damaged=4)),
    ]

    priors = prior_rates(sellers, spec)

    assert {key: windows["90d"]["damaged"] for key, windows in priors.items()} == {
        "all": 0.03,
        "tenure=<90d|channel=fba": 0.02,
        "tenure=365-1095d|channel=fba": 0.04,
    }


def test_first_party_seller_alone_in_its_cohort_is_shrunk_toward_the_marketplace() -> None:
    spec = CohortSpec(EDGES, ("category",), 5)
    retail = seller_snapshot(
        seller_id="RETAIL",
        first_party=True,
        category_group="grocery",
        counts=seller_counts(orders=20, late_deliveries=10),
    )
    sellers = [
        retail,
        seller_snapshot(seller_id="S1", counts=seller_counts(orders=100, late_deliveries=10)),
        seller_snapshot(seller_id="S2", counts=seller_counts(orders=100, late_deliveries=30)),
    ]
    params = signal_params({"fq": {"late_delivery": 1.0}}, pseudo_orders=20.0)

    prior = seller_prior(retail, prior_rates(sellers, spec), spec)
    fq = compile_signal("seller.fq_index", "90d")(subject(retail, prior_rates=prior), params)

    # No third-party grocery seller: the marketplace's third parties late on 40 of 200 orders.
    # Shrunk: (10 + 20 · 0.2) / (20 + 20) = 0.35 late; FQ = 100 · (1 − 0.35), not 75 (no defects).
    assert prior["90d"]["late_delivery"] == pytest.approx(0.2)
    assert fq.value == pytest.approx(65.0)


def test_cohort_without_orders_in_a_window_takes_the_marketplace_prior_not_zero() -> None:
    spec = CohortSpec(EDGES, ("category",), 5)
    idle = seller_counts(orders=0)
    sellers = [
        seller_snapshot(seller_id="S1", counts=seller_counts(orders=100, damaged=4)),
        seller_snapshot(seller_id="S2", category_group="toys", window_counts={"30d": idle}),
    ]

    priors = prior_rates(sellers, spec)

    # 4 damaged of the marketplace's 100 orders in 30d, where the toys cohort has no orders;
    # its own 100 defect-free ones in 90d.
    assert priors["category=toys"]["30d"]["damaged"] == pytest.approx(0.04)
    assert priors["category=toys"]["90d"]["damaged"] == 0.0


def test_marketplace_without_third_party_orders_pools_first_party_retail() -> None:
    spec = CohortSpec(EDGES, ("category",), 5)
    retail = seller_snapshot(first_party=True, counts=seller_counts(orders=20, late_deliveries=10))

    prior = seller_prior(retail, prior_rates([retail], spec), spec)

    assert {window: rates["late_delivery"] for window, rates in prior.items()} == dict.fromkeys(
        WINDOWS, 0.5
    )


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["media", "toys", "grocery"]),
            st.booleans(),
            valid_seller_counts(max_count=50),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_an_empty_cohort_never_yields_a_prior_better_than_the_marketplaces(
    members: list[tuple[str, bool, SellerCounts]],
) -> None:
    spec = CohortSpec(EDGES, ("category",), 5)
    sellers = [
        seller_snapshot(seller_id=f"S{n}", category_group=category, first_party=first, counts=c)
        for n, (category, first, c) in enumerate(members)
    ]
    priors = prior_rates(sellers, spec)
    weights = dict.fromkeys(DEFECT_TYPES, 1.0)

    for seller in sellers:
        prior = seller_prior(seller, priors, spec)
        for window in WINDOWS:
            cohort = [
                s
                for s in sellers
                if not s.first_party and s.category_group == seller.category_group
            ]
            marketplace = marketplace_rates(sellers, window)
            if marketplace is not None and not sum(s.windows[window].orders for s in cohort):
                assert weighted_defect_rate(prior[window], weights) >= weighted_defect_rate(
                    marketplace, weights
                )


def marketplace_rates(sellers: list[SellerSnapshot], window: str) -> dict[str, float] | None:
    """The marketplace's pooled rates: its third parties', else everyone's; None if no orders."""
    for group in ([s for s in sellers if not s.first_party], sellers):
        rates, orders = pooled_rates(
            (defect_counts(s.windows[window], "fq") | defect_counts(s.windows[window], "csq"),
             s.windows[window].orders)
            for s in group
        )  # fmt: skip
        if orders:
            return rates
    return None


def test_opportunities_against_the_cohort_median_by_hand() -> None:
    cohort = CohortBenchmark(
        "all",
        10,
        {},
        {"late_delivery": 0.02, "damaged": 0.01, "unanswered_contact": 0.05, "cs_claim": 0.02},
    )
    own = {"late_delivery": 0.05, "damaged": 0.04, "unanswered_contact": 0.10, "cs_claim": 0.01}
    weights = {
        "fq": {"late_delivery": 1.0, "damaged": 2.0},
        "csq": {"unanswered_contact": 0.5, "cs_claim": 2.0},
    }

    gains = opportunities_against(own, cohort, weights)

    # FQ: D = 0.05 + 2·0.04 = 0.13; damaged to 0.01 gains 6, late to 0.02 gains 3.
    # CSQ: D = 0.5·0.10 + 2·0.01 = 0.07; unanswered to 0.05 gains 2.5; cs_claim is better.
    assert gains == [
        ("fq", "damaged", pytest.approx(6.0)),
        ("fq", "late_delivery", pytest.approx(3.0)),
        ("csq", "unanswered_contact", pytest.approx(2.5)),
    ]


sorted_values = st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50).map(sorted)


@given(sorted_values)
def test_quantile_sketch_runs_from_min_to_max_without_decreasing(values: list[float]) -> None:
    sketch = quantile_sketch(values)

    assert (sketch[0], sketch[-1]) == (values[0], values[-1])
    assert all(a <= b for a, b in zip(sketch, sketch[1:], strict=False))


@given(sorted_values, st.floats(-2e6, 2e6), st.floats(-2e6, 2e6), st.booleans())
def test_percentile_rank_is_within_0_100_and_monotone_in_the_value(
    values: list[float], first: float, second: float, higher_is_better: bool
) -> None:
    sketch = quantile_sketch(values)
    low, high = sorted((first, second))

    rank_low = percentile_rank(sketch, low, higher_is_better)
    rank_high = percentile_rank(sketch, high, higher_is_better)

    assert 0.0 <= rank_low <= 100.0 and 0.0 <= rank_high <= 100.0
    assert rank_low <= rank_high if higher_is_better else rank_low >= rank_high


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(("<90d", "90-365d")), st.sampled_from(("DE", "PL", "FR"))),
        max_size=30,
    ),
    st.integers(1, 6),
)
def test_no_cohort_below_min_size_is_ever_present(
    members: list[tuple[str, str]], min_size: int
) -> None:
    rows = [row((tenure, location, "media", "fba"), 50.0) for tenure, location in members]

    benchmarks = cohort_benchmarks(rows, min_size)

    assert all(b.size >= min_size for b in benchmarks.values())
    assert all(b.metrics["fq_index"].count == b.size for b in benchmarks.values())
