"""The callers' SDK: a pooled, retrying, fail-open HTTP client and its typed results."""

from trust_signals.breaker import CircuitBreaker
from trust_signals.client.errors import (
    MalformedResponse,
    NotFound,
    RequestRejected,
    ServiceUnavailable,
    TrustSignalsClientError,
)
from trust_signals.client.http import TrustSignalsClient
from trust_signals.client.results import (
    Badge,
    BadgesResult,
    Benchmark,
    Cohort,
    CohortPlace,
    FeaturesResult,
    FirstPartyMetrics,
    MetricBenchmark,
    OfferResult,
    Opportunity,
    PooledCohort,
    ProgramGroup,
    Programs,
    SellerProfile,
    SnapshotInfo,
    StageComparison,
    Stat,
    Status,
)

__all__ = [
    "Badge",
    "BadgesResult",
    "Benchmark",
    "CircuitBreaker",
    "Cohort",
    "CohortPlace",
    "FeaturesResult",
    "FirstPartyMetrics",
    "MalformedResponse",
    "MetricBenchmark",
    "NotFound",
    "OfferResult",
    "Opportunity",
    "PooledCohort",
    "ProgramGroup",
    "Programs",
    "RequestRejected",
    "SellerProfile",
    "ServiceUnavailable",
    "SnapshotInfo",
    "StageComparison",
    "Stat",
    "Status",
    "TrustSignalsClient",
    "TrustSignalsClientError",
]
