"""`govern report` without a browser: pages, contents, escaping of untrusted values, links,
drift input and bad input. tests/report/test_browser.py loads the same sites in Chromium."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from govern.cli.main import cli
from tests.conftest import BASE

TODAY = ["--today", "2026-11-22"]
HOSTILE_NAME = '<script>alert(\\"name\\")</script>\\a\\u0085'
HOSTILE_ENTITY = "<img src=x onerror=alert(1)> & Co"

# BASE with hostile values: HTML in names, control characters, a javascript: URL, and a
# departed person who still holds a grant (findings to show).
CRAFTED = (
    BASE.replace("name: Manager,", f'name: "{HOSTILE_NAME}",')
    .replace("name: St Test Parish,", f'name: "{HOSTILE_ENTITY}",')
    .replace("    handle: sttest\n", '    handle: sttest\n    url: "javascript:alert(1)"\n')
    .replace(
        "{id: mgr2, name: Manager Two, email: mgr2@diocese.test, level: C,",
        "{id: mgr2, name: Manager Two, email: mgr2@diocese.test, level: C, status: departed, "
        "left_on: 2026-10-01,",
    )
)

DRIFT = {
    "version": 1,
    "inventory": "inventory.yaml",
    "findings": [
        {
            "rule": "drift-undeclared-holder",
            "severity": "error",
            "account": "yt",
            "person": None,
            "entity": "parish",
            "message": "yt: <b>stranger@example.com</b> holds Manager but is not declared",
            "waived": False,
            "location": {"path": "inventory.yaml", "line": 21, "column": 5},
        }
    ],
    "summary": {"error": 1, "warning": 0, "info": 0, "waived": 0},
    "coverage": {
        "accounts": 3,
        "clean": 1,
        "drift": 1,
        "unverifiable": 1,
        "states": {"fb": "clean", "yt": "drift", "xacct": "unverifiable"},
        "failures": [],
    },
}


def invoke(cwd: Path, *args: str) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def crafted_org(tmp_path: Path) -> Path:
    org = tmp_path / "org"
    org.mkdir()
    (org / "inventory.yaml").write_text(CRAFTED)
    (org / "policies").mkdir()
    (org / "drift.json").write_text(json.dumps(DRIFT))
    return org


def crafted_site(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """The crafted organization's site and its audit JSON (every finding it must show)."""
    org = crafted_org(tmp_path)
    code, out, err = invoke(
        org,
        "report",
        "-o",
        "site",
        "--drift",
        "drift.json",
        "--repo-url",
        "https://git.example/org/gov/blob/main",
        "--offline",
        *TODAY,
    )
    assert code == 0, err
    assert "wrote 6 pages to site" in out  # overview + 1 entity + 4 people
    code, out, _ = invoke(org, "audit", "-f", "json", "--offline", "--fail-on", "never", *TODAY)
    return org / "site", json.loads(out)


class Page(HTMLParser):
    """Text, tags with attributes, and every URL a page references."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def body(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))

    def urls(self, attribute: str) -> list[str]:
        return [a[attribute] or "" for _, a in self.tags if attribute in a]


def test_every_page_every_account_and_finding(tmp_path: Path) -> None:
    site, audit = crafted_site(tmp_path)
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert pages == [
        "entities/parish.html",
        "index.html",
        *(f"people/{p}.html" for p in ("head", "it", "mgr", "mgr2")),
    ]
    overview = Page((site / "index.html").read_text())
    for account in ("fb", "yt", "xacct"):
        assert f'data-account="{account}"' in (site / "index.html").read_text()
    findings = audit["findings"]
    assert findings, "the crafted inventory must produce findings"
    shown = overview.body
    for finding in findings:
        assert finding["message"].replace("\x07", "\\x07") in shown or (
            Page(finding["message"]).body in shown
        ), finding
    assert DRIFT["findings"][0]["message"] in shown  # drift findings are shown as text
    assert "1 clean, 1 drift, 1 unverifiable" in shown
    entity = Page((site / "entities" / "parish.html").read_text()).body
    assert "Facebook access with full control" in entity  # the platform's own role names
    person = Page((site / "people" / "mgr2.html").read_text()).body
    assert "departed since 2026-10-01" in person and "yt" in person


def test_untrusted_values_are_text_never_markup(tmp_path: Path) -> None:
    site, _ = crafted_site(tmp_path)
    for path in site.rglob("*.html"):
        html = path.read_text()
        page = Page(html)
        tags = {tag for tag, _ in page.tags}
        assert "script" not in tags and "img" not in tags, path
        assert not any(k.startswith("on") for _, a in page.tags for k in a), path
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", html), path
        assert "javascript:" not in " ".join(page.urls("href")), path
        assert "&lt;td" not in html, path  # markup of the templates is never escaped twice
    overview = Page((site / "index.html").read_text()).body
    assert '<script>alert("name")</script>\\x07\\x85' in overview
    assert HOSTILE_ENTITY in overview


def test_no_page_loads_anything_from_outside_the_site(tmp_path: Path) -> None:
    site, _ = crafted_site(tmp_path)
    for path in site.rglob("*.html"):
        page = Page(path.read_text())
        assert page.urls("src") == [], path  # no scripts, images or frames
        for tag, attrs in page.tags:
            if tag == "link":
                assert (attrs.get("href") or "").startswith("data:"), (path, attrs)
        # Links out are navigations a reader chooses (the repository, a platform's admin
        # page), never loads; only https ones.
        for tag, attrs in page.tags:
            href = attrs.get("href") or ""
            if tag == "a" and re.match(r"^[a-z]+:", href):
                assert href.startswith("https://"), href
        assert "default-src 'none'" in path.read_text()


def test_findings_link_to_the_inventory_line(tmp_path: Path) -> None:
    site, audit = crafted_site(tmp_path)
    links = Page((site / "index.html").read_text()).urls("href")
    first = audit["findings"][0]["location"]
    assert f"https://git.example/org/gov/blob/main/inventory.yaml#L{first['line']}" in links


def test_the_example_organization(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    code, _, err = invoke(repo, "report", "-o", str(tmp_path / "site"), *TODAY)
    assert code == 0, err
    html = (tmp_path / "site" / "index.html").read_text()
    assert "Days since each shared password was rotated" in html  # read from credentials.enc
    assert (tmp_path / "site" / "entities" / "st-mary.html").exists()


def test_bad_input(tmp_path: Path) -> None:
    org = crafted_org(tmp_path)
    (org / "bad.json").write_text('{"findings": [\n  {"rule": }\n]}')
    code, _, err = invoke(org, "report", "-o", "site", "--drift", "bad.json", *TODAY)
    assert code == 2 and "bad.json:2:12: not JSON" in err and "Traceback" not in err
    (org / "bad.json").write_text('{"findings": [{"rule": "x"}]}')
    code, _, err = invoke(org, "report", "-o", "site", "--drift", "bad.json", *TODAY)
    assert code == 2 and "bad.json:1:1: a finding lacks rule, severity or message" in err
    code, _, err = invoke(org, "report", "-o", "site", "--repo-url", "javascript:alert(1)", *TODAY)
    assert code == 2 and "not an http(s) URL" in err
    (org / "file").write_text("")
    code, _, err = invoke(org, "report", "-o", "file", "--offline", *TODAY)
    assert code == 2 and "not a folder" in err
    assert not (org / "site").exists()


def test_review_progress_is_shown(tmp_path: Path) -> None:
    org = crafted_org(tmp_path)
    assert invoke(org, "review", "start", "--due", "2026-12-01", *TODAY)[0] == 0
    code, _, err = invoke(org, "report", "-o", "site", "--offline", *TODAY)
    assert code == 0, err
    overview = Page((org / "site" / "index.html").read_text()).body
    assert "Review 2026-annual: 0 decisions made, 8 pending." in overview
    assert "Review progress per entity" in overview


def test_browser_tests_skip_with_how_to_enable_them_without_chromium(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no chromium on it
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/report/test_browser.py",
            "--basetemp",
            str(tmp_path / "t"),
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 skipped" in proc.stdout
    assert "apt-get install -y chromium chromium-driver" in proc.stdout


def test_a_new_report_replaces_the_old_pages_whole(tmp_path: Path) -> None:
    site, _ = crafted_site(tmp_path)
    (site / "people" / "gone.html").write_text("an old page")
    (site / "notes.txt").write_text("not ours")
    code, _, err = invoke(site.parent, "report", "-o", "site", "--offline", *TODAY)
    assert code == 0, err
    assert not (site / "people" / "gone.html").exists()
    assert (site / "notes.txt").read_text() == "not ours"
    assert sorted(p.name for p in site.iterdir()) == [
        "entities",
        "index.html",
        "notes.txt",
        "people",
    ]
