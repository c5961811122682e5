"""The report in a real headless Chromium: no console errors, no network requests beyond the
site's own files, every account and finding on the page, no serious or critical axe-core
violations, readable on a phone; screenshots kept in test-artifacts/."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import axe_script
from tests.report.test_report import DRIFT, crafted_site, invoke

pytestmark = pytest.mark.browser

TODAY = ["--today", "2026-11-22"]


def load(driver: Any, page: Path) -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(page.as_uri())


def requests_made(driver: Any, site: Path) -> list[str]:
    """Every URL the site's pages asked the network stack for (DevTools Network events;
    the browser's own chrome:// pages are not ours)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            if params.get("documentURL", "").startswith(site.as_uri()):
                urls.append(params["request"]["url"])
    return urls


def check_page(driver: Any, page: Path, site: Path) -> dict[str, Any]:
    load(driver, page)
    assert driver.execute_script("return document.readyState") == "complete"
    console = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert console == [], console
    made = requests_made(driver, site)
    assert page.as_uri() in made  # the log does see the page's own load
    outside = [u for u in made if not u.startswith(site.as_uri() + "/")]
    assert outside == [], outside
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources == [], resources
    driver.execute_script(axe_script().read_text("utf-8"))
    result: dict[str, Any] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(done, e => done({error: String(e)}));"
    )
    assert "error" not in result, result
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.name}: {bad}"
    return result


def test_crafted_site_in_chromium(chromium: Any, artifacts: Path, tmp_path: Path) -> None:
    site, audit = crafted_site(tmp_path)
    for page in sorted(site.rglob("*.html")):
        check_page(chromium, page, site)
    load(chromium, site / "index.html")
    shown = {
        e.get_attribute("data-account")
        for e in chromium.find_elements("css selector", "tr.account")
    }
    assert shown == {"fb", "yt", "xacct"}
    text = chromium.find_element("css selector", "main").text
    for finding in [*audit["findings"], *DRIFT["findings"]]:
        assert finding["message"].replace("\x07", "\\x07").replace("\x85", "\\x85") in text
    rows = chromium.find_elements("css selector", "#findings ~ div tr.finding")
    assert len(rows) == len(audit["findings"]) + len(DRIFT["findings"])
    # Untrusted HTML stayed text: nothing ran, nothing was inserted.
    assert chromium.execute_script("return document.querySelectorAll('script, img').length") == 0
    chromium.save_screenshot(str(artifacts / "report-crafted-overview.png"))


def test_example_organization_in_chromium(chromium: Any, artifacts: Path, tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    site = tmp_path / "site"
    code, _, err = invoke(repo, "report", "-o", str(site), *TODAY)
    assert code == 0, err
    code, out, _ = invoke(repo, "audit", "-f", "json", "--fail-on", "never", *TODAY)
    audit = json.loads(out)
    check_page(chromium, site / "index.html", site)
    for page in ("entities/st-mary.html", "people/fr-mendez.html"):
        check_page(chromium, site / page, site)
    load(chromium, site / "index.html")
    inventory_accounts = {a["id"] for a in json.loads(invoke(repo, "accounts", "-f", "json")[1])}
    shown = {
        e.get_attribute("data-account")
        for e in chromium.find_elements("css selector", "tr.account")
    }
    assert shown == inventory_accounts
    text = chromium.find_element("css selector", "main").text
    for finding in audit["findings"]:
        assert finding["message"] in text
    chromium.save_screenshot(str(artifacts / "report-overview.png"))
    (tmp_path / "report-overview.png").write_bytes((artifacts / "report-overview.png").read_bytes())
    # Printed: the navigation is left out, and the PDF is kept with the screenshots.
    chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = "return getComputedStyle(document.querySelector('nav.crumbs')).display"
        assert chromium.execute_script(hidden) == "none"
    finally:
        chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(chromium.print_page())
    assert pdf.startswith(b"%PDF")
    (artifacts / "report-overview.pdf").write_bytes(pdf)
    # A phone: nothing wider than the screen.
    chromium.set_window_size(390, 844)
    try:
        load(chromium, site / "entities" / "st-mary.html")
        overflow = chromium.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        chromium.save_screenshot(str(artifacts / "report-entity-phone.png"))
    finally:
        chromium.set_window_size(1280, 1000)


def test_the_checks_do_catch_a_bad_page(chromium: Any, tmp_path: Path) -> None:
    site = tmp_path / "bad"
    site.mkdir()
    (site / "index.html").write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body><main>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
        "</main></body></html>"
    )
    with pytest.raises(AssertionError, match="image-alt"):
        check_page(chromium, site / "index.html", site)
    (site / "index.html").write_text(
        "<!DOCTYPE html><html lang=en><head><title>t</title></head><body><main>"
        "<script>console.error('boom')</script></main></body></html>"
    )
    with pytest.raises(AssertionError, match="boom"):
        check_page(chromium, site / "index.html", site)
