"""`govern init`: the files of a new governance repository, from templates shipped as package data.

A scaffold is planned first (`plan`), then written (`write`): the CLI can refuse before
touching anything when files already exist, and list every one of them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from govern import DISTRIBUTION, __version__
from govern.fsutil import atomic_write_text

# Target path in the new repository -> template under govern/scaffold/templates/.
# Hidden targets come from visible template names: package-data globs skip dot files.
TEMPLATES: dict[str, str] = {
    "inventory.yaml": "inventory.yaml",
    "policies/rules.yaml": "policies/rules.yaml",
    "policies/waivers.yaml": "policies/waivers.yaml",
    "policies/platforms.yaml": "policies/platforms.yaml",
    "policies/tests/example.yaml": "policies/tests/example.yaml",
    ".github/workflows/govern.yml": "govern.yml",
    ".github/workflows/govern-review.yml": "review.yml",
    ".github/workflows/govern-report.yml": "report.yml",
    ".github/workflows/govern-remind.yml": "remind.yml",
    ".github/workflows/govern-drift.yml": "drift.yml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".gitignore": "gitignore",
    "README.md": "README.md",
}
SCHEMA_PATH = "schema/inventory.schema.json"


# Until a release is on PyPI, govern is installed from its git repository.
REPOSITORY_PLACEHOLDER = "https://<your git host>/<org>/govern"


def default_package() -> str:
    """The pip requirement the scaffolded workflows install govern from: the git repository
    and commit this govern was installed from (pip records it, PEP 610), else the repository
    placeholder at this version's tag, to be replaced (`govern init --package`)."""
    try:
        raw = distribution(DISTRIBUTION).read_text("direct_url.json")
    except PackageNotFoundError:
        raw = None
    try:
        info = json.loads(raw) if raw else {}
    except ValueError:
        info = {}
    vcs = info.get("vcs_info") if isinstance(info, dict) else None
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return f"{DISTRIBUTION} @ git+{info['url']}@{vcs['commit_id']}"
    return f"{DISTRIBUTION} @ git+{REPOSITORY_PLACEHOLDER}@v{__version__}"


def needs_package(package: str) -> bool:
    """Whether the requirement still holds the repository placeholder."""
    return REPOSITORY_PLACEHOLDER in package


@dataclass(frozen=True)
class ScaffoldFile:
    path: str  # relative, with forward slashes
    text: str


def template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", *name.split("/")).read_text("utf-8")


def plan(*, today: dt.date, package: str | None = None) -> list[ScaffoldFile]:
    """Every file of a new governance repository, in the order they are written."""
    from govern.inventory.schema import schema_text

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
