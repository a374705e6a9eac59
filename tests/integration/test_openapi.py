"""The OpenAPI document: built from the app's real routes, portable patterns, full schemas."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from trust_signals.api import create_app
from trust_signals.api.openapi import (
    UndocumentedRoute,
    ecma_pattern,
    is_html_page,
    openapi_document,
)
from trust_signals.config import Settings

pytestmark = pytest.mark.integration
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def bare_app(settings: Settings) -> Flask:
    """The app over an empty store: the document does not depend on the data."""
    return create_app(settings, background_refresh=False)


@pytest.fixture
def document(bare_app: Flask) -> dict[str, Any]:
    response = bare_app.test_client().get("/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.get_json()
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from patterns(value)


def test_document_lists_every_route_of_the_app(bare_app: Flask, document: dict[str, Any]) -> None:
    routes = {
        (re.sub(r"<(?:[^:>]*:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in bare_app.url_map.iter_rules()
        if rule.endpoint != "static" and not is_html_page(bare_app.view_functions[rule.endpoint])
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert {(path, method) for path, method, _ in operations(document)} == routes
    assert len(routes) == 17


def test_a_route_without_a_description_fails_the_document(bare_app: Flask) -> None:
    bare_app.add_url_rule("/v1/novelty", "novelty", lambda: "")
    with pytest.raises(UndocumentedRoute, match="/v1/novelty"):
        openapi_document(bare_app)


def test_every_operation_documents_its_answer_body(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            assert response["content"], (path, method, status)
            for media_type, described in response["content"].items():
                assert described["schema"], (path, method, status, media_type)
        if path != "/metrics":
            assert "application/json" in operation["responses"]["200"]["content"], path


def test_id_patterns_work_under_ecma_regex_rules(document: dict[str, Any]) -> None:
    found = set(patterns(document))
    marketplace = "^[A-Z]{2}$"
    assert marketplace in found
    # ECMA-262 reads Python's \Z as a literal "Z": "US" would fail there and "USZ" pass.
    assert not [p for p in found if "\\Z" in p or "\\A" in p]
    assert all(p.startswith("^") and p.endswith("$") for p in found)
    assert re.search(marketplace, "US") and not re.search(marketplace, "USZ")


def test_python_patterns_become_ecma_patterns() -> None:
    assert (
        ecma_pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z") == "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
    )
    with pytest.raises(ValueError, match="Python-only"):
        ecma_pattern(r"^\Aid$")


def test_id_lists_are_arrays_of_ids_comma_separated_in_a_query(document: dict[str, Any]) -> None:
    get = document["paths"]["/v1/badges"]["get"]
    (offer_ids,) = [p for p in get["parameters"] if p["name"] == "offer_ids"]
    assert (offer_ids["style"], offer_ids["explode"]) == ("form", False)
    body = document["components"]["schemas"]["BadgesRequest"]["properties"]["offer_ids"]
    for schema in (offer_ids["schema"], body):
        assert (schema["type"], schema["minItems"], schema["items"]["type"]) == (
            "array",
            1,
            "string",
        )


def test_tokens_are_documented_as_bearer_security_schemes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "admin": ("http", "bearer"),
        "audit": ("http", "bearer"),
    }
    explain = document["paths"]["/v1/explain/{kind}/{entity_id}"]["get"]
    reload = document["paths"]["/admin/config/reload"]["post"]
    status = document["paths"]["/v1/status"]["get"]
    assert explain["security"] == [{"audit": []}, {"admin": []}]
    assert reload["security"] == [{"admin": []}]
    assert status["security"] == [{}, {"audit": []}, {"admin": []}]
    assert explain["responses"]["401"]["headers"]["WWW-Authenticate"]["required"] is True


def test_not_ready_is_documented(document: dict[str, Any]) -> None:
    assert "503" in document["paths"]["/readyz"]["get"]["responses"]
