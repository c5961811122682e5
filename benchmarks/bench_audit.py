#!/usr/bin/env python3
"""Time `govern validate` and `govern audit` against the YAML-load floor.

    python benchmarks/bench_audit.py                       # 10k and 50k accounts, 3 runs
    python benchmarks/bench_audit.py --sizes 10000 --runs 5

For each inventory size (generated once by benchmarks/generate.py, cached in
benchmarks/data/), three commands run as fresh processes, interleaved run by run so that
noise on a shared machine hits them alike, after one unmeasured warm-up each:

  floor     python -c "import yaml_rs; yaml_rs.loads(open(FILE).read())"
  validate  python -m govern validate FILE
  audit     python -m govern audit --inventory FILE --policies DIR --format json
                                   --output /dev/null --fail-on never
  audit-cel the same audit with benchmarks/cel_rules.yaml (five simple custom rules in CEL)
            added to a copy of the pack (leave it out with --no-cel)

Reported: median wall clock (interpreter start included), ratio to the floor of the same
size, the same for CPU time (user + system of the child, from wait4: steadier than the wall
clock when other work shares the cores), growth 50k/10k, and each command's peak RSS
(ru_maxrss of that child, from wait4; the parent never loads an inventory, so its own size
does not leak into the figure).
Targets: audit <= 3x floor and < 1.5 s at 10k accounts; growth 50k/10k <= 5.5x; the
five CEL rules add at most 10% (audit-cel / audit, per run, median <= 1.10).

With --instructions each command also runs once under valgrind's callgrind, which counts
the instructions it executes: the same binary on the same input gives the same count on any
day, however busy the machine. On the shared machine these figures are recorded from, the
wall clock of one command moved by +-30% between runs and by 2.5x between days, so the
targets are also checked on instruction counts (`*_instructions`); wall-clock checks stay.

If govern cannot be imported or a command fails, the error is printed and the rest runs.
Results: a table on stdout and benchmarks/results/audit.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import DEFAULT_AS_OF, cache_path, git_rev  # noqa: E402

REPO = HERE.parent
TARGET_RATIO = 3.0
TARGET_WALL_10K = 1.5
TARGET_GROWTH = 5.5
TARGET_CEL = 1.10  # audit with the five CEL rules of cel_rules.yaml / audit without


def inventory(accounts: int, seed: int, reviews: bool = True) -> Path:
    """Cached inventory path; generated in a child so this process stays small."""
    path = cache_path(accounts, seed, reviews=reviews)
    if not path.exists():
        print(f"generating {path.relative_to(REPO)} ...", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--accounts", str(accounts),
             "--seed", str(seed), "-o", str(path), *([] if reviews else ["--without-reviews"])],
            check=True,
        )  # fmt: skip
    return path


def run(cmd: list[str], timeout: float) -> dict[str, object]:
    """Run cmd once; wall clock, exit status, peak RSS of that child, output tails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, ru = os.wait4(proc.pid, 0)
        timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from reaping again
        out.seek(0)
        err.seek(0)
        return {
            "wall_s": wall,
            "rc": proc.returncode,
            "rss_mb": ru.ru_maxrss / 1024,
            "cpu_s": ru.ru_utime + ru.ru_stime,
            "timed_out": killed.is_set(),
            "stdout_tail": out.read()[-2000:].decode("utf-8", "replace"),
            "stderr_tail": err.read()[-2000:].decode("utf-8", "replace"),
        }


_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(cmd: list[str], timeout: float) -> int | None:
    """Instructions `cmd` executes (callgrind's count), or None without valgrind or when the
    command fails. String hashing is seeded (PYTHONHASHSEED=0): with a random seed, set and
    dict orders vary from run to run, and so does the count, by about 0.5%."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    done = subprocess.run(
        [valgrind, "--tool=callgrind", f"--callgrind-out-file={os.devnull}", *cmd],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=timeout * 60,  # callgrind runs programs about 50 times slower
        check=False,
    )
    found = _COLLECTED.search(done.stderr)
    return int(found[1]) if done.returncode == 0 and found else None


def cel_policies(policies: Path) -> Path:
    """`policies` plus benchmarks/cel_rules.yaml (five simple CEL rules), in a temp dir."""
    target = Path(tempfile.mkdtemp(prefix="govern-bench-cel-")) / "policies"
    shutil.copytree(policies, target, ignore=shutil.ignore_patterns("tests"))
    shutil.copy(HERE / "cel_rules.yaml", target / "cel_rules.yaml")
    return target


def commands(path: Path, policies: Path, cel: Path | None = None) -> dict[str, list[str]]:
    py = sys.executable
    audit = [
        py, "-m", "govern", "audit", "--inventory", str(path), "--policies", str(policies),
        "--format", "json", "--output", os.devnull, "--fail-on", "never",
        # Declarations only: store reads are measured by bench_credentials.py.
        "--offline",
        # The generator's reference date: the same findings on any day.
        "--today", DEFAULT_AS_OF,
    ]  # fmt: skip
    cmds = {
        "floor": [py, "-c", f"import yaml_rs; yaml_rs.loads(open({str(path)!r}).read())"],
        "validate": [py, "-m", "govern", "validate", str(path)],
        "audit": audit,
    }
    if cel is not None:
        # The same audit with five simple custom rules (CEL) added to the pack.
        cmds["audit-cel"] = [*audit[:7], str(cel), *audit[8:]]
    return cmds


def govern_importable() -> str | None:
    """None if `govern.cli.main` imports in a fresh interpreter, else the error."""
    p = subprocess.run(
        [sys.executable, "-c", "import govern.cli.main"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if p.returncode == 0:
        return None
    return (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]


def _err(r: dict[str, object]) -> str:
    tail = str(r["stderr_tail"]).strip() or str(r["stdout_tail"]).strip()
    lines = tail.splitlines()
    return " | ".join(lines[-3:]) if lines else "(no output)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000],
                    help="inventory sizes in accounts (default 10000 50000)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--runs", type=int, default=3, help="measured runs per command (default 3)")
    ap.add_argument("--no-warmup", action="store_true", help="skip the unmeasured first run")
    ap.add_argument("--policies", type=Path, default=REPO / "policies",
                    help="policies directory (default: <repo>/policies)")  # fmt: skip
    ap.add_argument(
        "--no-cel",
        action="store_true",
        help="skip the audit-cel row (the pack plus benchmarks/cel_rules.yaml)",
    )
    ap.add_argument(
        "--without-reviews",
        action="store_true",
        help="the inventory without `reviewed:` (as before issue 13: 10,000 more findings)",
    )
    ap.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions once with valgrind (callgrind): the "
        "deterministic figure (about 5 minutes at 10,000 accounts, commands run in parallel)",
    )
    ap.add_argument("--timeout", type=float, default=600, help="per-run timeout, s (default 600)")
    ap.add_argument("-o", "--output", type=Path, default=HERE / "results" / "audit.json",
                    help="JSON results file (default benchmarks/results/audit.json)")  # fmt: skip
    args = ap.parse_args(argv)

    started = dt.datetime.now(dt.UTC)
    load_at_start, rev = os.getloadavg(), git_rev(HERE.parent)
    print(
        f"python {platform.python_version()}; {os.cpu_count()} CPUs; "
        f"loadavg {os.getloadavg()[0]:.2f}; policies {args.policies}",
        flush=True,
    )
    # Bytecode as an installed package has it (pip compiles at install): a stale or missing
    # .pyc under PYTHONDONTWRITEBYTECODE=1 would recompile govern's sources in every run.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "govern")],
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )
    problem = govern_importable()
    if problem:
        print(f"!! govern is not importable ({problem}); measuring the floor only", flush=True)
    elif not args.policies.is_dir():
        print(f"!! policies directory {args.policies} does not exist; audit will likely fail")

    results: dict[str, dict[str, dict[str, object]]] = {}
    for size in args.sizes:
        path = inventory(size, args.seed, reviews=not args.without_reviews)
        cmds = commands(path, args.policies, None if args.no_cel else cel_policies(args.policies))
        if problem:
            cmds = {"floor": cmds["floor"]}
        mb = path.stat().st_size / 1e6
        print(f"\n== {size} accounts ({path.name}, {mb:.1f} MB)", flush=True)
        per: dict[str, list[dict[str, object]]] = {name: [] for name in cmds}
        broken: dict[str, str] = {}
        for i in range(args.runs + (0 if args.no_warmup else 1)):
            for name, cmd in cmds.items():
                if name in broken:
                    continue
                r = run(cmd, args.timeout)
                if r["rc"] != 0:
                    why = "timed out" if r["timed_out"] else f"exit {r['rc']}"
                    broken[name] = f"{why}: {_err(r)}"
                    print(f"  {name:9} FAILED ({broken[name]})", flush=True)
                    continue
                tag = "warm-up" if i == 0 and not args.no_warmup else f"run {len(per[name]) + 1}"
                print(
                    f"  {name:9} {tag:8} {r['wall_s']:7.3f} s  {r['rss_mb']:7.1f} MB"
                    f"  cpu {r['cpu_s']:6.3f} s",
                    flush=True,
                )
                if tag != "warm-up":
                    per[name].append(r)
        res: dict[str, dict[str, object]] = {}
        for name in cmds:
            if name in broken:
                res[name] = {"error": broken[name], "command": cmds[name]}
                continue
            walls = [float(r["wall_s"]) for r in per[name]]  # type: ignore[arg-type]
            cpus = [float(r["cpu_s"]) for r in per[name]]  # type: ignore[arg-type]
            res[name] = {
                "wall_s": round(statistics.median(walls), 4),
                "wall_runs_s": [round(w, 4) for w in walls],
                "cpu_s": round(statistics.median(cpus), 4),
                "cpu_runs_s": [round(c, 4) for c in cpus],
                "peak_rss_mb": round(max(float(r["rss_mb"]) for r in per[name]), 1),  # type: ignore[arg-type]
                "command": cmds[name],
            }
        if args.instructions:
            names = [name for name in cmds if "wall_s" in res[name]]
            print(f"  counting instructions of {', '.join(names)} ...", flush=True)
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                jobs = [pool.submit(instructions, cmds[name], args.timeout) for name in names]
                counts = {name: job.result() for name, job in zip(names, jobs, strict=True)}
            for name, count in counts.items():
                if count is not None:
                    res[name]["instructions"] = count
                    print(f"  {name:9} {count / 1e6:12,.0f} M instructions", flush=True)
        floor = res.get("floor", {}).get("wall_s")
        floor_cpu = res.get("floor", {}).get("cpu_s")
        for r in res.values():
            if floor and "wall_s" in r:
                r["ratio_to_floor"] = round(float(r["wall_s"]) / float(floor), 2)  # type: ignore[arg-type]
            if floor_cpu and "cpu_s" in r:
                r["cpu_ratio_to_floor"] = round(float(r["cpu_s"]) / float(floor_cpu), 2)  # type: ignore[arg-type]
            floor_ins = res.get("floor", {}).get("instructions")
            if floor_ins and "instructions" in r:
                r["instructions_ratio_to_floor"] = round(int(r["instructions"]) / int(floor_ins), 3)  # type: ignore[call-overload]
        results[str(size)] = res

    # Table -------------------------------------------------------------------------------
    print(
        f"\n{'accounts':>8} {'command':9} {'wall (s)':>9} {'x floor':>8} {'peak RSS':>10}"
        f" {'CPU (s)':>8} {'x floor':>8}"
    )
    print("-" * 68)
    for size, res in results.items():
        for name, r in res.items():
            if "wall_s" in r:
                ratio = f"{r['ratio_to_floor']:.2f}x" if "ratio_to_floor" in r else "-"
                cpu_ratio = f"{r['cpu_ratio_to_floor']:.2f}x" if "cpu_ratio_to_floor" in r else "-"
                print(
                    f"{size:>8} {name:9} {r['wall_s']:9.3f} {ratio:>8} {r['peak_rss_mb']:7.0f} MB"
                    f" {r['cpu_s']:8.3f} {cpu_ratio:>8}"
                )
            else:
                print(f"{size:>8} {name:9} ERROR: {str(r['error'])[:200]}")
    growth: dict[str, float] = {}
    sizes = [str(s) for s in args.sizes]
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        print(f"\ngrowth {hi}/{lo}:")
        for name in results[lo]:
            a, b = results[lo].get(name, {}), results[hi].get(name, {})
            if "wall_s" in a and "wall_s" in b:
                growth[name] = round(float(b["wall_s"]) / float(a["wall_s"]), 2)  # type: ignore[arg-type]
                print(f"  {name:9} {growth[name]:.2f}x")

    # Targets (only where the figures exist) ----------------------------------------------
    checks: dict[str, dict[str, object]] = {}
    ten = results.get("10000", {}).get("audit", {})
    if "wall_s" in ten:
        checks["audit_10k_ratio_to_floor"] = {
            "value": ten.get("ratio_to_floor"), "target": f"<= {TARGET_RATIO}",
            "ok": float(ten.get("ratio_to_floor", 1e9)) <= TARGET_RATIO,  # type: ignore[arg-type]
        }  # fmt: skip
        checks["audit_10k_wall_s"] = {
            "value": ten["wall_s"], "target": f"< {TARGET_WALL_10K}",
            "ok": float(ten["wall_s"]) < TARGET_WALL_10K,  # type: ignore[arg-type]
        }  # fmt: skip
    cel = results.get("10000", {}).get("audit-cel", {})
    if "wall_s" in ten and "wall_s" in cel:
        # Paired per run (the runs are interleaved): the median of audit-cel / audit.
        pairs = [
            c / a
            for a, c in zip(ten["wall_runs_s"], cel["wall_runs_s"], strict=False)  # type: ignore[call-overload]
        ]
        cpu_pairs = [
            c / a
            for a, c in zip(ten["cpu_runs_s"], cel["cpu_runs_s"], strict=False)  # type: ignore[call-overload]
        ]
        checks["cel_pack_10k_over_audit"] = {
            "value": round(statistics.median(pairs), 3),
            "target": f"<= {TARGET_CEL}",
            "ok": statistics.median(pairs) <= TARGET_CEL,
            "per_run": [round(p, 3) for p in pairs],
            "cpu_median": round(statistics.median(cpu_pairs), 3),
            "cpu_per_run": [round(p, 3) for p in cpu_pairs],
        }
    if "instructions_ratio_to_floor" in ten:
        value = float(ten["instructions_ratio_to_floor"])  # type: ignore[arg-type]
        checks["audit_10k_ratio_to_floor_instructions"] = {
            "value": value, "target": f"<= {TARGET_RATIO}", "ok": value <= TARGET_RATIO,
        }  # fmt: skip
    if "instructions" in ten and "instructions" in cel:
        value = round(int(cel["instructions"]) / int(ten["instructions"]), 3)  # type: ignore[call-overload]
        checks["cel_pack_10k_over_audit_instructions"] = {
            "value": value, "target": f"<= {TARGET_CEL}", "ok": value <= TARGET_CEL,
        }  # fmt: skip
    if "audit" in growth and sizes[0] == "10000" and sizes[-1] == "50000":
        checks["audit_growth_50k_10k"] = {
            "value": growth["audit"], "target": f"<= {TARGET_GROWTH}",
            "ok": growth["audit"] <= TARGET_GROWTH,
        }  # fmt: skip
    if checks:
        print("\ntargets:")
        for k, c in checks.items():
            verdict = "OK" if c["ok"] else "MISS"
            print(f"  {k:37} {c['value']!s:>8}  target {c['target']:7} {verdict}")

    doc = {
        "benchmark": "audit",
        "started_utc": started.isoformat(timespec="seconds"),
        "git": rev,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": load_at_start,
            "loadavg_at_end": os.getloadavg(),
        },
        "seed": args.seed,
        "inventory_reviews": not args.without_reviews,
        "runs": args.runs,
        "govern_import_error": problem,
        "method": "median wall clock of fresh processes incl. interpreter start, interleaved "
        "per run after one warm-up; peak_rss_mb: ru_maxrss of each child via wait4; "
        "instructions (with --instructions): callgrind's count of one run of each",
        "results": results,
        "growth": growth,
        "targets": checks,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(f".{args.output.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, args.output)
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
