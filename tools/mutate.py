"""Mutation testing for govern: mechanical mutants, each run against the tests that execute it.

    nice -n 10 python tools/mutate.py --module 'govern/rules/*.py' --tests tests/rules

Why a runner of our own rather than mutmut 3: many tests start `govern` as a subprocess
(tests/subprocess_cli.py). mutmut 3 records which tests reach a mutant from inside the pytest
process only, so the mutants that only a subprocess reaches are reported "no tests" and never run
(docs/mutation.md shows the check). Here every mutant is written into a copy of the repository
and the tests run with PYTHONPATH on that copy, so in-process imports and `govern` subprocesses
(which inherit the environment) both run the mutated code; one coverage pass, started in every
Python process of the copy by a sitecustomize hook, tells which tests execute which line.

Mutants (operator names in the ids):
  cmp-negate     a comparison flipped: < >=, > <=, == !=, in / not in, is / is not
  cmp-boundary   a boundary moved: < <=, > >=
  bool-swap      `and` / `or` swapped
  cond-negate    an if / while / conditional-expression / comprehension condition negated
  const-incr     an integer constant moved by one; const-flip: True / False swapped
  delete-return, delete-raise, delete-continue, delete-break, delete-call, delete-yield:
                 the statement replaced by `pass`
A mutant's id is stable while its line is: `path:line:column:operator` (with `#2`, `#3` for
several mutants of one operator at one place). A line ending in `# pragma: no mutate` is skipped.

Options: see `python tools/mutate.py --help`. Standard library, PyYAML and coverage only.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import copy
import dataclasses
import datetime as dt
import fnmatch
import glob
import json
import os
import random
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EQUIVALENT = "tools/mutation-equivalent.yaml"
NO_MUTATE = "# pragma: no mutate"

NEGATED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BOUNDARY: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
}
DELETED: dict[type[ast.stmt], str] = {
    ast.Return: "delete-return",
    ast.Raise: "delete-raise",
    ast.Continue: "delete-continue",
    ast.Break: "delete-break",
}


@dataclasses.dataclass(frozen=True)
class Mutant:
    module: str  # path relative to the root, with forward slashes
    line: int
    col: int
    end_line: int
    end_col: int  # byte offsets, as the ast gives them
    operator: str
    replacement: str
    original: str
    id: str = ""
    module_level: bool = False

    @property
    def lines(self) -> range:
        return range(self.line, self.end_line + 1)

    def describe(self) -> str:
        before = " ".join(self.original.split())
        after = " ".join(self.replacement.split())
        if len(before) > 70:
            before = before[:67] + "..."
        if len(after) > 70:
            after = after[:67] + "..."
        return f"{self.operator}: `{before}` -> `{after}`"

    def apply(self, source: bytes) -> bytes:
        lines = source.splitlines(keepends=True)
        start = sum(len(x) for x in lines[: self.line - 1]) + self.col
        end = sum(len(x) for x in lines[: self.end_line - 1]) + self.end_col
        return source[:start] + self.replacement.encode() + source[end:]


# ---------------------------------------------------------------------------------------------
# Mutant generation


def _span(node: ast.AST) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) of a node, columns in bytes of UTF-8."""
    where: tuple[int, int, int, int] = (
        node.lineno,  # type: ignore[attr-defined]
        node.col_offset,  # type: ignore[attr-defined]
        node.end_lineno,  # type: ignore[attr-defined]
        node.end_col_offset,  # type: ignore[attr-defined]
    )
    return where


def _segment(lines: list[bytes], node: ast.AST) -> str:
    line, col, end_line, end_col = _span(node)
    if line == end_line:
        return lines[line - 1][col:end_col].decode()
    parts = [lines[line - 1][col:], *lines[line : end_line - 1], lines[end_line - 1][:end_col]]
    return b"".join(parts).decode()


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes not to mutate: docstrings, annotations, `if TYPE_CHECKING:` blocks,
    `__all__`."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip(node)
        elif isinstance(node, ast.AnnAssign | ast.arg):
            skip(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip(node.returns)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            skip(node)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                skip(body[0])
    return skipped


def _function_lines(tree: ast.Module) -> set[int]:
    """Lines inside a function body (run when called, not when imported)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            body = node.body if isinstance(node.body, list) else [node.body]
            for stmt in body:
                first, _, last, _ = _span(stmt)
                inside.update(range(first, last + 1))
    return inside


def generate(root: Path, module: str) -> list[Mutant]:
    """Every mutant of `module` (a path relative to `root`), in source order, ids stable."""
    source = (root / module).read_bytes()
    tree = ast.parse(source, filename=module)
    lines = source.splitlines(keepends=True)
    skipped = _skipped_nodes(tree)
    in_function = _function_lines(tree)
    found: list[Mutant] = []

    def add(node: ast.AST, operator: str, replacement: str) -> None:
        line, col, end_line, end_col = _span(node)
        if lines[line - 1].rstrip().endswith(NO_MUTATE.encode()):
            return
        found.append(
            Mutant(
                module=module,
                line=line,
                col=col,
                end_line=end_line,
                end_col=end_col,
                operator=operator,
                replacement=replacement,
                original=_segment(lines, node),
                module_level=line not in in_function,
            )
        )

    def negate(test: ast.expr) -> None:
        if id(test) in skipped:
            return
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            add(test, "cond-negate", f"({_segment(lines, test.operand)})")
        else:
            add(test, "cond-negate", f"(not ({_segment(lines, test)}))")

    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for table, name in ((NEGATED, "cmp-negate"), (BOUNDARY, "cmp-boundary")):
                    other = table.get(type(op))
                    if other is None:
                        continue
                    changed = copy.deepcopy(node)
                    changed.ops[i] = other()
                    add(node, name, f"({ast.unparse(changed)})")
        elif isinstance(node, ast.BoolOp):
            swapped = copy.deepcopy(node)
            swapped.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            add(node, "bool-swap", f"({ast.unparse(swapped)})")
        elif isinstance(node, ast.If | ast.While | ast.IfExp):
            negate(node.test)
        elif isinstance(node, ast.comprehension):
            for test in node.ifs:
                negate(test)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                add(node, "const-flip", str(not node.value))
            elif isinstance(node.value, int):
                add(node, "const-incr", str(node.value + 1))
        elif isinstance(node, ast.Return | ast.Raise | ast.Continue | ast.Break):
            add(node, DELETED[type(node)], "pass")
        elif isinstance(node, ast.Expr):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call):
                add(node, "delete-call", "pass")
            elif isinstance(value, ast.Yield | ast.YieldFrom):
                add(node, "delete-yield", "pass")

    found.sort(key=lambda m: (m.line, m.col, m.operator, m.replacement))
    result: list[Mutant] = []
    seen: dict[str, int] = {}
    for mutant in found:
        try:
            ast.parse(mutant.apply(source))
        except SyntaxError:
            continue
        base = f"{module}:{mutant.line}:{mutant.col}:{mutant.operator}"
        seen[base] = seen.get(base, 0) + 1
        ident = base if seen[base] == 1 else f"{base}#{seen[base]}"
        result.append(dataclasses.replace(mutant, id=ident))
    return result


# ---------------------------------------------------------------------------------------------
# Copies of the repository, and the coverage pass

SITECUSTOMIZE = '''\
"""tools/mutate.py: coverage in every Python process of the copy, context = the current test."""
import os

if os.environ.get("GOVERN_MUT_COVERAGE"):
    try:
        import coverage
    except ImportError:
        pass
    else:
        import atexit

        _cov = coverage.Coverage(
            data_file=os.environ["GOVERN_MUT_COVERAGE"],
            data_suffix=True,
            config_file=False,
            include=os.environ["GOVERN_MUT_INCLUDE"].split(os.pathsep),
            context=os.environ.get("GOVERN_MUT_TEST", ""),
        )
        _cov.start()

        def _save():
            _cov.stop()
            _cov.save()

        atexit.register(_save)
'''

PLUGIN = '''\
"""tools/mutate.py: a pytest plugin naming the running test for the coverage hook."""
import json
import os
import time

import pytest

_durations = {}
_failed = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    os.environ["GOVERN_MUT_TEST"] = item.nodeid
    cov = None
    try:
        import coverage

        cov = coverage.Coverage.current()
    except ImportError:
        pass
    if cov is not None:
        cov.switch_context(item.nodeid)
    started = time.perf_counter()
    yield
    _durations[item.nodeid] = time.perf_counter() - started
    if cov is not None:
        cov.switch_context("")
    os.environ.pop("GOVERN_MUT_TEST", None)


def pytest_runtest_logreport(report):
    if report.failed and report.nodeid not in _failed:
        _failed.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("GOVERN_MUT_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump({"durations": _durations, "failed": _failed}, out)
'''

DISCOVER = """\
import importlib, importlib.metadata, json, os, pkgutil, sys
import pytest
for ep in importlib.metadata.entry_points(group="pytest11"):
    try:
        ep.load()
    except Exception:
        pass
here = [os.path.realpath(p) for p in os.environ["GOVERN_MUT_HERE"].split(os.pathsep)]
for package in os.environ["GOVERN_MUT_PACKAGES"].split(os.pathsep):
    try:
        root = importlib.import_module(package)
    except Exception:
        continue
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), package + "."):
        try:
            importlib.import_module(info.name)
        except BaseException:
            pass
outside = []
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if name == "__main__" or path is None:
        continue
    if not any(os.path.realpath(path).startswith(h + os.sep) for h in here):
        outside.append(name)
print(json.dumps(sorted(outside)))
"""

FORKSERVER = """\
# tools/mutate.py: third-party modules imported once, a forked pytest per mutant.
import importlib, json, os, sys

for _name in json.loads(os.environ.pop("GOVERN_MUT_PRELOAD")):
    try:
        importlib.import_module(_name)
    except BaseException:
        pass
import pytest

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        out = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        try:
            code = pytest.main(request["args"])
        except SystemExit as stop:
            code = stop.code
        except BaseException:
            code = 3
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(int(code) if isinstance(code, int) else 3)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)
"""

SKIP_TOP = {".venv", "venv", "node_modules", "mutants", ".git"}


def repository_files(root: Path) -> list[str]:
    """The files a fresh clone has, plus new files not yet committed (not the ignored ones)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"{root}: not a git checkout ({error})")
    names = [n for n in listed.split("\0") if n]
    return [
        n
        for n in names
        if n.split("/")[0] not in SKIP_TOP and "__pycache__" not in n and (root / n).is_file()
    ]


class Workspace:
    """A copy of the repository where one mutant at a time is written, then undone."""

    def __init__(self, root: Path, files: Sequence[str], base: Path, name: str) -> None:
        self.root = base / name
        self.hooks = base / f"{name}-hooks"
        for rel in files:
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, target, follow_symlinks=False)
        self.hooks.mkdir()
        (self.hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
        (self.hooks / "govern_mut_plugin.py").write_text(PLUGIN)
        (self.hooks / "govern_mut_forkserver.py").write_text(FORKSERVER)
        self.stamp = 0
        self.server: subprocess.Popen[bytes] | None = None

    def preload(self, packages: Sequence[str]) -> list[str]:
        """The modules from outside the copy that importing `packages` (and pytest with its
        plugins) loads: what the fork server imports once."""
        env = self.env(
            GOVERN_MUT_HERE=os.pathsep.join([str(self.root), str(self.hooks)]),
            GOVERN_MUT_PACKAGES=os.pathsep.join(packages),
        )
        done = subprocess.run(
            [sys.executable, "-c", DISCOVER], cwd=self.root, env=env, capture_output=True
        )
        if done.returncode != 0:
            return []
        names: list[str] = json.loads(done.stdout)
        return names

    def start_server(self, preload: Sequence[str]) -> None:
        self.server = subprocess.Popen(
            [sys.executable, str(self.hooks / "govern_mut_forkserver.py")],
            cwd=self.root,
            env=self.env(GOVERN_MUT_PRELOAD=json.dumps(list(preload))),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def stop_server(self) -> None:
        if self.server is not None and self.server.stdin is not None:
            self.server.stdin.close()
            self.server.wait()
            self.server = None

    def pytest(self, args: Sequence[str], timeout: float) -> tuple[int | None, str]:
        """Run pytest with `args` in the copy: exit code (None: timed out) and its output."""
        log = self.hooks / "mutant.log"
        server = self.server
        if server is None or server.stdin is None or server.stdout is None:
            process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *args],
                cwd=self.root,
                env=self.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                printed, _ = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                return None, ""
            return process.returncode, printed.decode(errors="replace")
        deadline = time.monotonic() + timeout
        server.stdin.write(json.dumps({"args": list(args), "log": str(log)}).encode() + b"\n")
        server.stdin.flush()
        pid = json.loads(server.stdout.readline())["pid"]
        timed_out = False
        while True:
            ready, _, _ = select.select(
                [server.stdout], [], [], max(0.0, deadline - time.monotonic())
            )
            if ready:
                break
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + 3600
        code = json.loads(server.stdout.readline())["exit"]
        output = log.read_text(errors="replace") if log.exists() else ""
        return (None if timed_out else code), output

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERN_MUT_")}
        for name in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "COVERAGE_PROCESS_START"):
            env.pop(name, None)
        paths = [str(self.root), str(self.hooks)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env.update(extra)
        return env

    def write(self, module: str, content: bytes, original_mtime: float) -> None:
        """Write `content`; a fresh modification time each time, so that no stale .pyc of an
        earlier mutant (same size, same second) is ever taken for it."""
        path = self.root / module
        path.write_bytes(content)
        self.stamp += 1
        stamp = int(original_mtime) + 10 + self.stamp
        os.utime(path, (stamp, stamp))

    def restore(self, module: str, content: bytes, original_mtime: float) -> None:
        path = self.root / module
        path.write_bytes(content)
        os.utime(path, (original_mtime, original_mtime))


def pytest_command(tests: Sequence[str], *extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, *tests]


@dataclasses.dataclass
class CoverageMap:
    by_line: dict[str, dict[int, set[str]]]  # module -> line -> test ids
    durations: dict[str, float]
    failed: list[str]

    def tests_for(self, mutant: Mutant) -> set[str]:
        lines = self.by_line.get(mutant.module, {})
        if mutant.module_level:
            # Import-time code (constants, defaults, decorators): every test that runs the module.
            return set().union(*lines.values()) if lines else set()
        found: set[str] = set()
        for line in mutant.lines:
            found |= lines.get(line, set())
        return found


def coverage_pass(space: Workspace, modules: Sequence[str], tests: Sequence[str]) -> CoverageMap:
    data_dir = space.hooks / "coverage"
    data_dir.mkdir(exist_ok=True)
    report = space.hooks / "report.json"
    include = [str(space.root / m) for m in modules]
    env = space.env(
        GOVERN_MUT_COVERAGE=str(data_dir / "data"),
        GOVERN_MUT_INCLUDE=os.pathsep.join(include),
        GOVERN_MUT_REPORT=str(report),
    )
    command = pytest_command(tests, "-p", "govern_mut_plugin")
    print(f"coverage pass: {shlex.join(command[1:])}", file=sys.stderr, flush=True)
    started = time.monotonic()
    done = subprocess.run(command, cwd=space.root, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1) or not report.exists():
        sys.exit(f"the coverage pass failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    print(f"coverage pass: {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    outcome = json.loads(report.read_text())
    import coverage  # the test extra; imported here so that --list works without it

    by_line: dict[str, dict[int, set[str]]] = {m: {} for m in modules}
    absolute = {str(space.root / m): m for m in modules}
    for data_file in data_dir.iterdir():
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        for measured in data.measured_files():
            module = absolute.get(measured)
            if module is None:
                continue
            for line, contexts in data.contexts_by_lineno(measured).items():
                named = {c for c in contexts if c}
                if named:
                    by_line[module].setdefault(line, set()).update(named)
    failed = list(outcome["failed"])
    if failed:
        print(
            "these tests fail without any mutant and are left out:\n  " + "\n  ".join(failed),
            file=sys.stderr,
        )
        for lines in by_line.values():
            for ids in lines.values():
                ids.difference_update(failed)
    return CoverageMap(by_line, outcome["durations"], failed)


# ---------------------------------------------------------------------------------------------
# Running mutants


@dataclasses.dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, timeout, survived, no-tests, error, equivalent
    seconds: float = 0.0
    tests: int = 0
    detail: str = ""


def run_mutant(
    space: Workspace,
    mutant: Mutant,
    tests: Sequence[str],
    timeout: float,
    originals: dict[str, tuple[bytes, float]],
) -> Outcome:
    content, mtime = originals[mutant.module]
    space.write(mutant.module, mutant.apply(content), mtime)
    started = time.monotonic()
    try:
        args = pytest_command(tests, "-x", "--no-header", "-p", "no:randomly")[3:]
        code, output = space.pytest(args, timeout)
    finally:
        space.restore(mutant.module, content, mtime)
    seconds = time.monotonic() - started
    if code is None:
        return Outcome(mutant, "timeout", seconds, len(tests))
    if code == 0:
        return Outcome(mutant, "survived", seconds, len(tests))
    if code in (1, 2, 3):  # tests failed, interrupted (import broken), internal error
        return Outcome(mutant, "killed", seconds, len(tests))
    tail = output[-800:]
    return Outcome(mutant, "error", seconds, len(tests), f"pytest exit {code}: {tail}")


def load_equivalent(path: Path | None) -> dict[str, str]:
    if path is None or not path.exists():
        return {}
    import yaml

    entries = yaml.safe_load(path.read_text()) or []
    if not isinstance(entries, list):
        sys.exit(f"{path}: expected a list of {{id, reason}} entries")
    result: dict[str, str] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("reason"):
            sys.exit(f"{path}: entry {number}: needs an `id` and a `reason`")
        result[str(entry["id"])] = str(entry["reason"])
    return result


def expand_modules(root: Path, patterns: Sequence[str]) -> list[str]:
    modules: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
        matches = [m for m in matches if m.endswith(".py") and (root / m).is_file()]
        if not matches:
            sys.exit(f"--module {pattern}: no Python file matches (relative to {root})")
        for match in matches:
            rel = Path(match).as_posix()
            if rel not in modules:
                modules.append(rel)
    return modules


def revision(root: Path) -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import git_rev  # type: ignore[import-not-found]  # the benchmarks' own

    rev: str | None = git_rev(root)
    return rev or "unknown"


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    count = {s: 0 for s in ("killed", "timeout", "survived", "no-tests", "error", "equivalent")}
    for outcome in outcomes:
        count[outcome.status] += 1
    counted = len(outcomes) - count["equivalent"]
    killed = count["killed"] + count["timeout"]
    return {
        "mutants": len(outcomes),
        "equivalent": count["equivalent"],
        "killed": killed,
        "timeout": count["timeout"],
        "survived": count["survived"],
        "no_tests": count["no-tests"],
        "errors": count["error"],
        "score": round(100 * killed / counted, 1) if counted else 100.0,
    }


def table(rows: Sequence[tuple[str, dict[str, Any]]]) -> str:
    head = ("module", "mutants", "killed", "survived", "no tests", "equiv.", "score")
    body = [
        (
            name,
            str(s["mutants"]),
            str(s["killed"]),
            str(s["survived"]),
            str(s["no_tests"]),
            str(s["equivalent"]),
            f"{s['score']:.1f}%",
        )
        for name, s in rows
    ]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def fmt(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells)

    return "\n".join([fmt(head), fmt(["-" * w for w in widths]), *map(fmt, body)])


def markdown(
    rows: Sequence[tuple[str, dict[str, Any]]],
    survivors: Sequence[Outcome],
    command: str,
    stamp: str,
    rev: str,
) -> str:
    out = [
        "## Mutation scores",
        "",
        f"`{command}` at {stamp}, revision `{rev}`",
        "",
        "| module | mutants | killed | survived | no tests | equivalent | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in rows:
        out.append(
            f"| {name} | {s['mutants']} | {s['killed']} | {s['survived']} | {s['no_tests']} "
            f"| {s['equivalent']} | {s['score']:.1f}% |"
        )
    if survivors:
        out += ["", f"<details><summary>{len(survivors)} survivors</summary>", ""]
        for o in survivors:
            note = "" if o.status == "survived" else f" ({o.status})"
            mutation = o.mutant.describe().replace("|", "\\|")
            out.append(f"- `{o.mutant.id}` {mutation}{note}")
        out += ["", "</details>"]
    return "\n".join(out) + "\n\n"


def merge_results(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    existing: dict[str, Any] = {}
    if path.exists():
        existing = json.loads(path.read_text())
    modules = existing.get("modules", {})
    modules.update(entries)
    result = {
        "tool": "tools/mutate.py",
        "modules": dict(sorted(modules.items())),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, path)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tools/mutate.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Mutation testing: mechanical mutants of the given modules, each run "
        "against the tests that execute its line (in-process and in `govern` subprocesses).",
        epilog=textwrap.dedent(
            """\
            examples:
              nice -n 10 python tools/mutate.py --module 'govern/rules/*.py' --tests tests/rules
              python tools/mutate.py --module govern/auditlog.py --jobs 2 \\
                  --out benchmarks/results/mutation.json
              python tools/mutate.py --module govern/credentials/filestore.py --sample 130 --seed 1
              python tools/mutate.py --module govern/rules/min_admins.py --list
              python tools/mutate.py --module govern/rules/min_admins.py \\
                  --only govern/rules/min_admins.py:30:11:cmp-negate
            """
        ),
    )
    parser.add_argument(
        "--module",
        action="append",
        required=True,
        metavar="PATH",
        help="a module to mutate, relative to the root; repeatable; globs allowed",
    )
    parser.add_argument(
        "--tests",
        action="append",
        metavar="PATHS",
        help="the tests considered (default: tests); repeatable",
    )
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="parallel workers")
    parser.add_argument("--sample", type=int, metavar="N", help="at most N mutants per module")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of --sample")
    parser.add_argument(
        "--equivalent",
        metavar="FILE",
        help=f"YAML list of {{id, reason}}: mutants that cannot change behaviour, not counted "
        f"(default: {DEFAULT_EQUIVALENT} if present)",
    )
    parser.add_argument("--out", metavar="FILE", help="merge the per-module results into FILE")
    parser.add_argument(
        "--markdown",
        metavar="FILE",
        help="append the table and the survivors as markdown to FILE (e.g. $GITHUB_STEP_SUMMARY)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time per mutant for starting pytest, on top of 5x the selected tests' own time "
        "in the coverage pass; a mutant past it is killed by timeout",
    )
    parser.add_argument(
        "--no-fork",
        action="store_true",
        help="a fresh pytest process per mutant, instead of a fork of one that has already "
        "imported the third-party modules (slower; for a suspected fork problem)",
    )
    parser.add_argument("--only", action="append", metavar="ID", help="run only this mutant id")
    parser.add_argument(
        "--list", action="store_true", help="list the mutants and exit, running nothing"
    )
    parser.add_argument(
        "--root", default=str(ROOT), help="the repository (default: the one holding this file)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    root = Path(args.root).resolve()
    modules = expand_modules(root, args.module)
    tests = args.tests or ["tests"]
    equivalent_path = (
        Path(args.equivalent)
        if args.equivalent
        else (root / DEFAULT_EQUIVALENT if (root / DEFAULT_EQUIVALENT).exists() else None)
    )
    if args.equivalent and not Path(args.equivalent).exists():
        sys.exit(f"--equivalent {args.equivalent}: no such file")
    equivalent = load_equivalent(equivalent_path)

    per_module: dict[str, list[Mutant]] = {}
    for module in modules:
        mutants = generate(root, module)
        if args.only:
            mutants = [m for m in mutants if any(fnmatch.fnmatch(m.id, o) for o in args.only)]
        if args.sample and len(mutants) > args.sample:
            picked = random.Random(f"{args.seed}:{module}").sample(mutants, args.sample)
            mutants = sorted(picked, key=lambda m: (m.line, m.col, m.id))
        per_module[module] = mutants
    if args.list:
        for mutants in per_module.values():
            for m in mutants:
                mark = "  [equivalent]" if m.id in equivalent else ""
                print(f"{m.id}  {m.describe()}{mark}")
        return 0
    total = sum(len(m) for m in per_module.values())
    if not total:
        sys.exit("no mutants (check --module and --only)")
    with contextlib.suppress(OSError):
        os.nice(10)  # the machine is shared: mutation work yields to everything else

    files = repository_files(root)
    originals = {m: ((root / m).read_bytes(), (root / m).stat().st_mtime) for m in modules}
    jobs = max(1, args.jobs)
    started = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="govern-mutate-") as base:
        spaces = [Workspace(root, files, Path(base), f"w{i}") for i in range(jobs)]
        cover = coverage_pass(spaces[0], modules, tests)
        if not args.no_fork:
            packages = sorted({p.split("/")[0].removesuffix(".py") for p in [*modules, *tests]})
            preload = spaces[0].preload(packages)
            for space in spaces:
                space.start_server(preload)
        queue: list[Mutant] = [m for ms in per_module.values() for m in ms]
        outcomes: list[Outcome] = []
        lock = threading.Lock()
        free = list(spaces)

        def work(mutant: Mutant) -> Outcome:
            if mutant.id in equivalent:
                return Outcome(mutant, "equivalent", detail=equivalent[mutant.id])
            selected = sorted(cover.tests_for(mutant), key=lambda t: cover.durations.get(t, 0.0))
            if not selected:
                return Outcome(mutant, "no-tests")
            budget = args.timeout + 5 * sum(cover.durations.get(t, 1.0) for t in selected)
            with lock:
                space = free.pop()
            try:
                return run_mutant(space, mutant, selected, budget, originals)
            finally:
                with lock:
                    free.append(space)

        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for number, outcome in enumerate(pool.map(work, queue), 1):
                outcomes.append(outcome)
                print(
                    f"[{number}/{total}] {outcome.status:<10} {outcome.mutant.id}"
                    f" ({outcome.tests} tests, {outcome.seconds:.1f}s)",
                    file=sys.stderr,
                    flush=True,
                )
        for space in spaces:
            space.stop_server()

    command = "python tools/mutate.py " + shlex.join(
        list(argv) if argv is not None else sys.argv[1:]
    )
    stamp = started.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    rev = revision(root)
    rows: list[tuple[str, dict[str, Any]]] = []
    entries: dict[str, dict[str, Any]] = {}
    for module in modules:
        mine = [o for o in outcomes if o.mutant.module == module]
        summary = summarize(mine)
        rows.append((module, summary))
        entries[module] = {
            **summary,
            "tests": tests,
            "sample": args.sample,
            "seed": args.seed if args.sample else None,
            "command": command,
            "date": stamp,
            "revision": rev,
            "survivors": [
                {
                    "id": o.mutant.id,
                    "status": o.status,
                    "mutation": o.mutant.describe(),
                    **({"detail": o.detail} if o.detail else {}),
                }
                for o in mine
                if o.status in ("survived", "no-tests", "error")
            ],
        }
    if len(rows) > 1:
        rows.append(("total", summarize(outcomes)))
    print()
    print(table(rows))
    survivors = [o for o in outcomes if o.status in ("survived", "no-tests", "error")]
    if survivors:
        print("\nsurvivors (write a test that fails on each, or list it as equivalent):")
        for o in survivors:
            note = "" if o.status == "survived" else f"  [{o.status}]"
            print(f"  {o.mutant.module}:{o.mutant.line}  {o.mutant.describe()}{note}")
            print(f"      id: {o.mutant.id}")
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as out:
            out.write(markdown(rows, survivors, command, stamp, rev))
    if args.out:
        merge_results(Path(args.out), entries)
        print(f"\nresults merged into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
