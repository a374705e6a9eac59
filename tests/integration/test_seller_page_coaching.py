"""The seller page's coaching through the real app over a real SQLite store: what each missed
badge takes, the offers and the opportunities with their resources are the coaching call's
answer for the page's cohort, in words.

The config adds a seller badge with an `any` group and coaching resources; S-LATE ships late
and leaves contacts unanswered (see tests/integration/coaching_snapshot.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.coaching_snapshot import (
    CS_PROVIDER,
    FULFILLMENT,
    coaching_config,
    coaching_snapshot,
)
from tests.integration.seller_pages import Texts, page, page_settings
from tests.page_figures import coached_counts, shown_counts
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import Settings, load_config
from trust_signals.store.base import ServingStore
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.integration


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return coaching_config(tmp_path / "config.toml")


@pytest.fixture
def settings(tmp_path: Path, config_path: Path) -> Settings:
    return page_settings(tmp_path / "store", config_path)


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> ServingStore:
    """A SQLite store holding the US snapshot with S-LATE."""
    found = SqliteSnapshotStore(Path(settings.store))
    directory = coaching_snapshot(tmp_path / "snap-us")
    load_snapshot_dir(found, directory, load_config(settings.config))
    return found


def coaching(client: FlaskClient, seller_id: str, dimensions: str) -> dict[str, Any]:
    query = f"marketplace=US&dimensions={dimensions}"
    found: dict[str, Any] = client.get(f"/v1/sellers/{seller_id}/coaching?{query}").json
    return found


@pytest.mark.parametrize("dimensions", ["category", "category,channel", ""])
def test_what_it_takes_shows_the_coaching_calls_counts_for_the_pages_cohort(
    client: FlaskClient, dimensions: str
) -> None:
    texts = Texts(page(client, "S-LATE", f"&dimensions={dimensions}").get_data(as_text=True))
    answer = coaching(client, "S-LATE", dimensions)

    assert [b["badge_id"] for b in answer["badges"]] == ["reliable_seller"]
    for badge in answer["badges"]:
        for criterion in badge["criteria"]:
            cell = texts.text(f"takes-{badge['badge_id']}-{criterion['path']}")
            assert shown_counts(cell) == coached_counts(criterion), cell
    shown = [item["data-opportunity"] for _, item in texts.elements if "data-opportunity" in item]
    assert shown == [f"{o['family']}:{o['defect']}" for o in answer["opportunities"]]


def test_each_criterion_is_written_in_plain_words(client: FlaskClient) -> None:
    texts = Texts(page(client, "S-LATE", "&dimensions=category").get_data(as_text=True))
    [badge] = coaching(client, "S-LATE", "category")["badges"]
    late, response, tenure = badge["criteria"]

    assert texts.text("badges") == "Big seller: you hold it Reliable seller: not yet"
    assert texts.text("takes-reliable_seller-when.all[0]") == (
        "at most 9 late shipments at today's volume, or "
        f"{late['more_good']['count']:,} more orders with no new late shipments and you qualify"
    )
    assert texts.text("standing-reliable_seller-when.all[0]") == (
        f"{late['value'] * 100:.1f} % counting its confidence margin, needs less than 5 %"
    )
    more = response["more_good"]["count"]
    assert texts.text("takes-reliable_seller-when.all[1].any[0]") == (
        f"at most {response['max_defects']} unanswered contacts at today's volume, or {more} "
        "more contacts answered within 24 hours with no new unanswered contacts and you qualify"
    )
    assert texts.text("criterion-reliable_seller-when.all[1].any[0]").endswith("CS provider")
    # No count meets tenure: the engine's reason, with the signal named as the page names it.
    assert (tenure["more_good"], tenure["max_defects"]) == (None, None)
    assert texts.text("takes-reliable_seller-when.all[1].any[1]") == (
        "tenure is not a count: it is met in 600 days"
    )
    assert texts.text("group-reliable_seller-when.all[1]") == (
        "One of these is enough (not met yet)"
    )


def test_resources_are_linked_next_to_the_opportunities_and_criteria(
    client: FlaskClient,
) -> None:
    html = page(client, "S-LATE", "&dimensions=category").get_data(as_text=True)
    texts = Texts(html)

    assert texts.text("opportunity-fq:late_shipment").endswith("index points · Fulfillment program")
    assert texts.text("opportunity-csq:unanswered_contact").endswith("index points · CS provider")
    for resource in (FULFILLMENT, CS_PROVIDER):
        assert f'href="{resource["link"]}" rel="noreferrer noopener"' in html


def test_the_offers_on_each_offer_badge_are_summed_up(client: FlaskClient) -> None:
    texts = Texts(page(client, "S-LATE", "&dimensions=category").get_data(as_text=True))

    assert texts.text("offers") == (
        "1 of your 2 offers holds Fast delivery; 1 misses it on on-time delivery rate."
    )


def test_a_withheld_cohort_still_shows_what_each_badge_takes(client: FlaskClient) -> None:
    texts = Texts(page(client, "S-SMALL", "&dimensions=category").get_data(as_text=True))

    assert "opportunities" not in texts.by_id
    assert texts.text("coaching-big_seller") == "What it takes: Big seller"
    assert texts.text("coaching-reliable_seller") == "What it takes: Reliable seller"


def what_if_query(defect: str, window: str, count: object, dimensions: str = "category") -> str:
    return (
        f"&dimensions={dimensions}&target_defect={defect}&target_window={window}"
        f"&target_count={count}"
    )


def test_the_what_if_form_shows_the_what_if_calls_projection(client: FlaskClient) -> None:
    texts = Texts(
        page(client, "S-LATE", what_if_query("unanswered_contact", "90d", 0)).get_data(as_text=True)
    )
    body = {
        "marketplace": "US",
        "dimensions": ["category"],
        "targets": [{"defect": "unanswered_contact", "window": "90d", "count": 0}],
    }
    projected = client.post("/v1/sellers/S-LATE/what-if", json=body).json

    assert texts.text("what-if-target") == (
        "With 0 contacts not answered within 24 hours over the last 90 days "
        "(now 45, of 90 contacts):"
    )
    for index in projected["indices"]:
        if index["window"] == "90d":
            family = index["family"]
            assert texts.text(f"what-if-{family}-now") == f"{index['current']:.1f}"
            assert texts.text(f"what-if-{family}-then") == f"{index['projected']:.1f}"
    for rank in projected["percentiles"]:
        assert texts.text(f"what-if-{rank['metric']}-percentile-then") == (
            f"{rank['projected']:.0f}"
        )
    assert projected["badges"]["earned"] == projected["badges"]["lost"] == []
    assert (texts.text("what-if-earned"), texts.text("what-if-lost")) == ("none", "none")
    chosen = [e for tag, e in texts.elements if tag == "option" and "selected" in e]
    assert [e["value"] for e in chosen] == ["unanswered_contact", "90d"]


def test_a_what_if_that_earns_a_badge_names_it(client: FlaskClient) -> None:
    # S-BIG ships on time but misses Reliable seller on its unanswered contacts.
    query = what_if_query("unanswered_contact", "90d", 0, "")
    texts = Texts(page(client, "S-BIG", query).get_data(as_text=True))

    assert texts.text("what-if-earned") == "Reliable seller"
    assert texts.text("what-if-lost") == "none"


def test_a_target_beyond_the_sellers_counts_says_what_can_be_tried(client: FlaskClient) -> None:
    texts = Texts(
        page(client, "S-LATE", what_if_query("late_shipment", "90d", 355)).get_data(as_text=True)
    )

    assert texts.text("what-if-refused") == (
        "You have 354 shipments over the last 90 days, so at most 354 late shipments can be "
        "tried there."
    )
    assert "what-if" not in texts.by_id


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (what_if_query("late_shipments", "90d", 1), "Pick one of late_shipment,"),
        (what_if_query("late_shipment", "7d", 1), "Pick one of 30d, 90d, 365d."),
        (what_if_query("late_shipment", "90d", "-1"), "a whole number, 0 or more"),
        (what_if_query("late_shipment", "90d", "1e3"), "a whole number, 0 or more"),
        ("&target_count=3", "Pick one of late_shipment,"),
        (what_if_query("late_shipment", "90d", "9" * 10), "The count to try is too large."),
    ],
    ids=["defect", "window", "negative", "not-whole", "partial", "huge"],
)
def test_a_what_if_the_page_cannot_try_gets_a_400_page_naming_why(
    client: FlaskClient, query: str, says: str
) -> None:
    response = page(client, "S-LATE", query)

    assert (response.status_code, response.mimetype) == (400, "text/html")
    assert says in response.get_data(as_text=True)
