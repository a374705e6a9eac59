"""Headless Chromium driven by selenium, for the e2e tests of the HTML pages.

Debian's chromium and chromedriver (`.ci/run` installs them); nothing is downloaded, and the
browser runs without sync, updates or background traffic, in a fresh profile.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")
WIDTH: Final = 1280
_FLAGS: Final = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium_present() -> bool:
    """Whether Debian's chromium and chromedriver are installed."""
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """A headless Chromium 1280 pixels wide in a throwaway profile, quit on exit."""
    profile = tempfile.mkdtemp(prefix="trust-signals-chromium-")
    options = webdriver.ChromeOptions()
    for flag in _FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={WIDTH},900")
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def full_page_screenshot(driver: WebDriver, path: Path) -> tuple[int, int]:
    """The whole page as a PNG at the window's width; its (width, height) in pixels."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WIDTH, int(height))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, 900)
    width, png_height = struct.unpack(">II", path.read_bytes()[16:24])  # the IHDR chunk
    return width, png_height
