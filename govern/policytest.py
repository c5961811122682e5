"""Policy tests (`govern test`): small inventories with the exact findings the pack must make.

A test file (`policies/tests/*.yaml`) holds test cases:

```yaml
tests:
  - name: a page with one administrator fails min-admins
    as_of: 2026-11-22                # the audit's day
    rules: [min-admins]              # optional: compare only these rules' findings
    inventory:                       # inline inventory (a mapping), or a path (a string,
      version: 1                     # relative to this file)
      ...
    findings:                        # exactly these unwaived findings, in any order
      - {rule: min-admins, account: st-mary-facebook}
  - name: the example inventory is clean
    as_of: 2026-11-22
    inventory: ../../inventory.yaml
    no_findings: true
```

A finding matches on (rule, account, person); an omitted account or person means the finding
has none. The credential store is never consulted: a case may give its metadata instead
(`custody: {REF: {updated_at: 2026-03-02T00:00:00Z}}`); without it, as with `--offline`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govern.errors import InputError, Problem
from govern.inventory.load import load_inventory
from govern.inventory.source import load_yaml, validation_problems
from govern.policy import Policy

DEFAULT_DIR = Path("policies/tests")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expected(_Strict):
    rule: str
    account: str | None = None
    person: str | None = None

    def key(self) -> tuple[str, str | None, str | None]:
        return (self.rule, self.account, self.person)


class StoredCredential(_Strict):
    """What the credential store would say about one credential (no secret)."""

    updated_at: dt.datetime
    rotated_by: str | None = None


class Case(_Strict):
    name: str = Field(min_length=1)
    as_of: dt.date
    inventory: dict[str, Any] | str
    rules: tuple[str, ...] | None = None
    # The credential store's metadata by ref; omitted: the store is not consulted.
    custody: dict[str, StoredCredential] | None = None
    findings: tuple[Expected, ...] = ()
    no_findings: bool = False

    @model_validator(mode="after")
    def _expectation(self) -> Case:
        if self.no_findings and self.findings:
            raise ValueError("give either findings or no_findings: true, not both")
        if not self.no_findings and not self.findings:
            raise ValueError("expect something: findings (a list) or no_findings: true")
        return self


class TestFile(_Strict):
    tests: tuple[Case, ...] = Field(min_length=1)


Key = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Result:
    file: str
    name: str
    seconds: float
    missing: tuple[Key, ...] = ()  # expected, not found
    unexpected: tuple[Key, ...] = ()  # found, not expected
    error: str | None = None  # the case could not run (its inventory is invalid)

    @property
    def passed(self) -> bool:
        return not (self.missing or self.unexpected or self.error)


def discover(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InputError(
            [
                Problem(
                    str(directory),
                    1,
                    1,
                    "policy test directory not found",
                    "write tests in policies/tests/*.yaml; `govern init` scaffolds one",
                )
            ]
        )
    # Only the directory's own files: subdirectories hold the inventories cases name.
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_cases(paths: list[Path]) -> list[tuple[Path, Case]]:
    """Every case of every file; all problems of all files in one `InputError`."""
    problems: list[Problem] = []
    cases: list[tuple[Path, Case]] = []
    for path in paths:
        try:
            data, source = load_yaml(path)
            cases.extend((path, case) for case in TestFile.model_validate(data).tests)
        except InputError as exc:
            problems.extend(exc.problems)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, source, known_fields=_fields))
    if problems:
        raise InputError(problems)
    return cases


def run(cases: list[tuple[Path, Case]], policy: Policy) -> Iterator[Result]:
    from govern.audit import audit
    from govern.rules import CustodyRecord

    for path, case in cases:
        start = time.perf_counter()
        try:
            loaded = _inventory(path, case, policy)
        except InputError as exc:
            yield Result(str(path), case.name, 0.0, error=exc.diagnostics())
            continue
        custody = (
            None
            if case.custody is None
            else {
                ref: CustodyRecord(ref, c.updated_at, c.rotated_by)
                for ref, c in case.custody.items()
            }
        )
        report = audit(loaded, policy, today=case.as_of, custody=custody)
        found: Counter[Key] = Counter(
            (f.rule, f.account, f.person)
            for f in report.findings
            if not f.waived and (case.rules is None or f.rule in case.rules)
        )
        expected: Counter[Key] = Counter(e.key() for e in case.findings)
        yield Result(
            str(path),
            case.name,
            time.perf_counter() - start,
            missing=tuple(sorted((expected - found).elements(), key=_order)),
            unexpected=tuple(sorted((found - expected).elements(), key=_order)),
        )


def _order(key: Key) -> tuple[str, str, str]:
    return (key[0], key[1] or "", key[2] or "")


def _inventory(path: Path, case: Case, policy: Policy) -> Any:
    if isinstance(case.inventory, str):
        return load_inventory(path.parent / case.inventory, policy.catalog)
    with tempfile.TemporaryDirectory(prefix="govern-test-") as tmp:
        inline = Path(tmp) / "inventory.yaml"
        inline.write_text(yaml.safe_dump(case.inventory, sort_keys=False), encoding="utf-8")
        return load_inventory(inline, policy.catalog, display=f"{path} ({case.name}: inventory)")


def _fields(loc: Any) -> list[str]:
    shape = tuple("*" if n % 2 else str(step) for n, step in enumerate(loc))
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): TestFile,
        ("tests", "*"): Case,
        ("tests", "*", "findings", "*"): Expected,
    }
    model = models.get(shape)
    return list(model.model_fields) if model is not None else []


# --- output -------------------------------------------------------------------------------


def _show(key: Key) -> str:
    rule, account, person = key
    parts = [f"rule: {rule}"]
    if account is not None:
        parts.append(f"account: {account}")
    if person is not None:
        parts.append(f"person: {person}")
    return "{" + ", ".join(parts) + "}"


def render_text(results: list[Result], *, verbose: bool = False) -> str:
    """Like `opa test`: failures with a diff of findings, then the counts."""
    lines: list[str] = []
    current = None
    for result in results:
        if result.passed and not verbose:
            continue
        if result.file != current:
            current = result.file
            lines.append(f"{result.file}:")
        status = "PASS" if result.passed else ("ERROR" if result.error else "FAIL")
        lines.append(f"  {status}  {result.name} ({result.seconds * 1000:.0f}ms)")
        if result.error:
            lines.extend(f"      {line}" for line in result.error.splitlines())
        if result.missing or result.unexpected:
            lines.append("      --- expected")
            lines.append("      +++ found")
            lines.extend(f"      - {_show(key)}" for key in result.missing)
            lines.extend(f"      + {_show(key)}" for key in result.unexpected)
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if lines:
        lines.append("-" * 80)
    lines.append(f"PASS: {passed}/{len(results)}")
    if failed:
        lines.append(f"FAIL: {failed}/{len(results)}")
    return "\n".join(lines)


def render_junit(results: list[Result]) -> str:
    failures = sum(1 for r in results if r.missing or r.unexpected)
    errors = sum(1 for r in results if r.error)
    suites = ET.Element("testsuites", name="govern test")
    by_file: dict[str, list[Result]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    for file, group in by_file.items():
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=file,
            tests=str(len(group)),
            failures=str(sum(1 for r in group if r.missing or r.unexpected)),
            errors=str(sum(1 for r in group if r.error)),
        )
        for result in group:
            case = ET.SubElement(
                suite, "testcase", classname=file, name=result.name, time=f"{result.seconds:.3f}"
            )
            if result.error:
                ET.SubElement(case, "error", message="the case could not run").text = result.error
            elif not result.passed:
                diff = [f"- {_show(k)}" for k in result.missing]
                diff += [f"+ {_show(k)}" for k in result.unexpected]
                ET.SubElement(
                    case,
                    "failure",
                    message=f"{len(result.missing)} expected finding(s) missing, "
                    f"{len(result.unexpected)} unexpected",
                ).text = "--- expected\n+++ found\n" + "\n".join(diff)
    suites.set("tests", str(len(results)))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
