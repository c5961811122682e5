"""`govern init`: scaffold a governance repository."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from govern import scaffold
from govern.errors import UsageError


@click.command("init")
@click.argument(
    "directory", metavar="[DIR]", default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--package",
    metavar="REQUIREMENT",
    default=None,
    help=f"What the workflow pip-installs govern from  [default: {scaffold.default_package()}]",
)
def init(directory: Path, force: bool, package: str | None) -> None:
    """Scaffold a governance repository in DIR (default: the current directory).

    Writes a commented starter inventory.yaml (replace its example entries), policies/ with
    the default policy pack, the inventory's JSON Schema for editors, a GitHub Actions
    workflow that audits every pull request, a pre-commit configuration and a short README
    for the admins. Existing files are left alone unless --force: when any exists, nothing is
    written and they are listed (exit 2).

    \b
    Examples:
      govern init                       # here
      govern init social-governance     # a new directory
      govern init --package "govern-social @ git+https://git.example.org/it/govern@v0.1.0"
    """
    files = scaffold.plan(today=dt.date.today(), package=package)
    clashes = scaffold.existing(directory, files)
    if clashes and not force:
        listing = "\n".join(f"  {directory / path}" for path in clashes)
        raise UsageError(
            f"{len(clashes)} file(s) already exist; nothing was written:\n{listing}",
            hint="move them aside, or run again with --force to overwrite them",
        )
    try:
        scaffold.write(directory, files)
    except OSError as exc:
        where = exc.filename or directory
        raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from None

    overwritten = set(clashes)
    for f in files:
        verb = "overwrote" if f.path in overwritten else "created"
        click.echo(f"{verb} {directory / f.path}")
    cd = "" if directory == Path(".") else f"cd {directory}  &&  "
    click.echo(
        "\nNext steps:\n"
        f"  1. {cd}replace the example entries of inventory.yaml with your organization\n"
        "  2. govern validate && govern audit      # until it is clean\n"
        + (
            "  3. set GOVERN_PACKAGE in .github/workflows/govern*.yml: where CI installs govern\n"
            "     from (your copy of the govern repository, or run init with --package)\n"
            if scaffold.needs_package(package or scaffold.default_package())
            else "  3. check GOVERN_PACKAGE in .github/workflows/govern*.yml (where CI installs "
            "govern)\n"
        )
        + "  4. git init (if needed), commit, push; protect the branch and require the 'govern'"
        " check\n"
        "  5. pre-commit install                   # optional: validate before each commit"
    )
