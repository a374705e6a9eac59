"""Cohorts pooled over stores: quantile sketches mixed by member count, by hand and by property."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust_signals.domain.cohorts import (
    BENCHMARK_METRICS,
    CohortBenchmark,
    MetricBenchmark,
    metric_benchmark,
    quantile_sketch,
)
from trust_signals.domain.store_stages import (
    PooledCohort,
    mixed_sketch,
    pooled_cohort,
    pooled_metric,
)

# A sketch holding 0, 1, ..., 100 at percentiles 0, 1, ..., 100: a uniform distribution.
UNIFORM = tuple(quantile_sketch([0.0, 100.0]))
SHIFTED = tuple(quantile_sketch([100.0, 200.0]))
values = st.lists(
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False) | st.integers(0, 5).map(float),
    min_size=1,
    max_size=200,
)


def test_two_adjacent_uniform_halves_of_equal_weight_make_one_uniform_whole() -> None:
    # F(x) = x / 200 on [0, 200]: the i-th percentile is 2i.
    assert mixed_sketch([(7, UNIFORM), (7, SHIFTED)]) == pytest.approx([2 * i for i in range(101)])


def test_weights_are_the_member_counts() -> None:
    # 3 members on [0, 100], 1 on [100, 200]: F(x) = 0.75 x/100 below 100, then
    # 0.75 + 0.25 (x - 100)/100; so p25 = 33.3, the median 66.7 and p90 = 160.
    sketch = mixed_sketch([(3, UNIFORM), (1, SHIFTED)])
    assert (sketch[25], sketch[50], sketch[75], sketch[90]) == pytest.approx(
        (100 / 3, 200 / 3, 100.0, 160.0)
    )


def test_a_cohort_of_tied_members_is_a_jump_of_its_weight() -> None:
    # Half the weight all at 5, half uniform on [0, 100]: F = x/200 below 5, jumps by 1/2 at
    # 5, then 1/2 + x/200. Percentiles 0-2 are 2i, 3-52 are 5, 53-100 are 2i - 100.
    sketch = mixed_sketch([(10, (5.0,) * 101), (10, UNIFORM)])
    expected = [2.0 * i if i <= 2 else 5.0 if i <= 52 else 2.0 * i - 100 for i in range(101)]
    assert sketch == pytest.approx(expected)


@given(values, st.integers(1, 1000))
def test_one_cohort_pooled_alone_keeps_its_own_sketch_exactly(
    members: list[float], weight: int
) -> None:
    sketch = tuple(quantile_sketch(sorted(members)))
    assert mixed_sketch([(weight, sketch)]) == sketch


@given(values, st.lists(st.integers(1, 1000), min_size=2, max_size=4))
def test_cohorts_alike_pool_to_their_common_sketch_exactly(
    members: list[float], weights: list[int]
) -> None:
    sketch = tuple(quantile_sketch(sorted(members)))
    assert mixed_sketch([(w, sketch) for w in weights]) == sketch


@settings(max_examples=200, deadline=None)
@given(st.lists(values, min_size=1, max_size=4))
def test_pooled_quantiles_rank_within_a_percentile_and_a_member_of_the_exact_ones(
    cohorts: list[list[float]],
) -> None:
    # Each sketch places its members to within 1/n of rank (n its members) and reads as a
    # linear CDF between its percentiles (within 1/100); the mixture keeps the worst of both.
    pooled = pooled_metric([metric_benchmark("fq_index", list(c)) for c in cohorts])
    everyone = sorted(v for c in cohorts for v in c)
    tolerance = 0.01 + 1 / min(len(c) for c in cohorts) + 1e-9
    for percentile, quantile in enumerate(pooled.sketch):
        share_below = bisect_left(everyone, quantile) / len(everyone)
        share_at_or_below = bisect_right(everyone, quantile) / len(everyone)
        assert share_below - tolerance <= percentile / 100 <= share_at_or_below + tolerance
    assert pooled.sketch[0] == everyone[0]
    assert pooled.sketch[-1] == everyone[-1]
    assert list(pooled.sketch) == sorted(pooled.sketch)
    assert pooled.count == len(everyone)
    assert (pooled.p25, pooled.p50, pooled.p75) == pooled.sketch[25:76:25]


def _cohort(key: str, size: int, metrics: dict[str, MetricBenchmark]) -> CohortBenchmark:
    return CohortBenchmark(key, size, metrics, {})


def test_pooled_cohort_adds_sizes_and_mixes_each_metric_where_it_was_measured() -> None:
    us = _cohort(
        "category=media",
        30,
        {
            "fq_index": MetricBenchmark("fq_index", 30, 25.0, 50.0, 75.0, UNIFORM),
            "csq_index": MetricBenchmark("csq_index", 12, 25.0, 50.0, 75.0, UNIFORM),
        },
    )
    de = _cohort(
        "category=media",
        10,
        {"fq_index": MetricBenchmark("fq_index", 10, 125.0, 150.0, 175.0, SHIFTED)},
    )
    pooled = pooled_cohort("category=media", {"US": us, "DE": de})
    assert pooled is not None
    assert (pooled.key, pooled.size, dict(pooled.sizes)) == (
        "category=media",
        40,
        {"DE": 10, "US": 30},
    )
    assert list(pooled.sizes) == ["DE", "US"]
    assert list(pooled.metrics) == [m for m in BENCHMARK_METRICS if m in ("fq_index", "csq_index")]
    fq = pooled.metrics["fq_index"]
    # 30 members on [0, 100] and 10 on [100, 200]: the median is at 50 / 0.75 = 66.7.
    assert (fq.count, fq.p50, fq.p75) == (40, pytest.approx(200 / 3), pytest.approx(100.0))
    # Measured in US alone: US's own figures.
    assert pooled.metrics["csq_index"] == us.metrics["csq_index"]


def test_no_cohort_to_pool_is_none() -> None:
    assert pooled_cohort("category=media", {}) is None


def test_a_pooled_cohort_is_a_frozen_value() -> None:
    pooled = PooledCohort("all", 1, {"US": 1}, {})
    with pytest.raises(AttributeError):
        pooled.size = 2  # type: ignore[misc]
