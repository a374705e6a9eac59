"""The seller's benchmark and coaching page through the real app over a real SQLite store:
its figures are the JSON API's, and only its own signed link opens it."""

from __future__ import annotations

import logging
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import EARLIER, FIXED_NOW, earlier_us_snapshot
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config, load_settings
from trust_signals.store.base import ServingStore
from trust_signals.web.links import mint_token

pytestmark = [
    pytest.mark.integration,
    # The page reads through the store ports; their backends have their own contract suite.
    pytest.mark.parametrize("store", ["sqlite"], indirect=True),
]
SECRET = "page-tests-link-secret"
REFUSED_TITLE = "This link is not valid"


@pytest.fixture
def settings(tmp_path: Path, config_path: Path) -> Settings:
    """A fresh SQLite store, the test config and a link secret."""
    return load_settings(
        {
            "TRUST_SIGNALS_STORE": str(tmp_path / "store"),
            "TRUST_SIGNALS_CONFIG": str(config_path),
            "TRUST_SIGNALS_SELLER_LINK_SECRET": SECRET,
        }
    )


@pytest.fixture
def retained(store: ServingStore, settings: Settings, tmp_path: Path) -> ServingStore:
    """The store with a week-earlier US snapshot retained beside the active one."""
    earlier = earlier_us_snapshot(tmp_path / "earlier")
    load_snapshot_dir(store, earlier, load_config(settings.config), activate=False)
    return store


def token(seller_id: str, marketplace: str = "US", hours: float = 1.0) -> str:
    return mint_token(SECRET, seller_id, marketplace, FIXED_NOW + timedelta(hours=hours))


def page(client: FlaskClient, seller_id: str, query: str = "", **token_of: Any) -> Any:
    """GET the seller's page with a valid link for it (unless `token_of` says otherwise)."""
    link = token(token_of.get("seller_id", seller_id), token_of.get("marketplace", "US"))
    return client.get(f"/sellers/{seller_id}?marketplace=US&t={link}{query}")


class Texts(HTMLParser):
    """Each element's text by its id, and the attributes of every input."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.inputs: list[dict[str, str | None]] = []
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input":
            self.inputs.append(found)
            return
        if tag in ("meta", "br", "link"):
            return
        self.handle_data(" ")  # cells and items read apart, as a browser shows them
        self._open.append((tag, found.get("id")))
        if found.get("id"):
            self.by_id[str(found["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.by_id[element_id] += data

    def text(self, element_id: str) -> str:
        return " ".join(self.by_id[element_id].split())


def one_decimal(value: float) -> str:
    return f"{value:.1f}"


def test_the_page_shows_the_benchmark_calls_figures(client: FlaskClient) -> None:
    response = page(client, "S-BIG", "&dimensions=category")
    bench = client.get("/v1/sellers/S-BIG/benchmark?marketplace=US&dimensions=category").json

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    texts = Texts(response.get_data(as_text=True))
    assert texts.text("cohort-size") == str(bench["cohort"]["size"])
    for metric in ("fq_index", "csq_index"):
        figures = bench["metrics"][metric]
        assert texts.text(f"{metric}-value") == one_decimal(figures["value"])
        assert texts.text(f"{metric}-percentile") == f"{figures['percentile']:.0f}"
        assert texts.text(f"{metric}-p25") == one_decimal(figures["cohort_p25"])
        assert texts.text(f"{metric}-median") == one_decimal(figures["cohort_median"])
        assert texts.text(f"{metric}-p75") == one_decimal(figures["cohort_p75"])
        [first_party] = bench["first_party"]
        assert texts.text(f"{metric}-first-party-US-1P") == one_decimal(
            first_party["metrics"][metric]
        )


def test_the_cohort_form_checks_the_chosen_dimensions_and_keeps_the_link(
    client: FlaskClient,
) -> None:
    link = token("S-BIG")  # minted once: a token carries the second it was signed in
    repeated = client.get(
        f"/sellers/S-BIG?marketplace=US&t={link}&dimensions=category&dimensions=channel"
    )
    listed = client.get(f"/sellers/S-BIG?marketplace=US&t={link}&dimensions=channel,category")

    assert repeated.get_data() == listed.get_data()
    inputs = Texts(repeated.get_data(as_text=True)).inputs
    checked = {i["value"] for i in inputs if i.get("name") == "dimensions" and "checked" in i}
    hidden = {i["name"]: i["value"] for i in inputs if i.get("type") == "hidden"}
    assert checked == {"category", "channel"}
    assert hidden == {"marketplace": "US", "t": link}


def test_a_cohort_below_the_minimum_size_says_so_and_shows_no_cohort_figure(
    client: FlaskClient,
) -> None:
    response = page(client, "S-SMALL", "&dimensions=category")  # the only media seller

    texts = Texts(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "has fewer than 2 sellers, so no cohort figures are shown" in texts.text(
        "cohort-withheld"
    )
    assert not {"cohort-size", "fq_index-percentile", "fq_index-median", "opportunities"} & set(
        texts.by_id
    )
    assert texts.text("fq_index-value") == texts.text("fq_index-you")


def test_a_window_shows_its_indices_and_points_to_the_cohort_window(
    client: FlaskClient,
) -> None:
    texts = Texts(page(client, "S-BIG", "&window=365d&dimensions=category").get_data(as_text=True))

    assert texts.text("indices-heading") == "Your indices over the last 365 days"
    assert "fq_index-percentile" not in texts.by_id
    assert "Cohorts are compared over the last 90 days" in texts.text("cohort")


@pytest.mark.usefixtures("retained")
def test_the_trend_has_a_row_per_retained_snapshot(client: FlaskClient) -> None:
    html = page(client, "S-BIG2").get_data(as_text=True)

    trend = Texts(html).text("trend")
    assert f"{EARLIER} not in this snapshot US-{EARLIER}" in trend
    assert "2026-11-27" in trend and "US-2026-11-27" in trend


def test_each_live_seller_badge_is_listed_with_what_it_takes(client: FlaskClient) -> None:
    html = page(client, "S-SMALL").get_data(as_text=True)

    texts = Texts(html)
    assert texts.text("badges") == "Big seller: not yet"
    assert texts.text("coaching-big_seller") == "What it takes: Big seller"
    assert "880 more orders over the last 365 days" in html  # 120 of the 1,000 needed
    assert Texts(page(client, "S-BIG").get_data(as_text=True)).text("badges") == (
        "Big seller: you hold it"
    )


def test_profile_stats_below_their_minimum_sample_say_so(client: FlaskClient) -> None:
    texts = Texts(page(client, "S-SMALL").get_data(as_text=True))

    assert (
        "On time delivery – not shown yet: 120 so far over the last 365 days, shown from 200"
        in (texts.text("profile-stats"))
    )
    assert "Orders 120 based on 120 over the last 365 days" in texts.text("profile-stats")


@pytest.mark.parametrize(
    "query",
    [
        "?marketplace=US",
        f"?marketplace=US&t={token('S-SMALL')}",
        f"?marketplace=DE&t={token('S-BIG')}",
        f"?t={token('S-BIG')}",
        f"?marketplace=US&t={token('S-BIG', hours=-1)}",
        f"?marketplace=US&t={mint_token('another-secret-here', 'S-BIG', 'US', FIXED_NOW)}",
        f"?marketplace=US&t={token('S-BIG')[:-3]}",
    ],
    ids=[
        "no-token",
        "other-seller",
        "other-marketplace",
        "no-marketplace",
        "expired",
        "forged",
        "cut-short",
    ],
)
def test_any_other_link_gets_the_same_plain_403(client: FlaskClient, query: str) -> None:
    response = client.get(f"/sellers/S-BIG{query}")

    assert response.status_code == 403
    assert response.get_data() == client.get("/sellers/S-NOBODY").get_data()
    body = response.get_data(as_text=True)
    assert REFUSED_TITLE in body
    assert "S-BIG" not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_without_a_secret_every_link_is_refused_and_the_log_says_why(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    services = client.application.extensions["trust_signals"]
    without = load_settings({"TRUST_SIGNALS_STORE": services.settings.store})
    monkeypatch.setitem(
        client.application.extensions,
        "trust_signals",
        type(services)(services.signals, services.admin, without, services.metrics),
    )

    with caplog.at_level(logging.WARNING, logger="trust_signals.web"):
        response = page(client, "S-BIG")

    assert response.status_code == 403
    assert REFUSED_TITLE in response.get_data(as_text=True)
    assert "TRUST_SIGNALS_SELLER_LINK_SECRET is not set" in caplog.text


def test_a_seller_not_in_the_snapshot_gets_a_plain_404_page(client: FlaskClient) -> None:
    response = page(client, "S-GONE")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "do not include this seller yet" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "says"),
    [("&window=7d", "Pick one of 30d, 90d, 365d."), ("&dimensions=colour", "colour")],
    ids=["window", "dimension"],
)
def test_an_unknown_choice_gets_a_400_page_naming_it(
    client: FlaskClient, query: str, says: str
) -> None:
    response = page(client, "S-BIG", query)

    assert (response.status_code, response.mimetype) == (400, "text/html")
    assert says in response.get_data(as_text=True)


def test_the_page_runs_no_script_fetches_nothing_and_leaks_no_referrer(
    client: FlaskClient,
) -> None:
    response = page(client, "S-BIG")

    html = response.get_data(as_text=True)
    assert "<script" not in html and "src=" not in html and "<link" not in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none';")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert '<html lang="en">' in html


def test_every_form_control_has_a_label(client: FlaskClient) -> None:
    html = page(client, "S-BIG").get_data(as_text=True)

    texts = Texts(html)
    visible = [i for i in texts.inputs if i.get("type") != "hidden"]
    assert len(visible) == 4 + 3  # the dimensions and the windows
    for control in visible:
        assert f'<label for="{control["id"]}">' in html


def test_the_page_is_not_an_operation_of_the_json_api(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]

    assert "/sellers/{seller_id}" not in paths
    assert "/v1/sellers/{seller_id}/benchmark" in paths
