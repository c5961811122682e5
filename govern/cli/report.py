"""`govern report`: the static HTML access report."""

from __future__ import annotations

import os
from pathlib import Path

import click

from govern.cli._common import (
    inventory_option,
    load,
    parse_today,
    policies_option,
    reviews_option,
    reviews_path,
    store_option,
    today_option,
)
from govern.errors import UsageError


@click.command()
@click.option(
    "--output",
    "-o",
    "output",
    metavar="DIR",
    required=True,
    help="Folder to write the site into (created; its index.html, entities/ and people/ "
    "are replaced).",
)
@click.option(
    "--drift",
    "drift_file",
    metavar="FILE",
    default=None,
    help="A drift report from `govern drift --format json`: drift state per account.",
)
@click.option(
    "--repo-url",
    metavar="URL",
    default=None,
    help="Link findings to the inventory on the repository host: the URL of the folder that "
    "holds it, e.g. https://github.com/ORG/REPO/blob/main",
)
@click.option(
    "--offline", is_flag=True, help="Do not consult the credential store (no password ages)."
)
@store_option
@reviews_option
@inventory_option
@policies_option
@today_option
def report(
    output: str,
    drift_file: str | None,
    repo_url: str | None,
    offline: bool,
    store_spec: str | None,
    reviews_dir: str | None,
    inventory: str | None,
    policies: str | None,
    today: str | None,
) -> None:
    """Write the access report: a static site for heads of entities, with no external requests.

    An overview (accounts by entity and platform, findings by rule and severity, drift,
    review progress, password ages, with inline SVG charts), a page per entity (its
    accounts, who holds what in the platform's own role names, what to fix) and a page per
    person (what they hold). Open OUTPUT/index.html, or publish the folder (docs/report.md).

    \b
    Examples:
      govern report --output site
      govern drift --format json -o drift.json; govern report -o site --drift drift.json
      govern report -o site --repo-url https://github.com/diocese/governance/blob/main
    """
    from govern.custody import read_custody
    from govern.report import check_repo_url, make_site, read_drift

    repo = check_repo_url(repo_url)
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output {output} exists and is not a folder")
    day = parse_today(today)
    loaded, policy = load(inventory, policies)
    drift = read_drift(Path(drift_file)) if drift_file else None
    custody, source = (
        (None, "")
        if offline
        else read_custody(store_spec, inventory_dir=Path(loaded.path).parent, env=os.environ)
    )
    site = make_site(
        loaded,
        policy,
        today=day,
        reviews=reviews_path(reviews_dir, inventory),
        drift=drift,
        custody=custody,
        custody_source=source,
        repo_url=repo,
    )
    try:
        written = site.write(out)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"wrote {len(written)} pages to {out}; open {out / 'index.html'}")
