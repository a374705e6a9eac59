"""The OpenAPI 3 document, generated with apispec from the app's routes and their schemas.

Each view declares its operation beside itself with `@documented(...)`. The document walks
the app's url_map, so it always lists the real routes, and a route without a description
fails to build. Patterns are written for ECMA-262 regexes, which generated clients and JSON
Schema validators use, while the app keeps Python's exact matching (see `ecma_pattern`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields
from werkzeug.routing import Rule

from trust_signals import __version__
from trust_signals.api.responses import ProblemSchema
from trust_signals.api.schemas import ID_RULE, IdList

Access = Literal["anyone", "anyone_more_with_token", "audit", "admin"]
View = TypeVar("View", bound=Callable[..., Any])

_ATTRIBUTE: Final = "openapi_operation"
_PROBLEMS: Final = {
    400: "Invalid request: `detail` and `errors` name each bad field",
    401: "No valid bearer token",
    404: "Unknown marketplace, seller, offer or snapshot; or the feature is off",
    406: "The Accept header names none of the media types the answer comes in",
    409: "Activation refused by the shrink guard",
    413: "Request body over 256 KiB",
    422: "Configuration refused; the old one keeps serving",
    503: "The store does not answer or nothing is served yet; retry shortly",
}
_SECURITY_SCHEMES: Final = {
    "admin": "TRUST_SIGNALS_ADMIN_TOKEN: administration, and every audit read",
    "audit": "TRUST_SIGNALS_AUDIT_TOKEN: read-only audit reads",
}
_SECURITY: Final[dict[Access, list[dict[str, list[str]]]]] = {
    "anyone": [],
    "anyone_more_with_token": [{}, {"audit": []}, {"admin": []}],
    "audit": [{"audit": []}, {"admin": []}],
    "admin": [{"admin": []}],
}
# A path argument: <name>, or <converter:name>, or <converter(arguments):name>.
_ARGUMENT: Final = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


@dataclass(frozen=True, slots=True)
class Operation:
    """One route as documented: what it reads, what it answers, who may call it."""

    summary: str
    ok: type[Schema] | None  # the 200 body's schema; None: Prometheus text
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    problems: tuple[int, ...] = ()  # 401 and 404 are added for audit and admin
    access: Access = "anyone"
    degrades: bool = False  # may answer degraded (a field and a header) instead of failing
    binary: tuple[str, ...] = ()  # media types besides JSON the 200 comes in, as Accept asks
    headers: tuple[tuple[str, str], ...] = ()  # the 200's other headers: (name, description)


class UndocumentedRoute(LookupError):
    """A route whose view carries no `@documented` operation."""


def documented(
    summary: str,
    ok: type[Schema] | None,
    *,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    problems: tuple[int, ...] = (),
    access: Access = "anyone",
    degrades: bool = False,
    binary: tuple[str, ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
) -> Callable[[View], View]:
    """Attach the route's Operation (see its fields) to its view, for `openapi_document`."""
    operation = Operation(summary, ok, query, body, problems, access, degrades, binary, headers)

    def attach(view: View) -> View:
        setattr(view, _ATTRIBUTE, operation)
        return view

    return attach


_PAGE: Final = "html page"


def html_page(view: View) -> View:
    """Mark a route that answers HTML for people (web/): not an operation of the JSON API,
    so the document leaves it out."""
    setattr(view, _ATTRIBUTE, _PAGE)
    return view


def is_html_page(view: Callable[..., Any]) -> bool:
    """Whether `html_page` marked the view."""
    return getattr(view, _ATTRIBUTE, None) == _PAGE


def ecma_pattern(pattern: str) -> str:
    """`pattern` for ECMA-262 regexes: Python's end of string `\\Z` becomes `$`.

    The app ends patterns in `\\Z` because Python's `$` also matches before a final newline.
    ECMA-262 reads `\\Z` as a literal "Z" (so "US" would fail and "USZ" pass), and its `$`
    (without the m flag) matches only at the end.
    """
    converted = pattern.removesuffix("\\Z") + "$" if pattern.endswith("\\Z") else pattern
    if not converted.startswith("^") or not converted.endswith("$"):
        raise ValueError(f"pattern {pattern!r} must be anchored with ^ and \\Z")
    if re.search(r"\\[AZz]|\(\?P", converted):
        raise ValueError(f"pattern {pattern!r} uses Python-only syntax")
    return converted


def _ecma_patterns(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    return {"pattern": ecma_pattern(ret["pattern"])} if "pattern" in ret else {}


def _id_list(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    if not isinstance(field, IdList):
        return {}
    item = {"type": "string", "pattern": ecma_pattern(ID_RULE.pattern)}
    return {"type": "array", "minItems": 1, "items": item}


def _comma_separated(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    return {"style": "form", "explode": False} if isinstance(field, IdList) else {}


def _path(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """The rule as an OpenAPI path, and its path parameters: ids, or one of an `any`."""
    parameters = []
    for found in _ARGUMENT.finditer(rule.rule):
        if found["converter"] == "any":
            schema: dict[str, Any] = {
                "type": "string",
                "enum": [choice.strip(" '\"") for choice in found["args"].split(",")],
            }
        elif found["converter"] is None:  # every plain path argument is an id
            schema = {"type": "string", "pattern": ecma_pattern(ID_RULE.pattern)}
        else:
            raise ValueError(f"{rule.rule}: no OpenAPI form for converter {found['converter']}")
        parameters.append({"in": "path", "name": found["name"], "required": True, "schema": schema})
    return _ARGUMENT.sub(r"{\g<name>}", rule.rule), parameters


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _PROBLEMS[status],
        "content": {"application/problem+json": {"schema": "Problem"}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"required": True, "schema": {"type": "string"}},
        }
    return response


def _ok(operation: Operation) -> dict[str, Any]:
    if operation.ok is None:
        return {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}
    binary = {"type": "string", "format": "binary"}
    response: dict[str, Any] = {
        "description": "OK",
        "content": {"application/json": {"schema": operation.ok}}
        | {media: {"schema": binary} for media in operation.binary},
    }
    headers: dict[str, Any] = {}
    if operation.degrades:
        headers["X-Trust-Signals-Degraded"] = {
            "description": "the store failed: what the cache could not answer is left out",
            "schema": {"type": "string", "enum": ["true"]},
        }
    for name, description in operation.headers:
        headers[name] = {"description": description, "schema": {"type": "string"}}
    if headers:
        response["headers"] = headers
    return response


def _operation(operation: Operation, endpoint: str) -> dict[str, Any]:
    problems = set(operation.problems)
    if operation.access in ("audit", "admin"):
        problems |= {401, 404}
    described: dict[str, Any] = {
        "operationId": endpoint,
        "summary": operation.summary,
        "responses": {"200": _ok(operation)} | {str(s): _problem(s) for s in sorted(problems)},
    }
    if operation.query is not None:
        described["parameters"] = [{"in": "query", "schema": operation.query}]
    if operation.body is not None:
        json = {"application/json": {"schema": operation.body}}
        described["requestBody"] = {"required": True, "content": json}
    if _SECURITY[operation.access]:
        described["security"] = _SECURITY[operation.access]
    return described


def _spec() -> APISpec:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="trust-signals",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Badges, seller profile stats and ranking features."},
    )
    assert plugin.converter is not None  # set by the spec
    plugin.converter.add_attribute_function(_id_list)
    plugin.converter.add_attribute_function(_ecma_patterns)
    plugin.converter.add_parameter_attribute_function(_comma_separated)
    spec.components.schema("Problem", schema=ProblemSchema)
    for name, description in _SECURITY_SCHEMES.items():
        scheme = {"type": "http", "scheme": "bearer", "description": description}
        spec.components.security_scheme(name, scheme)
    return spec


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document for every route of `app` but static files and HTML pages;
    UndocumentedRoute if one has no description. Cheap enough to build per request to
    /openapi.json, which is rare."""
    paths: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        operation = getattr(app.view_functions[rule.endpoint], _ATTRIBUTE, None)
        if operation == _PAGE:
            continue
        if operation is None:
            raise UndocumentedRoute(f"{rule.rule} ({rule.endpoint}) has no @documented operation")
        path, parameters = _path(rule)
        operations = paths.setdefault(path, (parameters, {}))[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations[method.lower()] = _operation(operation, rule.endpoint)
    spec = _spec()
    for path, (parameters, operations) in paths.items():
        spec.path(path=path, operations=operations, parameters=parameters)
    return spec.to_dict()
