"""Every refused request gets a problem+json body naming what is wrong; never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.integration
SEARCH = "/v1/badges?marketplace=US&surface=search&offer_ids="


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code", "detail_part"),
    [
        (
            "get",
            "/v1/badges?marketplace=FR&surface=search&offer_ids=O-1",
            None,
            404,
            "unknown_marketplace",
            "'FR'",
        ),
        (
            "get",
            "/v1/badges?marketplace=us&surface=search&offer_ids=O-1",
            None,
            400,
            "invalid_request",
            "marketplace: must be two upper-case letters",
        ),
        (
            "get",
            "/v1/badges?marketplace=US&surface=banner&offer_ids=O-1",
            None,
            400,
            "invalid_request",
            "surface: Must be one of: search, pdp",
        ),
        (
            "get",
            "/v1/badges?surface=search&offer_ids=O-1",
            None,
            400,
            "invalid_request",
            "marketplace: Missing data for required field",
        ),
        ("get", SEARCH + "a,b,c,d,e,f", None, 400, "too_many_ids", "6 ids asked; at most 5"),
        ("get", SEARCH + "O-1,bad%20id", None, 400, "invalid_request", "1 malformed id(s)"),
        ("get", SEARCH + "O-1%0A", None, 400, "invalid_request", "1 malformed id(s)"),
        ("get", SEARCH + "O-1&extra=1", None, 400, "invalid_request", "extra: Unknown field"),
        ("get", SEARCH, None, 400, "invalid_request", "offer_ids"),
        ("post", "/v1/badges", b"{not json", 400, "invalid_json", "malformed JSON body"),
        ("post", "/v1/badges", b"", 400, "invalid_json", "needs a JSON body"),
        ("post", "/v1/badges", b"[1, 2]", 400, "invalid_request", "Invalid input type"),
        (
            "post",
            "/v1/badges",
            b'{"marketplace": "US", "surface": "search", "offer_ids": 7}',
            400,
            "invalid_request",
            "offer_ids: must be a non-empty list of ids",
        ),
        (
            "post",
            "/v1/features",
            b'{"marketplace": "US", "offer_ids": ["a","b","c","d","e","f","g"]}',
            400,
            "too_many_ids",
            "at most 6 per call",
        ),
        ("get", "/v1/offers/ghost?marketplace=US", None, 404, "offer_not_found", "'ghost'"),
        (
            "get",
            "/v1/sellers/ghost/profile?marketplace=US",
            None,
            404,
            "seller_not_found",
            "'ghost'",
        ),
        (
            "get",
            "/v1/sellers/S-BIG/benchmark?marketplace=US&dimensions=colour",
            None,
            400,
            "invalid_request",
            "unknown dimension(s) colour",
        ),
        ("get", "/v1/programs?group_by=planet", None, 400, "invalid_request", "group_by"),
        (
            "get",
            "/v1/offers/" + "x" * 65 + "?marketplace=US",
            None,
            400,
            "invalid_request",
            "malformed offer id",
        ),
        ("get", "/v1/nowhere", None, 404, "not_found", "not found"),
        ("delete", "/v1/badges", None, 405, "method_not_allowed", "method"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_bad_request_gets_a_problem_naming_what_is_wrong(
    client: FlaskClient,
    method: str,
    url: str,
    body: bytes | None,
    status: int,
    code: str,
    detail_part: str,
) -> None:
    response = getattr(client, method)(url, data=body, content_type="application/json")
    problem = response.get_json()
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert problem["code"] == code
    assert problem["status"] == status
    assert detail_part.lower() in problem["detail"].lower()
    assert "Traceback" not in response.get_data(as_text=True)


def test_body_over_the_size_limit_is_refused(client: FlaskClient) -> None:
    body = b'{"marketplace": "US", "surface": "search", "offer_ids": ["' + b"a" * 300_000 + b'"]}'
    response = client.post("/v1/badges", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_unexpected_error_is_a_500_problem_with_a_request_id_and_no_trace(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trust_signals.service.reads import TrustSignals

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(TrustSignals, "badges", broken)
    response = client.get(SEARCH + "O-1")
    problem = response.get_json()
    assert response.status_code == 500
    assert problem["code"] == "internal_error"
    assert problem["request_id"] in problem["detail"]
    assert "secret internals" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("delete", "/v1/badges", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("get", "/v1/features", {"OPTIONS", "POST"}),
    ],
)
def test_method_not_allowed_names_the_allowed_methods(
    client: FlaskClient, method: str, url: str, allowed: set[str]
) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) == allowed
