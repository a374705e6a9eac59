"""The OpenAPI 3 document, generated from the marshmallow schemas with apispec."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from trust_signals import __version__
from trust_signals.api import schemas

_PROBLEM = {
    "description": "Problem",
    "content": {"application/problem+json": {"schema": "Problem"}},
}


def _ok(schema: str) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _query(schema: type) -> list[dict[str, Any]]:
    return [{"in": "query", "schema": schema}]


def _path(name: str) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}


def openapi_document() -> dict[str, Any]:
    """Build the document (cheap; called per request to /openapi.json, which is rare)."""
    spec = APISpec(
        title="trust-signals",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Badges, seller profile stats and ranking features."},
    )
    for name in (
        "BadgesRequest",
        "FeaturesRequest",
        "BadgesResponse",
        "OfferResponse",
        "ProfileResponse",
        "FeaturesResponse",
        "Problem",
    ):
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    errors = {"400": _PROBLEM, "404": _PROBLEM, "503": _PROBLEM}
    spec.path(
        path="/v1/badges",
        operations={
            "get": {
                "summary": "Badges for a search page (offer_ids comma-separated)",
                "parameters": _query(schemas.BadgesRequestSchema),
                "responses": {"200": _ok("BadgesResponse"), **errors},
            },
            "post": {
                "summary": "Badges for a long list of offers",
                "requestBody": {"content": {"application/json": {"schema": "BadgesRequest"}}},
                "responses": {"200": _ok("BadgesResponse"), **errors},
            },
        },
    )
    spec.path(
        path="/v1/offers/{offer_id}",
        operations={
            "get": {
                "summary": "PDP: the offer's badges and a short seller summary",
                "parameters": [_path("offer_id"), *_query(schemas.MarketplaceQuerySchema)],
                "responses": {"200": _ok("OfferResponse"), **errors},
            }
        },
    )
    spec.path(
        path="/v1/sellers/{seller_id}/profile",
        operations={
            "get": {
                "summary": "SPP: stats with display strings, samples and windows; seller badges",
                "parameters": [_path("seller_id"), *_query(schemas.MarketplaceQuerySchema)],
                "responses": {"200": _ok("ProfileResponse"), **errors},
            }
        },
    )
    spec.path(
        path="/v1/features",
        operations={
            "post": {
                "summary": "Ranking feature vectors in schema order with a missing mask",
                "requestBody": {"content": {"application/json": {"schema": "FeaturesRequest"}}},
                "responses": {"200": _ok("FeaturesResponse"), **errors},
            }
        },
    )
    spec.path(
        path="/v1/sellers/{seller_id}/benchmark",
        operations={
            "get": {
                "summary": "The seller against a chosen cohort and first-party retail",
                "parameters": [_path("seller_id"), *_query(schemas.BenchmarkQuerySchema)],
                "responses": {"200": {"description": "OK"}, **errors},
            }
        },
    )
    spec.path(
        path="/v1/programs",
        operations={
            "get": {
                "summary": "FQ/CSQ indices pooled per program group or marketplace",
                "parameters": _query(schemas.ProgramsQuerySchema),
                "responses": {"200": {"description": "OK"}, **errors},
            }
        },
    )
    for kind in ("offers", "sellers"):
        spec.path(
            path=f"/v1/explain/{kind}/{{id}}",
            operations={
                "get": {
                    "summary": f"Every badge rule evaluated for one of the {kind}",
                    "parameters": [_path("id"), *_query(schemas.MarketplaceQuerySchema)],
                    "responses": {"200": {"description": "OK"}, **errors},
                }
            },
        )
    for path, summary in (
        ("/v1/status", "Active and retained snapshots, config version, cache statistics"),
        ("/healthz", "The process is alive"),
        ("/readyz", "A snapshot is active and the store answers"),
        ("/metrics", "Prometheus metrics"),
    ):
        spec.path(
            path=path,
            operations={"get": {"summary": summary, "responses": {"200": {"description": "OK"}}}},
        )
    return spec.to_dict()
