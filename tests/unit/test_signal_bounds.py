"""One bound of a signal computed directly equals the bound of the full Measure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.snapshot_builders import (
    offer_snapshot,
    seller_counts,
    seller_snapshot,
    signal_params,
    subject,
    valid_offer_counts,
    valid_seller_counts,
)
from trust_signals.domain.rates import NO_DATA
from trust_signals.domain.signal_bounds import compile_bound
from trust_signals.domain.signals import compile_signal, signal_catalogue
from trust_signals.domain.snapshots import WINDOWS, OfferCounts, SellerCounts

BOUNDS = ("point", "lower", "upper")
SIGNALS = [
    (reference, window)
    for reference, windowed in sorted(signal_catalogue().items())
    for window in (WINDOWS if windowed else (None,))
]
WEIGHTS = {"fq": {"late_delivery": 1.0, "damaged": 2.0}, "csq": {"cs_claim": 1.5}}
PRIOR = {window: {"late_delivery": 0.02, "damaged": 0.01, "cs_claim": 0.005} for window in WINDOWS}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SIGNALS),
    st.sampled_from(BOUNDS),
    valid_seller_counts(),
    valid_offer_counts(),
    st.booleans(),
    st.floats(0.5, 3.0),
)
def test_compiled_bound_equals_the_bound_of_the_measure(
    signal: tuple[str, str | None],
    which: str,
    seller_window: SellerCounts,
    offer_window: OfferCounts,
    with_offer: bool,
    z: float,
) -> None:
    reference, window = signal
    params = signal_params(WEIGHTS, 20.0, z=z)
    offer = offer_snapshot(counts=offer_window) if with_offer else None
    case = subject(seller_snapshot(counts=seller_window), offer, PRIOR)

    direct = compile_bound(reference, window, which)(case, params)

    assert direct == compile_signal(reference, window)(case, params).bound(which)


@pytest.mark.parametrize("which", BOUNDS)
def test_a_rate_without_opportunities_has_no_bound(which: str) -> None:
    params = signal_params()
    idle = subject(seller_snapshot(counts=seller_counts(returns=0, return_dissatisfaction=0)))
    bound = compile_bound("seller.return_dissatisfaction_rate", "90d", which)

    assert compile_signal("seller.return_dissatisfaction_rate", "90d")(idle, params) == NO_DATA
    assert bound(idle, params) is None


def test_compile_bound_rejects_what_compile_signal_rejects() -> None:
    with pytest.raises(ValueError, match="needs a window"):
        compile_bound("offer.return_rate", None, "upper")
