"""`govern drift --live` over 2,000 and 10,000 accounts on GitHub, Meta, Google Business
Profile, LinkedIn and TikTok, against local emulators of their APIs (live_emulators.py: the
test fakes, one process per platform) that add a fixed latency to every request and enforce
a rate limit in each platform's documented style.

    python benchmarks/bench_live_drift.py                       # 2,000 and 10,000 accounts
    python benchmarks/bench_live_drift.py --accounts 500 --runs 1
    python benchmarks/bench_live_drift.py --concurrency 8 --latency 0.02 --limit github=300

Reports, per size: wall time of the govern process against the ideal, its CPU time against
a plain `requests` client doing as many requests (the client's floor: the machine has 2
shared cores and the interpreter lock gives govern at most one), and its peak RSS
(ru_maxrss of that child, from wait4) next to the same process without --live (loading the
same inventory and writing a report), so the memory live reading adds is visible.

The ideal: platforms are read in parallel, each with --concurrency requests in flight, so
the slowest platform sets it: for each platform, the larger of requests x latency /
concurrency and the time its rate limit needs for that many requests (requests / limit x
window), plus the time govern takes to start, load the inventory and write the report
without --live (measured in the same run). Target: within 1.5x of it.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform as host
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import git_rev  # noqa: E402
from live_org import Organization  # noqa: E402

TARGET = 1.5
NAMESPACES = ("github", "meta", "google", "linkedin", "tiktok")
# Requests per 1-second window: each platform's documented limit scaled down so that a run
# takes seconds, and set so that the limit, not only the latency, decides some platforms.
DEFAULT_LIMITS = {"github": 250, "meta": 100, "google": 100, "linkedin": 100, "tiktok": 100}


class Emulator:
    """One platform's emulator in its own process."""

    def __init__(self, namespace: str, accounts: int, latency: float, limit: int) -> None:
        self.namespace = namespace
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "live_emulators.py"),
                namespace,
                "--accounts",
                str(accounts),
                "--latency",
                str(latency),
                "--limit",
                str(limit),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        self.url: str = ready["url"]
        self.token: str = ready["token"]

    def stop(self) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        counts: dict[str, int] = json.loads(self.proc.stdout.readline() or "{}")
        self.proc.wait(timeout=30)
        return counts


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> dict[str, Any]:
    """Run cmd once: wall clock, exit status, peak RSS of that child, stderr tail."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return {
            "wall_s": round(wall, 3),
            "rc": proc.returncode,
            "rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "stderr_tail": err.read()[-1500:].decode("utf-8", "replace"),
        }


RAW_CLIENT = """
import sys, time, requests
url, token, n, pages = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
session = requests.Session()
session.trust_env = False
session.headers.update({"Authorization": "Bearer " + token, "LinkedIn-Version": "202511",
                        "X-Restli-Protocol-Version": "2.0.0"})
cpu = time.process_time()
for i in range(n):
    response = session.get(url + "/rest/organizationAcls", params={
        "q": "organization", "start": 0, "count": 100,
        "organization": "urn:li:organization:%d" % (900000006 + 10 * (i % pages))})
    response.raise_for_status()
    response.json()
print((time.process_time() - cpu) / n)
"""


def raw_cpu_per_request(size: int, env: dict[str, str], count: int = 1000) -> float:
    """CPU seconds one plain `requests.Session` spends per request (sequential, against the
    LinkedIn emulator without latency): the client's floor, whatever govern does."""
    emulator = Emulator("linkedin", size, 0.0, 0)
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                RAW_CLIENT,
                emulator.url,
                emulator.token,
                str(count),
                str(max(1, size // 10)),  # LinkedIn pages in the organization
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        emulator.stop()
    return float(out.strip())


PHASES = """
import datetime as dt, os, resource, sys
def peak():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
from govern.cli._common import load
from govern.drift import collect
from govern.formats import OutputFormat, render
phases = {"start": peak()}
loaded, policy = load(sys.argv[1], None)
phases["inventory loaded"] = peak()
report = collect(loaded, policy.catalog, today=dt.date(2026, 11, 22), snapshots=[],
                 vault=False, env=os.environ, live=True, concurrency=int(sys.argv[2]))
phases["platforms read and compared"] = peak()
text = render(report, OutputFormat("json"))
phases["JSON report rendered"] = peak()
print(phases)
"""


def phases(inventory: Path, env: dict[str, str], concurrency: int) -> dict[str, float]:
    """Peak RSS (MB) after each phase of a live drift, in one child process: which phase
    grows with the number of accounts."""
    out = subprocess.run(
        [sys.executable, "-c", PHASES, str(inventory), str(concurrency)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, float] = ast.literal_eval(out.strip().splitlines()[-1])
    return found


def ideal(
    requests: dict[str, int], latency: float, concurrency: int, limits: dict[str, int]
) -> dict[str, Any]:
    """The ideal time of the platform reads (no CPU, no start-up), two ways:
    - `issue`: all requests x latency / concurrency, or the longest wait the rate limits
      impose (requests / limit of each platform), whichever is longer: the formula of the
      issue, which counts --concurrency requests in flight in all;
    - `per_platform`: govern keeps --concurrency requests in flight per platform, so each
      platform alone takes requests x latency / concurrency or its rate-limit time, and the
      slowest platform sets the pace: the stricter of the two."""
    by_limit = {
        ns: count / limits[ns] if limits.get(ns, 0) > 0 else 0.0 for ns, count in requests.items()
    }
    per_platform = {
        ns: round(max(count * latency / concurrency, by_limit[ns]), 3)
        for ns, count in requests.items()
    }
    issue = max(sum(requests.values()) * latency / concurrency, max(by_limit.values()))
    return {
        "issue_s": round(issue, 3),
        "per_platform_s": round(max(per_platform.values()), 3),
        "platforms_s": per_platform,
    }


def start_emulators(size: int, args: argparse.Namespace) -> dict[str, Emulator]:
    return {ns: Emulator(ns, size, args.latency, args.limits.get(ns, 0)) for ns in NAMESPACES}


def platform_env(env: dict[str, str], emulators: dict[str, Emulator]) -> dict[str, str]:
    found = dict(env)
    for ns, emulator in emulators.items():
        found[f"GOVERN_{ns.upper()}_TOKEN"] = emulator.token
        found[f"GOVERN_{ns.upper()}_API_URL"] = emulator.url
    return found


def bench(size: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    org = Organization(size)
    inventory = work / f"inventory-{size}.yaml"
    inventory.write_text(org.inventory_yaml(), encoding="utf-8")
    requests = org.requests()  # the estimate; the emulators count what was really sent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERN_", "VAULT_"))}
    env.pop("CI", None)
    # A user's interpreter caches bytecode: without this, every run would compile govern and
    # its dependencies again (this machine's shell sets PYTHONDONTWRITEBYTECODE).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    govern = [sys.executable, "-m", "govern", "drift", "--inventory", str(inventory), "--no-vault"]
    runs = []
    for number in range(args.runs):
        memory = None
        if args.phases:  # its own emulators: the timed run's counts stay its own
            emulators = start_emulators(size, args)
            try:
                memory = phases(inventory, platform_env(env, emulators), args.concurrency)
            finally:
                for emulator in emulators.values():
                    emulator.stop()
        emulators = start_emulators(size, args)
        live_env = platform_env(env, emulators)
        report = work / f"drift-{size}.json"
        load = os.getloadavg()[0]
        try:
            live = run(
                [
                    *govern,
                    "--live",
                    "--concurrency",
                    str(args.concurrency),
                    "--format",
                    "json",
                    "--output",
                    str(report),
                    "--fail-on",
                    "never",
                ],
                live_env,
                work,
                args.timeout,
            )
        finally:
            served = {ns: e.stop() for ns, e in emulators.items()}
        offline = run(
            [*govern, "--format", "json", "--output", str(work / "offline.json")],
            env,
            work,
            args.timeout,
        )
        per_request = raw_cpu_per_request(size, env)
        document = json.loads(report.read_text()) if report.exists() else {}
        states = (document.get("coverage") or {}).get("states", {})
        counted: dict[str, int] = {}
        for state in states.values():
            counted[state] = counted.get(state, 0) + 1
        needed = {ns: c.get("served", 0) - c.get("refused", 0) for ns, c in served.items()}
        floors = ideal(needed, args.latency, args.concurrency, args.limits)
        startup = offline["wall_s"]  # start, load the inventory, compare, write the report
        issue, strict = floors["issue_s"] + startup, floors["per_platform_s"] + startup
        entry = {
            "run": number + 1,
            "wall_s": live["wall_s"],
            "rc": live["rc"],
            "cpu_s": live["cpu_s"],
            "ideal_s": round(issue, 3),
            "ratio": round(live["wall_s"] / issue, 3),
            "ideal_per_platform_s": round(strict, 3),
            "ratio_per_platform": round(live["wall_s"] / strict, 3),
            "ideal_detail": floors,
            "requests": needed,
            "refused": {ns: c.get("refused", 0) for ns, c in served.items()},
            # CPU: govern's against a plain requests client doing the same requests, plus
            # the run without --live (start, load, compare, report)
            "cpu_floor_s": round(sum(needed.values()) * per_request + offline["cpu_s"], 2),
            "raw_cpu_per_request_ms": round(per_request * 1000, 3),
            "rss_mb": live["rss_mb"],
            "rss_offline_mb": offline["rss_mb"],
            "rss_live_extra_mb": round(live["rss_mb"] - offline["rss_mb"], 1),
            "offline_wall_s": offline["wall_s"],
            "offline_cpu_s": offline["cpu_s"],
            "states": counted,
            "failures": (document.get("coverage") or {}).get("failures", []),
            "loadavg_at_start": round(load, 2),
            "loadavg_at_end": round(os.getloadavg()[0], 2),
        }
        if memory is not None:
            entry["rss_phases_mb"] = memory
        if live["rc"] not in (0, 1):
            entry["stderr_tail"] = live["stderr_tail"]
        runs.append(entry)
        print(
            f"{size:>6} accounts run {number + 1}: {live['wall_s']:.2f} s, ideal {issue:.2f} s "
            f"(x{entry['ratio']:.2f}; per platform {strict:.2f} s, "
            f"x{entry['ratio_per_platform']:.2f}), cpu {live['cpu_s']:.1f} s "
            f"(plain requests + no --live: {entry['cpu_floor_s']:.1f} s), "
            f"rss {live['rss_mb']:.0f} MB (+{entry['rss_live_extra_mb']:.0f} MB over no "
            f"--live), states {counted}, refused {sum(entry['refused'].values())}, "
            f"load {entry['loadavg_at_start']:.2f}",
            flush=True,
        )
    return {
        "accounts": size,
        "requests": requests,
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "median_ratio": statistics.median(r["ratio"] for r in runs),
        "median_ratio_per_platform": statistics.median(r["ratio_per_platform"] for r in runs),
        "max_rss_mb": max(r["rss_mb"] for r in runs),
        "max_rss_live_extra_mb": max(r["rss_live_extra_mb"] for r in runs),
        "runs": runs,
    }


def _limits(text: str) -> dict[str, int]:
    limits = dict(DEFAULT_LIMITS)
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        if name not in NAMESPACES:
            raise argparse.ArgumentTypeError(f"unknown platform {name!r}")
        limits[name] = int(value)
    return limits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--accounts", type=int, nargs="+", default=[2000, 10000], help="sizes (default 2000 10000)"
    )
    ap.add_argument("--runs", type=int, default=1, help="runs per size (default 1)")
    ap.add_argument("--concurrency", type=int, default=8, help="govern --concurrency (default 8)")
    ap.add_argument("--latency", type=float, default=0.02, help="seconds per request (0.02)")
    ap.add_argument(
        "--limit",
        dest="limits",
        type=_limits,
        default=dict(DEFAULT_LIMITS),
        help="requests per second per platform, e.g. github=300,meta=200 (0: none; defaults "
        + ", ".join(f"{k}={v}" for k, v in DEFAULT_LIMITS.items())
        + ")",
    )
    ap.add_argument("--timeout", type=float, default=600, help="seconds per govern run")
    ap.add_argument(
        "--phases",
        action="store_true",
        help="also measure peak RSS after each phase (inventory loaded, platforms read, "
        "report rendered) in one more child per run",
    )
    ap.add_argument("-o", "--output", default=str(HERE / "results" / "live_drift.json"))
    args = ap.parse_args(argv)
    load_at_start = os.getloadavg()
    print(
        f"{host.node()}: {os.cpu_count()} cpus, loadavg {load_at_start[0]:.2f}; latency "
        f"{args.latency * 1000:.0f} ms, concurrency {args.concurrency}, limits {args.limits}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="govern-bench-live-") as tmp:
        sizes = [bench(size, args, Path(tmp)) for size in args.accounts]
    result = {
        "benchmark": "live_drift",
        "target": TARGET,
        "command": "python "
        + " ".join(["benchmarks/bench_live_drift.py", *(argv or sys.argv[1:])]),
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "limits_per_second": args.limits,
        "sizes": sizes,
        "git": git_rev(ROOT),
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "platform": host.platform(),
            "loadavg_at_start": load_at_start,
            "loadavg_at_end": os.getloadavg(),
        },
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    worst = max(s["median_ratio"] for s in sizes)
    print(f"worst ratio to ideal {worst:.2f} (target {TARGET}); wrote {args.output}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
