"""Contract: every operation in /openapi.json, called through the real app (WSGI, no network)
over the small test snapshots, answers with a documented status, content type and body."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode, checks

from tests.conftest import ADMIN_TOKEN, AUDIT_TOKEN

pytestmark = [
    pytest.mark.integration,
    # The contract is the API's; the stores have their own contract suite.
    pytest.mark.parametrize("store", ["sqlite"], indirect=True),
]
# Anonymous, read-only and admin callers see different answers from the same operations.
CALLERS = (
    {},
    {"Authorization": f"Bearer {AUDIT_TOKEN}"},
    {"Authorization": f"Bearer {ADMIN_TOKEN}"},
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30
# What the test snapshots hold (tests/conftest.py), so that valid requests also reach data.
KNOWN = {
    "marketplace": ["US", "DE"],
    "offer_id": ["O-1", "O-2", "O-3", "D-O1"],
    "seller_id": ["S-BIG", "S-SMALL", "US-1P", "D-S1"],
    "entity_id": ["O-1", "O-3", "S-BIG", "S-SMALL"],
    "snapshot_id": ["US-2026-11-27", "DE-2026-11-27"],
}
KNOWN_OFFER_IDS = st.lists(st.sampled_from(KNOWN["offer_id"] + ["ghost"]), min_size=1, max_size=6)


@pytest.fixture
def api_schema(app: Flask) -> BaseSchema:
    """The app's own document, as the app serves it.

    Loaded as a document rather than with `from_wsgi`, which leaves out the operation that
    served it: /openapi.json is an operation of the contract too.
    """
    return schemathesis.openapi.from_dict(app.test_client().get("/openapi.json").get_json())


@st.composite
def known_entities(draw: st.DrawFn, operation: APIOperation) -> Case:
    """A valid request naming marketplaces and ids the test snapshots hold."""
    case = draw(operation.as_strategy(GenerationMode.POSITIVE))
    for values in (case.path_parameters, case.query, case.body):
        if not isinstance(values, dict):
            continue
        for name in values.keys() & KNOWN.keys():
            values[name] = draw(st.sampled_from(KNOWN[name]))
        if "offer_ids" in values:
            values["offer_ids"] = draw(KNOWN_OFFER_IDS)
    return case


def check_operation(app: Flask, operation: APIOperation) -> None:
    """Valid, known and invalid requests to one operation, each sent by every kind of caller."""

    @given(
        st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            known_entities(operation),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    )
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=timedelta(seconds=1),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def answers_as_documented(case: Case) -> None:
        for headers in CALLERS:
            case.call_and_validate(app=app, headers=headers, checks=CHECKS)

    answers_as_documented()


def test_every_operation_answers_as_documented(
    app: Flask, api_schema: BaseSchema, subtests: pytest.Subtests
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    documented = {
        f"{method.upper()} {path}"
        for path, item in api_schema.raw_schema["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert {operation.label for operation in operations} == documented
    for operation in operations:
        with subtests.test(operation.label):
            check_operation(app, operation)
