"""GitHub Actions workflow commands: one annotation per finding on the PR diff and run page.

    ::error file=PATH,line=L,col=C,title=RULE::MESSAGE

error/warning/notice by severity; the message leads with the account; waived findings
become notices marked "(waived)".
Escaping follows @actions/core (toolkit `command.ts`): data escapes `%`, CR and LF;
property values additionally `:` and `,`.
"""

from __future__ import annotations

from govern.findings import Finding, Report, Severity

COMMANDS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


def render(report: Report) -> str:
    text = "".join(command(finding) + "\n" for finding in report.findings)
    if report.coverage is not None:
        text += f"::notice title=govern drift coverage::{escape_data(report.coverage.line())}\n"
    return text


def command(finding: Finding) -> str:
    name = "notice" if finding.waived else COMMANDS[finding.severity]
    location = finding.location
    properties = {"file": location.path}
    if location.line is not None:
        properties["line"] = str(location.line)
        if location.column is not None:
            properties["col"] = str(location.column)
    properties["title"] = f"{finding.rule} (waived)" if finding.waived else finding.rule
    # Messages do not repeat the account; an annotation without a line needs it most.
    message = f"{finding.account}: {finding.message}" if finding.account else finding.message
    if finding.waived and finding.waiver_reason:
        message += f" (waived: {finding.waiver_reason})"
    elif finding.fix and not finding.waived:
        message += f"\nFix: {finding.fix}"
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name} {props}::{escape_data(message)}"


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
