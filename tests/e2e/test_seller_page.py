"""The seller page in headless Chromium against gunicorn over generated snapshots: a link
minted by the CLI opens it, its figures are the JSON API's, its cohort form works by mouse
and by keyboard, and the same link opens no other seller's page.

Screenshots (full page, 1280 pixels wide) go to var/reports/browser/.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from load_tests.proxy import proxied
from load_tests.server import ROOT, server_env, serving
from tests.e2e.browser import WIDTH, chromium, chromium_present, full_page_screenshot
from trust_signals.bootstrap import load_snapshot_dir
from trust_signals.config import default_config_path, load_config
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.store.sqlite import SqliteSnapshotStore

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_present(), reason="chromium and chromedriver not installed"),
]
SECRET = "e2e-seller-link-secret"
SCREENSHOTS = ROOT / "var/reports/browser"
DAYS_BACK = (14, 7, 0)  # three retained snapshots: a trend of three days
METRICS = ("fq_index", "csq_index")
SMALL_COHORT = ("tenure", "location", "category", "channel")


@dataclass(frozen=True)
class Served:
    """The running service and the seller whose page the tests open."""

    base: str
    store_dir: Path
    seller_id: str
    logs: tuple[Path, ...]  # gunicorn's and nginx's


def benchmark(base: str, seller_id: str, dimensions: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON API's benchmark of the seller against the cohort of `dimensions`."""
    query = {"marketplace": "US", "dimensions": ",".join(dimensions)}
    response = requests.get(f"{base}/v1/sellers/{seller_id}/benchmark", params=query, timeout=5)
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def a_seller_to_coach(base: str) -> str:
    """A third-party seller with orders, and opportunities in a shown two-dimension cohort,
    whose four-dimension cohort is too small to show."""
    for number in range(1, 200):
        seller_id = f"US-S{number:07d}"
        pair = benchmark(base, seller_id, ("category", "channel"))
        if (
            not pair["cohort"]["withheld"]
            and all(pair["metrics"][m]["value"] is not None for m in METRICS)
            and pair["improvement_opportunities"]
            and benchmark(base, seller_id, SMALL_COHORT)["cohort"]["withheld"]
        ):
            return seller_id
    raise AssertionError("no seller in the generated snapshot fits the test")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Three generated US snapshots a week apart, loaded in turn, served by gunicorn behind
    nginx with a link secret. Module-scoped: the tests only read it."""
    root = tmp_path_factory.mktemp("seller-page")
    store = SqliteSnapshotStore(root / "store")
    config = load_config(default_config_path())
    today = date.today()
    for seed, days in enumerate(DAYS_BACK, start=11):
        [directory] = generate_snapshots(
            root / f"snapshot-{days}",
            sellers=600,
            offers=3_000,
            marketplaces=["US"],
            seed=seed,
            as_of=today - timedelta(days=days),
        )
        load_snapshot_dir(store, directory, config)
    env = server_env(root / "store", {"TRUST_SIGNALS_SELLER_LINK_SECRET": SECRET})
    # As sellers reach it: through nginx, which also keeps the browser's idle preconnected
    # sockets off gunicorn's sync worker.
    with (
        serving(env, root / "gunicorn.log", workers=1) as server,
        proxied(server.base_url.removeprefix("http://")) as proxy,
    ):
        seller_id = a_seller_to_coach(proxy.base_url)
        yield Served(
            proxy.base_url, root / "store", seller_id, (root / "gunicorn.log", proxy.log_path)
        )


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def mint_link(served: Served, seller_id: str) -> str:
    """`trust-signals seller-link`, run as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "trust_signals", "seller-link", seller_id]
        + ["--marketplace", "US", "--ttl", "30m", "--base-url", served.base],
        cwd=ROOT,
        env=server_env(served.store_dir, {"TRUST_SIGNALS_SELLER_LINK_SECRET": SECRET}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


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
        shown_points = float(item.find_element(By.CLASS_NAME, "points").text.lstrip("+"))
        assert shown_points == pytest.approx(opportunity["index_points"], abs=0.006)


def submit_cohort(driver: WebDriver, dimensions: tuple[str, ...]) -> None:
    """Tick exactly `dimensions` by clicking, then press Show; wait for the new page."""
    for box in driver.find_elements(By.CSS_SELECTOR, "input[name=dimensions]"):
        if box.is_selected() != (box.get_attribute("value") in dimensions):
            box.click()
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "show").click()
    WebDriverWait(driver, 10).until(lambda d: old != d.find_element(By.TAG_NAME, "html"))


def test_the_link_opens_the_page_with_the_json_apis_figures(
    served: Served, browser: WebDriver
) -> None:
    link = mint_link(served, served.seller_id)
    browser.get(link)

    assert browser.find_element(By.TAG_NAME, "h1").text == "Your benchmark and coaching"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert_figures_match(browser, benchmark(served.base, served.seller_id))
    rows = browser.find_elements(By.CSS_SELECTOR, "#trend tbody tr")
    assert len(rows) == len(DAYS_BACK)
    assert browser.find_elements(By.CSS_SELECTOR, "svg[role=img] title")
    assert full_page_screenshot(browser, SCREENSHOTS / "seller-page.png")[0] == WIDTH
    token = parse_qs(urlsplit(link).query)["t"][0]
    for log in served.logs:  # the link opens the page to whoever holds it: never logged
        logged = log.read_text()
        assert f"/sellers/{served.seller_id}" in logged and "t=[redacted]" in logged
        assert token not in logged


def test_the_cohort_form_changes_the_figures_to_the_new_cohorts(
    served: Served, browser: WebDriver
) -> None:
    browser.get(mint_link(served, served.seller_id))

    submit_cohort(browser, ("category", "channel"))

    query = urlsplit(browser.current_url).query
    assert "dimensions=category&dimensions=channel" in query
    assert_figures_match(browser, benchmark(served.base, served.seller_id, ("category", "channel")))
    full_page_screenshot(browser, SCREENSHOTS / "seller-page-category-channel.png")

    submit_cohort(browser, SMALL_COHORT)

    assert "fewer than 10 sellers, so no cohort figures are shown" in text(
        browser, "cohort-withheld"
    )
    assert not shown(browser, "fq_index-percentile") and not shown(browser, "opportunities")
    full_page_screenshot(browser, SCREENSHOTS / "seller-page-small-cohort.png")


def test_the_form_is_usable_by_keyboard_with_a_visible_focus(
    served: Served, browser: WebDriver
) -> None:
    browser.get(mint_link(served, served.seller_id))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)

    reached, outlines = [], []
    for _ in range(8):
        focused = browser.switch_to.active_element
        reached.append(focused.get_attribute("id") or focused.get_attribute("class"))
        outlines.append(focused.value_of_css_property("outline-style"))
        focused.send_keys(Keys.TAB)

    controls = [f"dimension-{d}" for d in SMALL_COHORT] + ["window-90d", "show"]
    assert reached[: 1 + len(controls)] == ["skip", *controls]
    assert set(outlines[1 : 1 + len(controls)]) == {"solid"}
    # Space ticks the focused box and Enter sends the form, with no mouse at all.
    browser.find_element(By.ID, "dimension-category").send_keys(Keys.SPACE)
    browser.find_element(By.ID, "show").send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: "dimensions=category" in d.current_url)
    assert browser.find_element(By.ID, "dimension-category").is_selected()
    assert_figures_match(browser, benchmark(served.base, served.seller_id, ("category",)))


def test_the_window_picker_shows_the_indices_over_the_window(
    served: Served, browser: WebDriver
) -> None:
    browser.get(mint_link(served, served.seller_id))

    browser.find_element(By.ID, "window-365d").click()
    browser.find_element(By.ID, "show").click()
    WebDriverWait(browser, 10).until(lambda d: "window=365d" in d.current_url)

    assert text(browser, "indices-heading") == "Your indices over the last 365 days"
    assert not shown(browser, "fq_index-percentile")
    assert "Cohorts are compared over the last 90 days" in text(browser, "cohort")


def test_the_same_link_opens_no_other_sellers_page(served: Served, browser: WebDriver) -> None:
    link = mint_link(served, served.seller_id)
    other = link.replace(f"/sellers/{served.seller_id}?", "/sellers/US-S0000001?")
    assert other != link

    browser.get(other)

    assert browser.find_element(By.TAG_NAME, "h1").text == "This link is not valid"
    assert "US-S0000001" not in browser.page_source
    assert requests.get(other, timeout=5).status_code == 403
    full_page_screenshot(browser, SCREENSHOTS / "seller-page-refused.png")
