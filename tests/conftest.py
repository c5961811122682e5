"""Shared test helpers: build small inventories and audit them through the public API."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from pathlib import Path

import pytest

from govern.audit import audit
from govern.findings import Finding
from govern.inventory.load import load_inventory
from govern.policy import load_policy
from govern.rules import CustodyRecord
from tests.subprocess_cli import run_python

TODAY = dt.date(2026, 11, 22)
REPO = Path(__file__).resolve().parent.parent

# A small, clean organization: every rule passes on it. Tests change one thing.
BASE = """\
version: 1
organization:
  name: Test Diocese
  domains: [diocese.test]
people:
  - {id: head, name: Fr Head, email: head@diocese.test, level: A, trained_on: 2026-06-01}
  - {id: it, name: IT Person, email: it@diocese.test, level: B, trained_on: 2026-06-01}
  - {id: mgr, name: Manager, email: mgr@diocese.test, level: C, trained_on: 2026-06-01}
  - {id: mgr2, name: Manager Two, email: mgr2@diocese.test, level: C, trained_on: 2026-06-01}
entities:
  - {id: parish, name: St Test Parish, head: head, it: [it]}
accounts:
  - id: fb
    entity: parish
    platform: facebook
    handle: sttest
    access:
      - {person: head, role: admin}
      - {person: it, role: admin}
      - {person: mgr, role: editor}
  - id: yt
    entity: parish
    platform: youtube
    handle: "@sttest"
    access:
      - {person: head, role: owner}
      - {person: it, role: admin}
      - {person: mgr2, role: editor}
  - id: xacct
    entity: parish
    platform: x
    handle: "@sttest"
    access:
      - {person: head, role: admin}
      - {person: mgr, role: admin}
    credential: {mfa: true, recovery_email: office@diocese.test}
"""

# BASE predates access reviews: its accounts carry no `reviewed`, so whole-inventory audits of
# it leave review-current out (tests/review checks that rule on inventories made for it).
WITHOUT_REVIEWS = "rules:\n  review-current: {enabled: false}\n"


def run_audit(
    tmp_path: Path,
    text: str,
    *,
    policies: dict[str, str] | None = None,
    today: dt.date = TODAY,
    rule: str | None = None,
    custody: dict[str, CustodyRecord] | None = None,
) -> list[Finding]:
    """Write `text` (dedented) as an inventory, audit it, return the findings. `custody`: the
    store's records (None: the store is not consulted, as with --offline)."""
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(textwrap.dedent(text))
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir(exist_ok=True)
    for name, body in (policies or {}).items():
        (policy_dir / name).write_text(textwrap.dedent(body))
    policy = load_policy(policy_dir)
    loaded = load_inventory(inventory, policy.catalog, display="inventory.yaml")
    from govern.rules import REGISTRY

    everything = [r for r in REGISTRY if r != "review-current"]
    report = audit(
        loaded, policy, today=today, custody=custody, only=[rule] if rule else everything
    )
    return list(report.findings)


def departed(person: str, left_on: str = "2026-10-01", text: str = BASE) -> str:
    """`text` with `person` (an id of BASE) departed on `left_on`."""
    line = next(x for x in text.splitlines() if x.startswith(f"  - {{id: {person},"))
    return text.replace(line, line[:-1] + f", status: departed, left_on: {left_on}}}")


def brief(findings: list[Finding]) -> list[tuple[str, int | None, int | None]]:
    """(rule, line, column) of each finding, the way rule tests state expectations."""
    return [(f.rule, f.location.line, f.location.column) for f in findings]


@pytest.fixture
def base() -> str:
    return BASE


def at(text: str, line: int, needle: str) -> tuple[int, int]:
    """(line, column) of `needle` on 1-based `line` of `text`: expectations that read as prose."""
    content = textwrap.dedent(text).splitlines()[line - 1]
    assert needle in content, f"{needle!r} not on line {line}: {content!r}"
    return line, content.index(needle) + 1


def after_command(cwd: Path, args: list[str], probe: str, prelude: str = "") -> tuple[str, str]:
    """Run `govern ARGS` in a fresh interpreter (after `prelude`), then `probe`, Python that
    prints one line about the process: (what the command printed, the probe's line)."""
    program = (
        f"import sys\n{prelude}"
        "from govern.cli.main import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:], prog_name='govern', standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"{probe}"
    )
    done = run_python(cwd, program, *args, env=os.environ)
    done.check_returncode()
    output, _, line = done.stdout.rstrip("\n").rpartition("\n")
    return output, line
