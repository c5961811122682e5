"""The distribution is govern-social (`govern` on PyPI is an unrelated project): every install
line says so, and `govern init` installs what this govern was installed from."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern import DISTRIBUTION, scaffold
from govern.cli.main import cli
from tests.ecosystem.conftest import REPO

INSTALL_FILES = [
    REPO / "README.md",
    REPO / "docs" / "ci.md",
    REPO / "action.yml",
    *sorted((REPO / "govern" / "scaffold" / "templates").iterdir()),
]


def test_pyproject_names_the_distribution() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == DISTRIBUTION == "govern-social"
    assert project["scripts"]["govern"].startswith("govern.")


@pytest.mark.parametrize("path", INSTALL_FILES, ids=lambda p: p.name)
def test_no_install_line_names_the_other_project(path: Path) -> None:
    if path.is_dir():
        return
    text = path.read_text()
    assert not re.search(r"pip install\s+[\"']?govern(?![-\w])", text), path
    assert "pypi.org/project/govern/" not in text


def test_default_package_is_where_this_govern_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A distribution installed from git, as pip records it (PEP 610), ahead on sys.path.
    info = tmp_path / "govern_social-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: govern-social\nVersion: 0.1.0\n")
    url = "https://git.example.org/it/govern"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (info / "direct_url.json").write_text(
        json.dumps({"url": url, "vcs_info": {"vcs": "git", "commit_id": commit}})
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert scaffold.default_package() == f"govern-social @ git+{url}@{commit}"
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "repo")])
    assert result.exit_code == 0, result.output
    workflow = (tmp_path / "repo" / ".github" / "workflows" / "govern.yml").read_text()
    assert f'GOVERN_PACKAGE: "govern-social @ git+{url}@{commit}"' in workflow
    assert "set GOVERN_PACKAGE" not in result.output


def test_a_local_install_scaffolds_the_placeholder_and_says_so(tmp_path: Path) -> None:
    package = scaffold.default_package()
    assert package.startswith("govern-social @ git+")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "repo")])
    assert result.exit_code == 0, result.output
    if scaffold.needs_package(package):
        assert "set GOVERN_PACKAGE" in result.output
    readme = (tmp_path / "repo" / "README.md").read_text()
    assert f'pip install "{package}"' in readme


def test_scaffolded_gitignore_keeps_snapshots_and_hides_exports(tmp_path: Path) -> None:
    import subprocess

    assert CliRunner().invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)

    def ignored(path: str) -> bool:
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=tmp_path, check=False)
        return done.returncode == 0

    assert not ignored("snapshots/facebook.csv")
    assert ignored("logins.csv")
