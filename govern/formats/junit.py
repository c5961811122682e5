"""JUnit XML for CI test dashboards (GitLab, Jenkins, Azure Pipelines, test-reporter actions).

One testsuite `govern`. Each finding is a testcase named `rule: subject` (classname = rule):
an unwaived error or warning fails, a waived finding is skipped, an info passes with the
message as system-out. Each enabled rule without findings is one passing testcase, so
dashboards count the checks that held.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from govern.findings import Report, Severity
from govern.formats._common import subject

# Characters XML 1.0 cannot carry at all, even escaped; ElementTree writes them through.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report) -> str:
    suite = ET.Element("testsuite", name="govern")
    failures = skipped = 0
    for finding in report.findings:
        case = _testcase(suite, f"{finding.rule}: {subject(finding)}", finding.rule)
        body = _clean(f"{finding.message}\n\nat {finding.location}")
        if finding.waived:
            skipped += 1
            reason = f"waived: {finding.waiver_reason}" if finding.waiver_reason else "waived"
            ET.SubElement(case, "skipped", message=_clean(reason)).text = body
        elif finding.severity is Severity.INFO:
            ET.SubElement(case, "system-out").text = body
        else:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=_clean(finding.message), type=finding.severity.value
            )
            failure.text = body
    reported = {finding.rule for finding in report.findings}
    for rule in report.rules:
        if rule.enabled and rule.id not in reported:
            _testcase(suite, rule.id, rule.id)
    counts = {"tests": str(len(suite)), "failures": str(failures), "errors": "0"}
    suite.attrib.update(counts, skipped=str(skipped))
    if report.coverage is not None:
        properties = ET.Element("properties")
        ET.SubElement(properties, "property", name="coverage", value=report.coverage.line())
        suite.insert(0, properties)
    root = ET.Element("testsuites", {"name": "govern", **counts})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _testcase(suite: ET.Element, name: str, classname: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", name=_clean(name), classname=classname)


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
