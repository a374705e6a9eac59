"""POST /v1/features as an Arrow IPC stream: the same answer as the JSON one, bit for bit.

The encoding is the API layer's and does not depend on the store, so these tests run over
the in-memory store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.arrow_tables import matrix, table_metadata
from tests.conftest import FIXED_NOW, de_snapshot, us_snapshot
from trust_signals.api import create_app
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config
from trust_signals.errors import StoreUnavailable
from trust_signals.store.base import ServingStore
from trust_signals.store.memory import InMemorySnapshotStore

pytestmark = pytest.mark.integration
ARROW = "application/vnd.apache.arrow.stream"
JSON = "application/json"
IDS = ["O-1", "ghost", "O-2", "O-3"]
DEFAULTS = [0.0, 0.5, 0.0]  # the test config's feature defaults, in schema order
ENVELOPE_HEADERS = (
    "X-Trust-Signals-Snapshot-Id",
    "X-Trust-Signals-Config-Version",
    "X-Trust-Signals-Schema-Version",
    "X-Trust-Signals-Degraded",
)


class FailingStore(InMemorySnapshotStore):
    """The in-memory store whose signal reads fail once `down` is set."""

    down = False

    def get_signal_rows(self, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            raise StoreUnavailable("the store is down")
        return super().get_signal_rows(*args, **kwargs)


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> FailingStore:
    """The in-memory store with the US and DE snapshots loaded and active, up."""
    loaded = FailingStore()
    config = load_config(settings.config)
    load_snapshot_dir(loaded, us_snapshot(tmp_path / "snap-us"), config)
    load_snapshot_dir(loaded, de_snapshot(tmp_path / "snap-de"), config)
    return loaded


@pytest.fixture
def app(settings: Settings, store: ServingStore) -> Flask:
    """The app over that store, at the fixed time."""
    return create_app(settings, store=store, clock=lambda: FIXED_NOW, background_refresh=False)


def features(client: FlaskClient, ids: list[str], accept: str | None = None) -> TestResponse:
    headers = {"Accept": accept} if accept is not None else {}
    body = {"marketplace": "US", "offer_ids": ids}
    return client.post("/v1/features", json=body, headers=headers)


def read_table(response: TestResponse) -> pa.Table:
    assert (response.status_code, response.mimetype) == (200, ARROW)
    return pa.ipc.open_stream(response.data).read_all()


def envelope_headers(response: TestResponse) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in ENVELOPE_HEADERS}


def test_the_arrow_answer_holds_exactly_the_json_answer(client: FlaskClient) -> None:
    expected = features(client, IDS).get_json()

    response = features(client, IDS, ARROW)

    table = read_table(response)
    width = len(expected["feature_names"])
    assert table.schema.remove_metadata() == pa.schema(
        [
            ("offer_id", pa.string()),
            ("values", pa.list_(pa.float32(), width)),
            ("missing", pa.list_(pa.bool_(), width)),
        ]
    )
    assert table["offer_id"].to_pylist() == IDS
    # JSON carries each float32 as its shortest decimal, which reads back to the same bits.
    json_bits = np.array(expected["vectors"], dtype=np.float32).view(np.uint32)
    assert matrix(table, "values", width).view(np.uint32).tolist() == json_bits.tolist()
    assert matrix(table, "missing", width).tolist() == expected["missing_mask"]
    assert table_metadata(table) == {
        "snapshot_id": expected["snapshot_id"],
        "config_version": expected["config_version"],
        "marketplace": "US",
        "schema_version": expected["schema_version"],
        "feature_names": expected["feature_names"],
        "missing": ["ghost"],
        "degraded": False,
    }
    assert envelope_headers(response) == {
        "X-Trust-Signals-Snapshot-Id": expected["snapshot_id"],
        "X-Trust-Signals-Config-Version": expected["config_version"],
        "X-Trust-Signals-Schema-Version": expected["schema_version"],
        "X-Trust-Signals-Degraded": None,
    }


def test_unknown_ids_get_the_defaults_all_masked(client: FlaskClient) -> None:
    table = read_table(features(client, ["ghost-1", "ghost-2"], ARROW))

    assert matrix(table, "values", 3).tolist() == [DEFAULTS, DEFAULTS]
    assert matrix(table, "missing", 3).tolist() == [[True] * 3, [True] * 3]
    assert table_metadata(table)["missing"] == ["ghost-1", "ghost-2"]


def test_a_degraded_answer_says_so_in_its_metadata_and_header(
    client: FlaskClient, store: FailingStore
) -> None:
    store.down = True

    response = features(client, ["O-1", "O-2"], ARROW)

    table = read_table(response)
    assert matrix(table, "values", 3).tolist() == [DEFAULTS, DEFAULTS]
    assert matrix(table, "missing", 3).tolist() == [[True] * 3, [True] * 3]
    assert (table_metadata(table)["degraded"], table_metadata(table)["missing"]) == (True, [])
    assert response.headers["X-Trust-Signals-Degraded"] == "true"


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        pytest.param(None, JSON, id="no-accept"),
        pytest.param("*/*", JSON, id="anything"),
        pytest.param("application/json", JSON, id="json"),
        pytest.param("application/*", JSON, id="application-any"),
        pytest.param(ARROW, ARROW, id="arrow"),
        pytest.param(f"application/json;q=0.5, {ARROW}", ARROW, id="arrow-preferred"),
        pytest.param(f"{ARROW}, */*;q=0.1", ARROW, id="arrow-else-anything"),
    ],
)
def test_accept_picks_json_by_default_and_arrow_when_asked(
    client: FlaskClient, accept: str | None, answered: str
) -> None:
    response = features(client, ["O-1"], accept)
    assert (response.status_code, response.mimetype) == (200, answered)
    assert "Accept" in response.vary


@pytest.mark.parametrize(
    "accept",
    ["text/html", "application/problem+json", f"{ARROW};q=0", "image/png, text/*"],
)
def test_an_accept_naming_neither_media_type_gets_406(client: FlaskClient, accept: str) -> None:
    response = features(client, ["O-1"], accept)

    assert (response.status_code, response.mimetype) == (406, "application/problem+json")
    assert response.get_json()["code"] == "not_acceptable"
    assert ARROW in response.get_json()["detail"]


def test_a_refused_request_is_problem_json_even_when_arrow_is_asked(client: FlaskClient) -> None:
    response = client.post(
        "/v1/features", json={"marketplace": "US", "offer_ids": []}, headers={"Accept": ARROW}
    )
    assert (response.status_code, response.mimetype) == (400, "application/problem+json")


def test_the_document_lists_both_media_types_and_406(client: FlaskClient) -> None:
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/features"]["post"]
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == {JSON, ARROW}
    assert ok["content"][ARROW]["schema"] == {"type": "string", "format": "binary"}
    assert set(ENVELOPE_HEADERS) <= set(ok["headers"])
    assert "406" in operation["responses"]
