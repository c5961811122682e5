"""Property tests: whatever the bytes, `govern validate` exits 0 or 2 with positioned
problems, never an uncaught exception."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.cli.main import cli
from govern.errors import InputError

from .samples import BASE, load

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
POSITION = re.compile(r"^error: (.+?):(\d+):(\d+): ", re.M)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fuzz")
    (directory / "policies").mkdir()
    return directory


def check(workdir: Path, content: bytes) -> None:
    path = workdir / "inventory.yaml"
    path.write_bytes(content)
    # The API: only InputError, and every problem is positioned.
    try:
        load(path)
    except InputError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.line >= 1 and problem.column >= 1, problem
            assert problem.message
        api_failed = True
    else:
        api_failed = False
    # The CLI: exit 0 or 2, a message with path:line:column, never a traceback.
    result = CliRunner().invoke(
        cli, ["validate", str(path), "--policies", str(workdir / "policies")]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in output and "internal error" not in output, output
    if api_failed:
        assert result.exit_code == 2, output
        first = POSITION.search(output)
        assert first is not None, output
        assert first[1] == str(path) and int(first[2]) >= 1 and int(first[3]) >= 1
    else:
        assert result.exit_code == 0, output


@FUZZ
@given(st.text(max_size=400))
def test_random_text(workdir: Path, text: str) -> None:
    check(workdir, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(workdir: Path, content: bytes) -> None:
    check(workdir, content)


YAMLISH = st.sampled_from(
    [
        ":",
        "-",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "#",
        "&a ",
        "*a",
        "!",
        "|",
        ">",
        "'",
        '"',
        "?",
        "\t",
        "\n",
        "  ",
        "\ufeff",
        "\x00",
        "\x85",
        "%",
        "@",
        "`",
        "---\n",
        "...\n",
        "~",
        "null",
        "<<: ",
        "ü",
    ]
)
SCALARS = st.one_of(
    st.sampled_from(
        [
            "",
            "~",
            "null",
            "true",
            "0x1F",
            "1e9",
            "2026-02-30",
            "2026-13-01",
            "[]",
            "{}",
            "[C]",
            "-1",
            "owner",
            "facebok",
            "alice",
            "bob",
            "yes",
            "'unterminated",
            '"x',
            "*nowhere",
            "&anchor v",
            "|",
            ">-",
        ]
    ),
    st.text(max_size=12),
    st.integers().map(str),
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = BASE.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "swap", "insert", "indent", "dedent", "scalar", "truncate"]
            )
        )
        line = lines[i]
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], line
        elif op == "insert":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(YAMLISH) + line[at:]
        elif op == "indent":
            lines[i] = draw(st.sampled_from([" ", "  ", "\t", "    "])) + line
        elif op == "dedent":
            lines[i] = line[draw(st.integers(1, 3)) :] if line.startswith(" ") else line
        elif op == "scalar" and ": " in line:
            lines[i] = line.split(": ", 1)[0] + ": " + draw(SCALARS) + "\n"
        elif op == "truncate":
            lines = lines[:i]
    return "".join(lines)


@FUZZ
@given(mutated())
def test_mutated_inventory(workdir: Path, text: str) -> None:
    check(workdir, text.encode("utf-8", "surrogatepass"))
