"""What each format promises beyond its golden file: parseable, valid, escaped, complete."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from govern.findings import Finding, Location, Report, Severity
from govern.formats import OutputFormat, github, markdown, render, sarif

SCHEMA = Path(__file__).parent / "sarif-schema-2.1.0.json"


def sarif_doc(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render(report, OutputFormat.SARIF))
    return document


# --- json ---------------------------------------------------------------------------------


def test_json_contract(report: Report) -> None:
    document = json.loads(render(report, OutputFormat.JSON))
    assert list(document) == ["version", "inventory", "findings", "summary"]
    assert document["version"] == 1
    assert document["inventory"] == "inventory.yaml"
    assert document["summary"] == {"error": 2, "warning": 2, "info": 1, "waived": 1}
    assert list(document["summary"]) == ["error", "warning", "info", "waived"]
    for item in document["findings"]:
        assert list(item) == [
            "rule",
            "severity",
            "account",
            "person",
            "entity",
            "message",
            "waived",
            "location",
            "fix",
        ]
        assert list(item["location"]) == ["path", "line", "column"]
    no_line = next(f for f in document["findings"] if f["location"]["line"] is None)
    assert no_line["location"] == {"path": "inventory.yaml", "line": None, "column": None}
    assert no_line["person"] is None
    assert [f["message"] for f in document["findings"]] == [f.message for f in report.findings]


def test_json_layout(report: Report) -> None:
    output = render(report, OutputFormat.JSON)
    assert output.endswith("}\n")
    assert output.startswith('{\n  "version": 1,\n')


# --- sarif --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["report", "clean_report"])
def test_sarif_is_valid(which: str, request: pytest.FixtureRequest) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [e.message for e in validator.iter_errors(sarif_doc(request.getfixturevalue(which)))]
    assert errors == []


def test_sarif_rules_and_results(report: Report) -> None:
    run = sarif_doc(report)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "govern"
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == [rule.id for rule in report.rules]  # disabled rules are described too
    disabled = driver["rules"][ids.index("recovery-contact")]
    assert disabled["properties"] == {"enabled": False}
    assert disabled["defaultConfiguration"] == {"level": "warning", "enabled": False}
    info_rule = driver["rules"][ids.index("training-current")]
    assert info_rule["defaultConfiguration"] == {"level": "note"}
    assert info_rule["shortDescription"]["text"] == "Training is current"

    results = run["results"]
    assert len(results) == len(report.findings)
    for result, finding in zip(results, report.findings, strict=True):
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule
        assert result["message"]["text"] == finding.message
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": finding.location.path, "uriBaseId": "%SRCROOT%"}
    assert [r["level"] for r in results] == [
        "error",
        "warning",
        "note",
        "error",
        "warning",
        "error",
    ]


def test_sarif_region_omitted_without_line(report: Report) -> None:
    results = sarif_doc(report)["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in results]
    assert regions[0] == {"startLine": 12, "startColumn": 9}
    assert regions[4] is None
    only_line = Report("i.yaml", (replace(report.findings[0], location=Location("i.yaml", 4)),))
    region = sarif_doc(only_line)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert region["region"] == {"startLine": 4}


def test_sarif_suppression_for_waived(report: Report) -> None:
    results = sarif_doc(report)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"] == [
        {
            "kind": "external",
            "justification": "hardware key on order (approved by erin, until 2030-01-31)",
        }
    ]


def test_sarif_fingerprint_ignores_position(report: Report) -> None:
    finding = report.findings[0]
    moved = replace(finding, location=Location(finding.location.path, 99, 1))
    assert sarif.fingerprint(moved) == sarif.fingerprint(finding)
    assert sarif.fingerprint(replace(finding, person="zoe")) != sarif.fingerprint(finding)
    prints = [r["partialFingerprints"] for r in sarif_doc(report)["runs"][0]["results"]]
    assert len({p[sarif.FINGERPRINT_KEY] for p in prints}) == len(prints)


def test_sarif_undescribed_rule_gets_a_descriptor(report: Report) -> None:
    bare = Report("inventory.yaml", report.findings)  # no RuleInfo at all
    document = sarif_doc(bare)
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "mfa-required",
        "grant-expiry",
        "training-current",
        "waiver-invalid",
    ]
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(document)


def test_sarif_uri_is_percent_encoded(report: Report) -> None:
    odd = Report("a b.yaml", (replace(report.findings[0], location=Location("org/a b#1.yaml")),))
    artifact = sarif_doc(odd)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert artifact["artifactLocation"]["uri"] == "org/a%20b%231.yaml"


def test_sarif_tool_version(report: Report) -> None:
    document = json.loads(render(report, OutputFormat.SARIF, tool_version="9.8.7"))
    assert document["runs"][0]["tool"]["driver"]["version"] == "9.8.7"


# --- junit --------------------------------------------------------------------------------


def test_junit_parses_and_counts(report: Report) -> None:
    root = ET.fromstring(render(report, OutputFormat.JUNIT))
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.get("name") == "govern"
    cases = suite.findall("testcase")
    # six findings and one passing case for min-admins (the only clean enabled rule)
    assert len(cases) == 7 == int(suite.get("tests", "0"))
    failed = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(failed) == 4 == int(suite.get("failures", "0"))
    assert len(skipped) == 1 == int(suite.get("skipped", "0"))
    assert cases[-1].attrib == {"name": "min-admins", "classname": "min-admins"}
    assert all(c.get("name") != "recovery-contact" for c in cases)  # disabled: not counted
    first = failed[0].find("failure")
    assert first is not None
    assert first.get("message") == report.findings[0].message  # <&>|:,% survive the trip
    assert first.get("type") == "error"
    newline = failed[1].find("failure")
    assert newline is not None
    # A newline is shown, not obeyed: a value cannot start a line of a CI log.
    assert newline.get("message") == "grant for bob expires in 3 days\\nrenew or revoke it"
    assert failed[0].get("name") == "mfa-required: acme-instagram / alice"


def test_junit_clean(clean_report: Report) -> None:
    suite = ET.fromstring(render(clean_report, OutputFormat.JUNIT))[0]
    assert [c.get("name") for c in suite] == [r.id for r in clean_report.rules if r.enabled]
    assert suite.get("failures") == "0"


def test_junit_strips_characters_xml_cannot_carry(report: Report) -> None:
    bad = Report("i.yaml", (replace(report.findings[0], message="bell\x07 nul\x00 ok"),))
    failure = ET.fromstring(render(bad, OutputFormat.JUNIT)).find(".//failure")
    assert failure is not None
    assert failure.get("message") == "bell\\x07 nul\\x00 ok"


# --- markdown -----------------------------------------------------------------------------


def test_markdown_table_cells_are_escaped(report: Report) -> None:
    output = render(report, OutputFormat.MARKDOWN)
    rows = [line for line in output.splitlines() if line.startswith("| ")]
    # Unescaped pipes delimit cells: every row has exactly its column count.
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        assert len(cells) in (6, 7), row
    assert "&lt;acme\\|main&gt; &amp; posts" in output
    assert "3 days\\\\nrenew" in output


def test_markdown_sections(report: Report, clean_report: Report) -> None:
    output = render(report, OutputFormat.MARKDOWN)
    assert output.startswith("### govern audit: 2 errors, 2 warnings, 1 info, 1 waived in")
    open_part, waived_part = output.split("<details>")
    assert "dave" not in open_part and "dave" in waived_part
    assert "No open findings" not in output
    clean = render(clean_report, OutputFormat.MARKDOWN)
    assert "no findings" in clean and "Clean audit" in clean and "|" not in clean
    all_waived = Report("i.yaml", (report.findings[3],))
    assert "Clean audit" in render(all_waived, OutputFormat.MARKDOWN)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("x\r\ny", "x<br>y"),
        ("*_`[]\\", "\\*\\_\\`\\[\\]\\\\"),
        ("<b>", "&lt;b&gt;"),
    ],
)
def test_markdown_cell(raw: str, escaped: str) -> None:
    assert markdown.cell(raw) == escaped


# --- github -------------------------------------------------------------------------------


def unescape(value: str) -> str:
    """The runner's side of @actions/core's escaping."""
    return re.sub("%(25|0D|0A|3A|2C)", lambda m: chr(int(m.group(1), 16)), value)


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert match, line
    name, props, data = match.groups()
    properties = dict(p.split("=", 1) for p in props.split(","))
    return name, {k: unescape(v) for k, v in properties.items()}, unescape(data)


def test_github_one_command_per_finding(report: Report) -> None:
    lines = render(report, OutputFormat.GITHUB).splitlines()
    parsed = [parse(line) for line in lines]
    assert [name for name, _, _ in parsed] == [
        "error",
        "warning",
        "notice",
        "notice",
        "warning",
        "error",
    ]
    _, props, data = parsed[0]
    assert props == {"file": "inventory.yaml", "line": "12", "col": "9", "title": "mfa-required"}
    assert data == f"acme-instagram: {report.findings[0].message}"
    assert parsed[1][2].endswith("3 days\\nrenew or revoke it")
    assert parsed[3][1]["title"] == "mfa-required (waived)"
    assert "(waived: hardware key" in parsed[3][2]
    assert parsed[4][1] == {"file": "inventory.yaml", "title": "grant-expiry"}


def test_github_escaping_round_trip(report: Report) -> None:
    nasty = "50% done,\r\nnext: step::two, 100%25 %0A"
    finding = Finding(
        "rule,with:colons",
        Severity.WARNING,
        nasty,
        Location("dir:x/a,b%.yaml", 3, 4),
        account="acct",
    )
    line = github.command(finding)
    assert "\n" not in line and "\r" not in line
    name, props, data = parse(line)
    assert name == "warning"
    assert props == {
        "file": "dir:x/a,b%.yaml",
        "line": "3",
        "col": "4",
        "title": "rule,with:colons",
    }
    assert data == f"acct: {nasty}"
    assert github.escape_data(nasty) == "50%25 done,%0D%0Anext: step::two, 100%2525 %250A"


# --- text ---------------------------------------------------------------------------------


def test_text_without_color_has_no_escape_codes(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # the caller decides, not the environment
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    output = render(report, OutputFormat.TEXT)
    assert "\x1b" not in output
    assert "\x1b[" in render(report, OutputFormat.TEXT, color=True)


def test_text_layout(report: Report, clean_report: Report) -> None:
    lines = render(report, OutputFormat.TEXT).splitlines()
    assert lines[0] == "acme-instagram"
    assert lines[1].startswith("  ERROR   mfa-required      alice@example.org")
    assert lines[1].endswith("(inventory.yaml:12:9)")
    assert "policies/waivers.yaml" in lines  # no account: grouped under its file
    waived = next(line for line in lines if "dave" in line)
    assert "[waived: hardware key on order" in waived
    assert lines[-1] == "2 errors, 2 warnings, 1 info, 1 waived in inventory.yaml"
    assert render(clean_report, OutputFormat.TEXT) == "No findings in inventory.yaml\n"


def test_text_long_lines_are_not_wrapped(report: Report) -> None:
    long = replace(report.findings[0], message="word " * 400)
    output = render(Report("i.yaml", (long,)), OutputFormat.TEXT)
    assert len(output.splitlines()) == 4  # heading, finding, blank, summary


def test_summary_singular_plural(report: Report) -> None:
    one_each = Report("i.yaml", report.findings[:4])
    assert render(one_each, OutputFormat.TEXT).splitlines()[-1] == (
        "1 error, 1 warning, 1 info, 1 waived in i.yaml"
    )


# --- dispatch -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(OutputFormat), ids=str)
def test_every_format_renders_with_trailing_newline(report: Report, fmt: OutputFormat) -> None:
    output = render(report, OutputFormat(fmt.value))
    assert output.endswith("\n") and not output.endswith("\n\n")
