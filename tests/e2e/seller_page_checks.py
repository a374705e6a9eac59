"""The seller page's browser checks: the JSON API's answers for a seller, and what the page
shows read back from the browser and compared with them."""

from __future__ import annotations

from typing import Any, Final

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.page_figures import coached_counts, shown_counts

METRICS: Final = ("fq_index", "csq_index")
SMALL_COHORT: Final = ("tenure", "location", "category", "channel")


def benchmark(base: str, seller_id: str, dimensions: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON API's benchmark of the seller against the cohort of `dimensions`."""
    query = {"marketplace": "US", "dimensions": ",".join(dimensions)}
    response = requests.get(f"{base}/v1/sellers/{seller_id}/benchmark", params=query, timeout=5)
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def coaching(base: str, seller_id: str, dimensions: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON API's coaching of the seller on the cohort of `dimensions`."""
    query = {"marketplace": "US", "dimensions": ",".join(dimensions)}
    response = requests.get(f"{base}/v1/sellers/{seller_id}/coaching", params=query, timeout=5)
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def coached(found: dict[str, Any]) -> bool:
    """Whether some badge the seller misses has a criterion it can meet with more orders and
    one with a most of defects, and some opportunity has a resource."""
    failing = [c for b in found["badges"] for c in b["criteria"] if not c["passes"]]
    return (
        any(c["more_good"] for c in failing)
        and any(c["max_defects"] is not None for b in found["badges"] for c in b["criteria"])
        and any(o["resources"] for o in found["opportunities"])
    )


def a_seller_to_coach(base: str) -> str:
    """A third-party seller with orders, and opportunities in a shown two-dimension cohort,
    whose four-dimension cohort is too small to show, and who has something to coach."""
    for number in range(1, 200):
        seller_id = f"US-S{number:07d}"
        pair = benchmark(base, seller_id, ("category", "channel"))
        if (
            not pair["cohort"]["withheld"]
            and all(pair["metrics"][m]["value"] is not None for m in METRICS)
            and pair["improvement_opportunities"]
            and benchmark(base, seller_id, SMALL_COHORT)["cohort"]["withheld"]
            and coached(coaching(base, seller_id, ("category", "channel")))
        ):
            return seller_id
    raise AssertionError("no seller in the generated snapshot fits the test")


def text(driver: WebDriver, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def shown(driver: WebDriver, element_id: str) -> bool:
    try:
        return bool(driver.find_element(By.ID, element_id).is_displayed())
    except NoSuchElementException:
        return False


def assert_figures_match(driver: WebDriver, bench: dict[str, Any]) -> None:
    """The page shows the benchmark's figures as it writes them (one decimal, a whole
    percentile, opportunities in the same order)."""
    assert text(driver, "cohort-size") == f"{bench['cohort']['size']:,}"
    for metric in METRICS:
        figures = bench["metrics"][metric]
        assert text(driver, f"{metric}-value") == f"{figures['value']:.1f}"
        assert text(driver, f"{metric}-percentile") == f"{figures['percentile']:.0f}"
        for name, key in (
            ("p25", "cohort_p25"),
            ("median", "cohort_median"),
            ("p75", "cohort_p75"),
        ):
            assert text(driver, f"{metric}-{name}") == f"{figures[key]:.1f}"
    items = driver.find_elements(By.CSS_SELECTOR, "#opportunities li")
    expected = bench["improvement_opportunities"]
    assert [i.get_attribute("data-opportunity") for i in items] == [
        f"{o['family']}:{o['defect_type']}" for o in expected
    ]
    for item, opportunity in zip(items, expected, strict=True):
        shown = item.find_element(By.CLASS_NAME, "points").text.lstrip("+")
        if shown == "<0.01":
            assert 0 < opportunity["index_points"] < 0.005
        else:
            assert float(shown) == pytest.approx(opportunity["index_points"], abs=0.006)


def assert_coaching_matches(driver: WebDriver, found: dict[str, Any]) -> None:
    """ "What it takes" shows the coaching call's counts for each missed badge, and the
    opportunities link its resources, in the same order."""
    for badge in found["badges"]:
        for criterion in badge["criteria"]:
            cell = text(driver, f"takes-{badge['badge_id']}-{criterion['path']}")
            assert shown_counts(cell) == coached_counts(criterion), cell
    held = {
        item.get_attribute("data-badge")
        for item in driver.find_elements(By.CSS_SELECTOR, "#badges li")
        if item.find_elements(By.CLASS_NAME, "held")
    }
    assert not held & {b["badge_id"] for b in found["badges"]}
    items = driver.find_elements(By.CSS_SELECTOR, "#opportunities li")
    assert len(items) == len(found["opportunities"])
    for item, opportunity in zip(items, found["opportunities"], strict=True):
        links = item.find_elements(By.CSS_SELECTOR, "a.resource")
        assert [a.get_attribute("href") for a in links] == [
            r["link"] for r in opportunity["resources"]
        ]
    for offer in found["offers"]:
        words = driver.find_element(By.CSS_SELECTOR, f"[data-offer-badge={offer['badge_id']}]")
        total = offer["holding"] + offer["not_holding"]
        assert f"{offer['holding']:,} of your {total:,} offers" in words.text


def submit_cohort(driver: WebDriver, dimensions: tuple[str, ...]) -> None:
    """Tick exactly `dimensions` by clicking, then press Show; wait for the new page."""
    for box in driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox][name=dimensions]"):
        if box.is_selected() != (box.get_attribute("value") in dimensions):
            box.click()
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "show").click()
    WebDriverWait(driver, 10).until(lambda d: old != d.find_element(By.TAG_NAME, "html"))
