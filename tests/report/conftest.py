"""A real headless Chromium (Debian's chromium + chromium-driver) driven by selenium, and
axe-core. Browser tests skip, saying how to enable them, when either binary is missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
HOW = (
    "the browser tests need Debian's chromium and chromium-driver: "
    "`apt-get install -y chromium chromium-driver` (bash .ci/run installs them)"
)


def _binaries() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def axe_script() -> Path:
    """axe-core: GOVERN_AXE_JS, else an npm install in the repository (node_modules, a newer
    axe-core), else the copy the axe-selenium-python wheel ships."""
    explicit = os.environ.get("GOVERN_AXE_JS")
    if explicit:
        return Path(explicit)
    npm = REPO / "node_modules" / "axe-core" / "axe.min.js"
    if npm.exists():
        return npm
    import axe_selenium_python

    return Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    found = _binaries()
    if found is None:
        pytest.skip(HOW)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
