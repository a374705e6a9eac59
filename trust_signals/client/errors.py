"""The errors the HTTP client raises, all under TrustSignalsClientError."""

from __future__ import annotations

from trust_signals.errors import TrustSignalsError


class TrustSignalsClientError(TrustSignalsError):
    """Base of every error the HTTP client raises."""


class RequestRejected(TrustSignalsClientError):
    """The service refused the request (4xx): a bug in the caller; raised in every mode."""

    def __init__(self, status: int, code: str | None, detail: str) -> None:
        super().__init__(f"HTTP {status} {code or 'rejected'}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


class NotFound(RequestRejected):
    """404: an unknown offer, seller or marketplace (`code` says which)."""


class ServiceUnavailable(TrustSignalsClientError):
    """No answer: connection failure, timeout, 5xx, 408/429, or the circuit breaker is open."""

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail if status is None else f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class MalformedResponse(TrustSignalsClientError):
    """A 2xx answer whose body is not the documented JSON (not JSON, fields missing or mistyped);
    `detail` names the bad field by its path, e.g. `offers[3].badges[0].id: expected a string`."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
