"""Debian's headless Chromium driven by Selenium: the one browser the page tests and the README's
screenshot use. It comes from the ``chromium`` and ``chromium-driver`` packages (``make system-deps``);
Selenium Manager stays offline, so no browser is ever downloaded. A missing browser is an error that
says what to install, never a skipped test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=420,1400",
)
"""A phone-sized window: the page must read well there."""


class BrowserMissing(RuntimeError):
    """Chromium or its driver is not installed."""


@contextmanager
def headless_chromium(profile: Path) -> Iterator[Any]:
    """A Selenium driver of headless Chromium with a throw-away profile under ``profile``."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        raise BrowserMissing(
            f"{', '.join(missing)} missing: run `make system-deps` (Debian chromium, chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def texts(browser: Any, selector: str) -> list[str]:
    """The text of what ``selector`` finds, read in one go (the live page swaps its content at any time)."""
    script = "return Array.from(document.querySelectorAll(arguments[0]), (e) => e.textContent.trim());"
    return [str(text) for text in browser.execute_script(script, selector)]
