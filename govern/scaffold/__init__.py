"""`govern init`: the files of a new governance repository, from templates shipped as package data.

A scaffold is planned first (`plan`), then written (`write`): the CLI can refuse before
touching anything when files already exist, and list every one of them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from govern import __version__
from govern.fsutil import atomic_write_text

# Target path in the new repository -> template under govern/scaffold/templates/.
# Hidden targets come from visible template names: package-data globs skip dot files.
TEMPLATES: dict[str, str] = {
    "inventory.yaml": "inventory.yaml",
    "policies/rules.yaml": "policies/rules.yaml",
    "policies/waivers.yaml": "policies/waivers.yaml",
    "policies/platforms.yaml": "policies/platforms.yaml",
    ".github/workflows/govern.yml": "govern.yml",
    ".github/workflows/govern-review.yml": "review.yml",
    ".github/workflows/govern-report.yml": "report.yml",
    ".github/workflows/govern-remind.yml": "remind.yml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".gitignore": "gitignore",
    "README.md": "README.md",
}
SCHEMA_PATH = "schema/inventory.schema.json"


def default_package() -> str:
    """The pip requirement the scaffolded workflow installs govern from."""
    return f"govern=={__version__}"


@dataclass(frozen=True)
class ScaffoldFile:
    path: str  # relative, with forward slashes
    text: str


def template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", *name.split("/")).read_text("utf-8")


def plan(*, today: dt.date, package: str | None = None) -> list[ScaffoldFile]:
    """Every file of a new governance repository, in the order they are written."""
    from govern.cli.schema import schema_text

    values = {
        "{today}": today.isoformat(),
        "{version}": __version__,
        "{package}": package or default_package(),
    }
    files = []
    for target, name in TEMPLATES.items():
        text = template(name)
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        files.append(ScaffoldFile(target, text))
    files.append(ScaffoldFile(SCHEMA_PATH, schema_text()))
    return files


def existing(directory: Path, files: list[ScaffoldFile]) -> list[str]:
    """The planned paths that already exist under `directory` (as files or anything else)."""
    return [f.path for f in files if os.path.lexists(directory / f.path)]


def write(directory: Path, files: list[ScaffoldFile]) -> None:
    """Write every file under `directory` (each one atomically), creating directories."""
    for f in files:
        target = directory / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, f.text)
