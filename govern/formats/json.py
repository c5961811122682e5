"""Machine-readable JSON. A stable contract: keys and their order do not change within a version.

    {"version": 1, "inventory": PATH,
     "findings": [{"rule", "severity", "account", "person", "entity", "message", "waived",
                   "location": {"path", "line", "column"}}],
     "summary": {"error": N, "warning": N, "info": N, "waived": N},
     "coverage": {"accounts": N, "clean": N, "drift": N, "unverifiable": N,   # drift --live
                  "states": {ACCOUNT: STATE}, "failures": [MESSAGE]}}

Absent fields are null.
"""

from __future__ import annotations

from typing import Any

from govern.findings import Report
from govern.formats._jsontext import dumps_indented

VERSION = 1


def render(report: Report) -> str:
    document: dict[str, Any] = {
        "version": VERSION,
        "inventory": report.inventory,
        "findings": [finding.to_json() for finding in report.findings],
        "summary": report.summary(),
    }
    if report.coverage is not None:  # `govern drift --live`: every account's state
        document["coverage"] = report.coverage.to_json()
    return dumps_indented(document) + "\n"
