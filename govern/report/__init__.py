"""The HTML access report: a static, self-contained site for heads of entities.

`build` turns the loaded inventory, the audit's findings and optional drift, review progress
and credential ages into pages (an overview, one page per entity, one per person); `write`
puts them in a folder. Pages are rendered by Jinja2 with autoescaping, so inventory values
(untrusted: HTML, control characters) are text, never markup. No page makes a request:
styles are inline, charts are inline SVG, there is no script, and a Content-Security-Policy
meta tag forbids anything else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from govern.errors import GovernError, InputError, Problem, UsageError
from govern.findings import Finding, Report, Severity
from govern.inventory.load import LoadedInventory
from govern.platforms import Catalog
from govern.policy import Policy
from govern.query import holdings
from govern.report import charts
from govern.rules import CustodyRecord

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
DRIFT_STATES = ("clean", "drift", "unverifiable")
# C0 and C1 control characters other than tab and newline, shown as visible escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(value: Any) -> Any:
    """Every value a template prints: control characters become `\\x07`-style text."""
    if isinstance(value, Markup):  # a macro's output: its values went through here already
        return value
    if isinstance(value, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("govern.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=visible,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["web_url"] = web_url
    return env


def web_url(value: str | None) -> str | None:
    """A link target only for http(s) URLs: a `javascript:` URL in the inventory stays text."""
    if not value or _CONTROL.search(value):
        return None
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return None
    return value if scheme in ("http", "https") else None


@dataclass(frozen=True)
class DriftInput:
    """What a `govern drift --format json` file says: drift findings and account states."""

    findings: tuple[Finding, ...]
    states: dict[str, str]


@dataclass
class Site:
    pages: dict[str, str] = field(default_factory=dict)  # relative path -> HTML

    def write(self, out: Path) -> list[Path]:
        """Write every page into a fresh folder beside the old pages, then swap it in: a
        reader never sees half a site. Pages are not fsync'd one by one (3,000 pages of a
        1,000-account inventory: ~50 s of fsync on a busy disk); the site is regenerable."""
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".govern-report-", dir=out))
        try:
            for relative, html in self.pages.items():
                path = staging.joinpath(*PurePosixPath(relative).parts)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(html, encoding="utf-8")
            for top in sorted({PurePosixPath(r).parts[0] for r in self.pages}):
                target = out / top
                if target.is_dir() and not target.is_symlink():
                    old = staging / f".old-{top}"
                    target.rename(old)
                os.replace(staging / top, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return [out.joinpath(*PurePosixPath(r).parts) for r in sorted(self.pages)]


def read_drift(path: Path) -> DriftInput:
    """Read a drift report written by `govern drift --format json` (exit 2 when it is not)."""
    from govern.findings import Location

    shown = str(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--drift: cannot read {shown}: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(shown, exc.lineno, exc.colno, f"not JSON: {exc.msg}")]) from None

    def bad(message: str) -> InputError:
        return InputError(
            [Problem(shown, 1, 1, message, "write it with `govern drift --format json -o FILE`")]
        )

    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise bad("not a govern drift report (no findings list)")
    findings = []
    for item in document["findings"]:
        try:
            location = item.get("location") or {}
            findings.append(
                Finding(
                    rule=str(item["rule"]),
                    severity=Severity(item["severity"]),
                    message=str(item["message"]),
                    location=Location(
                        str(location.get("path") or ""),
                        location.get("line"),
                        location.get("column"),
                    ),
                    account=item.get("account"),
                    person=item.get("person"),
                    entity=item.get("entity"),
                    waived=bool(item.get("waived")),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise bad("a finding lacks rule, severity or message") from None
    coverage = document.get("coverage")
    states: dict[str, str] = {}
    if isinstance(coverage, dict) and isinstance(coverage.get("states"), dict):
        states = {str(k): str(v) for k, v in coverage["states"].items() if v in DRIFT_STATES}
    else:  # snapshot drift: accounts with findings drifted; the others are not known
        states = {f.account: "drift" for f in findings if f.account}
    return DriftInput(tuple(findings), states)


def check_repo_url(url: str | None) -> str | None:
    if url is None:
        return None
    if web_url(url) is None:
        raise UsageError(
            f"--repo-url {url!r} is not an http(s) URL",
            hint="e.g. https://github.com/ORG/governance/blob/main",
        )
    return url.rstrip("/")


def build(
    loaded: LoadedInventory,
    catalog: Catalog,
    report: Report,
    *,
    today: dt.date,
    drift: DriftInput | None = None,
    review: Any | None = None,
    review_problem: str | None = None,
    custody: Mapping[str, CustodyRecord] | None = None,
    credential_max_age: int = 180,
    repo_url: str | None = None,
) -> Site:
    """Every page of the report. `review` is a `govern.review.Status` (or None)."""
    inv = loaded.inventory
    env = _environment()
    inventory_dir = Path(loaded.path).parent
    findings = [*report.findings, *(drift.findings if drift else ())]
    rules = {info.id: info for info in report.rules}

    def link(finding: Finding) -> str | None:
        if repo_url is None or not finding.location.path or finding.location.line is None:
            return None
        path = Path(finding.location.path)
        if path.is_absolute():
            try:
                path = path.relative_to(inventory_dir.absolute())
            except ValueError:
                path = Path(path.name)
        return f"{repo_url}/{quote(path.as_posix())}#L{finding.location.line}"

    def finding_view(f: Finding) -> dict[str, Any]:
        info = rules.get(f.rule)
        return {
            "rule": f.rule,
            "severity": f.severity.value,
            "message": f.message,
            "account": f.account,
            "person": f.person,
            "entity": f.entity,
            "waived": f.waived,
            "waiver_reason": f.waiver_reason,
            "where": f"{f.location.path}:{f.location.line or 1}:{f.location.column or 1}",
            "link": link(f),
            "summary": info.summary if info else "Declared access differs from what was observed.",
        }

    views = [finding_view(f) for f in findings]
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    account_entity = {a.id: a.entity for a in inv.accounts}
    for view in views:
        entity = view["entity"] or account_entity.get(view["account"] or "")
        if view["account"]:
            by_account[view["account"]].append(view)
        if entity:
            by_entity[entity].append(view)
        if view["person"]:
            by_person[view["person"]].append(view)

    states = drift.states if drift else {}
    ages: dict[str, int | None] = {}
    accounts: list[dict[str, Any]] = []
    for account in inv.accounts:
        platform = catalog.get(account.platform)
        shared = platform is not None and platform.shared
        age = None
        if shared and custody is not None:
            record = custody.get(account.credential_ref)
            if record is not None and record.updated_at is not None:
                age = max((today - record.updated_at.date()).days, 0)
            ages[account.id] = age
        holders = []
        for grant in account.access:
            person = inv.person(grant.person)
            holders.append(
                {
                    "person": grant.person,
                    "name": person.name if person else grant.person,
                    "role": grant.role,
                    "label": platform.label(grant.role) if platform else grant.role,
                    "admin": platform.is_admin(grant.role) if platform else False,
                    "expires": grant.expires,
                    "departed": person.departed if person else False,
                }
            )
        accounts.append(
            {
                "id": account.id,
                "entity": account.entity,
                "platform": account.platform,
                "platform_name": platform.name if platform else account.platform,
                "handle": account.handle,
                "url": web_url(account.url),
                "admin_url": web_url(platform.admin_url) if platform else None,
                "holders": holders,
                "reviewed": account.reviewed,
                "drift": states.get(account.id),
                "shared": shared,
                "credential_age": age,
                "findings": by_account.get(account.id, []),
            }
        )

    entity_rows: list[dict[str, Any]] = []
    severity_rows = []
    for entity in inv.entities:
        mine = by_entity.get(entity.id, [])
        counts = Counter(v["severity"] for v in mine if not v["waived"])
        head = inv.person(entity.head)
        entity_rows.append(
            {
                "id": entity.id,
                "name": entity.name,
                "head": entity.head,
                "head_name": head.name if head else entity.head,
                "it": list(entity.it),
                "accounts": sum(1 for a in accounts if a["entity"] == entity.id),
                **{s.value: counts.get(s.value, 0) for s in SEVERITIES},
            }
        )
        severity_rows.append((entity.name, [(s.value, counts.get(s.value, 0)) for s in SEVERITIES]))

    summary = Counter(v["severity"] for v in views if not v["waived"])
    by_rule = Counter((v["rule"], v["severity"]) for v in views if not v["waived"])
    platforms = Counter(str(a["platform_name"]) for a in accounts)
    drift_counts = Counter(a["drift"] for a in accounts if a["drift"])
    review_rows = (
        [(e.entity, [("decided", e.decided), ("pending", e.pending)]) for e in review.entities]
        if review is not None
        else []
    )
    age_rows = sorted(
        ((account_id, age) for account_id, age in ages.items() if age is not None),
        key=lambda row: -row[1],
    )
    common = {
        "organization": inv.organization.name,
        "today": today,
        "generated": today.isoformat(),
        "inventory": loaded.path,
        "severities": [s.value for s in SEVERITIES],
        "repo_url": repo_url,
    }
    site = Site()
    site.pages["index.html"] = env.get_template("overview.html").render(
        **common,
        root="",
        title="Overview",
        accounts=accounts,
        entities=entity_rows,
        findings=views,
        summary={s.value: summary.get(s.value, 0) for s in SEVERITIES},
        waived=sum(1 for v in views if v["waived"]),
        by_rule=sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])),
        platforms=sorted(platforms.items(), key=lambda kv: (-kv[1], kv[0])),
        drift_counts=drift_counts,
        has_drift=drift is not None,
        review=review,
        review_problem=review_problem,
        ages=ages,
        credential_max_age=credential_max_age,
        custody_read=custody is not None,
        chart_severity=charts.stacked_bars(
            "chart-severity",
            "Findings by severity per entity",
            severity_rows,
            {s.value: s.value for s in SEVERITIES},
        ),
        chart_platforms=charts.bars(
            "chart-platforms", "Accounts by platform", list(platforms.most_common())
        ),
        chart_ages=charts.bars(
            "chart-ages",
            f"Days since each shared password was rotated (limit {credential_max_age})",
            age_rows,
            limit=credential_max_age,
        )
        if age_rows
        else None,
        chart_review=charts.stacked_bars(
            "chart-review",
            "Review progress per entity",
            review_rows,
            {"decided": "decided", "pending": "pending"},
        )
        if review_rows
        else None,
        people=sorted(inv.people, key=lambda p: p.name.lower()),
    )
    for row in entity_rows:
        site.pages[f"entities/{row['id']}.html"] = env.get_template("entity.html").render(
            **common,
            root="../",
            title=row["name"],
            entity=row,
            accounts=[a for a in accounts if a["entity"] == row["id"]],
            findings=by_entity.get(row["id"], []),
            review=next((e for e in review.entities if e.entity == row["id"]), None)
            if review is not None
            else None,
            review_name=review.name if review is not None else None,
            rules=rules,
        )
    for person in inv.people:
        held = holdings(inv, catalog, person.id)
        site.pages[f"people/{person.id}.html"] = env.get_template("person.html").render(
            **common,
            root="../",
            title=person.name,
            person=person,
            held=held,
            findings=by_person.get(person.id, []),
        )
    return site


def make_site(
    loaded: LoadedInventory,
    policy: Policy,
    *,
    today: dt.date,
    reviews: Path,
    drift: DriftInput | None = None,
    custody: dict[str, CustodyRecord] | None = None,
    custody_source: str = "",
    repo_url: str | None = None,
) -> Site:
    """The report of `govern report`: the audit of `loaded` (with the store's custody
    records when given), the progress of the latest review campaign under `reviews` (review
    files that cannot be read become a note on the overview, not an error), and `drift`."""
    from govern.audit import audit
    from govern.review import latest, review_names
    from govern.review import status as review_status

    findings = audit(loaded, policy, today=today, custody=custody, custody_source=custody_source)
    progress, problem = None, None
    if review_names(reviews):
        try:
            progress = review_status(reviews, latest(reviews), today=today)
        except GovernError as exc:
            problem = f"The review files could not be read: {exc.message}"
    age = policy.params.get("credential-age")
    return build(
        loaded,
        policy.catalog,
        findings,
        today=today,
        drift=drift,
        review=progress,
        review_problem=problem,
        custody=custody,
        credential_max_age=int(getattr(age, "max_age_days", 180)),
        repo_url=repo_url,
    )
