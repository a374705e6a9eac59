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
    FeaturesResult,
    FirstPartyMetrics,
    IncentiveCondition,
    IncentiveQualification,
    IncentiveSnapshot,
    MetricBenchmark,
    OfferResult,
    Opportunity,
    ProgramGroup,
    Programs,
    SellerProfile,
    SnapshotInfo,
    Stat,
    Status,
)

__all__ = [
    "Badge",
    "BadgesResult",
    "Benchmark",
    "CircuitBreaker",
    "Cohort",
    "FeaturesResult",
    "FirstPartyMetrics",
    "IncentiveCondition",
    "IncentiveQualification",
    "IncentiveSnapshot",
    "MalformedResponse",
    "MetricBenchmark",
    "NotFound",
    "OfferResult",
    "Opportunity",
    "ProgramGroup",
    "Programs",
    "RequestRejected",
    "SellerProfile",
    "ServiceUnavailable",
    "SnapshotInfo",
    "Stat",
    "Status",
    "TrustSignalsClient",
    "TrustSignalsClientError",
]
