"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).

One run; every rule in the report is a descriptor (so disabled rules still document
themselves); each finding is a result pointing at its file relative to `%SRCROOT%`.
`partialFingerprints` hash what a finding is about, not where it is, so GitHub keeps tracking
an alert when lines above it move. Waived findings carry an external suppression.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from govern import DISTRIBUTION
from govern.findings import Finding, Location, Report, RuleInfo, Severity
from govern.formats._jsontext import dumps_indented

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _project_uri() -> str | None:
    """The project's home page from package metadata ([project.urls] in pyproject.toml)."""
    try:
        meta = metadata(DISTRIBUTION)
    except PackageNotFoundError:  # pragma: no cover - source tree without install
        return None
    entries: list[str] = meta.get_all("Project-URL") or []
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() in {"homepage", "home", "repository", "source"}:
            return url.strip()
    homes: list[str] = meta.get_all("Home-page") or []
    return homes[0] if homes else None


# Optional in SARIF; shown by GitHub next to the tool name. None: left out.
INFORMATION_URI: str | None = _project_uri()
FINGERPRINT_KEY = "governFinding/v1"

LEVELS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}


def render(report: Report, *, tool_version: str) -> str:
    rules = list(report.rules)
    index = {rule.id: i for i, rule in enumerate(rules)}
    for finding in report.findings:  # a finding from a rule the report does not describe
        if finding.rule not in index:
            index[finding.rule] = len(rules)
            rules.append(RuleInfo(finding.rule, finding.severity, finding.rule, finding.rule))
    driver: dict[str, Any] = {"name": "govern"}
    if INFORMATION_URI:
        driver["informationUri"] = INFORMATION_URI
    driver["version"] = tool_version
    driver["rules"] = [_descriptor(rule) for rule in rules]
    document: dict[str, Any] = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                # YAML columns count characters, not UTF-16 code units (the SARIF default).
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index[f.rule]) for f in report.findings],
            }
        ],
    }
    if report.coverage is not None:
        document["runs"][0]["properties"] = {"coverage": report.coverage.to_json()}
    return dumps_indented(document) + "\n"


def fingerprint(finding: Finding) -> str:
    """Stable across commits: rule, account, person and message, not the line."""
    parts = (finding.rule, finding.account or "", finding.person or "", finding.message)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {"text": rule.explanation},
        "defaultConfiguration": {"level": LEVELS[rule.severity]}
        | ({} if rule.enabled else {"enabled": False}),
        "properties": {"enabled": rule.enabled},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(finding.location)}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
    }
    if finding.fix is not None:
        result["properties"] = {"fix": finding.fix}
    if finding.waived:
        suppression = {"kind": "external"}
        if finding.waiver_reason is not None:
            suppression["justification"] = finding.waiver_reason
        result["suppressions"] = [suppression]
    return result


def _physical(location: Location) -> dict[str, Any]:
    path = PurePosixPath(location.path)
    artifact: dict[str, str]
    if path.is_absolute():
        artifact = {"uri": path.as_uri()}
    else:
        artifact = {"uri": quote(location.path, safe="/"), "uriBaseId": "%SRCROOT%"}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if location.line is not None:
        region = {"startLine": location.line}
        if location.column is not None:
            region["startColumn"] = location.column
        physical["region"] = region
    return physical
