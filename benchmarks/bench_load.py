#!/usr/bin/env python3
"""Compare YAML loaders on a generated inventory, each in a fresh interpreter.

    python benchmarks/bench_load.py                 # 10,000 accounts, seed 1
    python benchmarks/bench_load.py --accounts 50000 --runs 5

For every loader a child interpreter is started (``sys.executable -c ...``) that imports
the loader, reads the file and parses it. The parent records the child's wall-clock time
(interpreter start included); the child reports its own import, read and parse times and
its peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``). The fast loaders run
``--runs`` times (median reported), the slow pure-Python ones once.

A second part feeds each loader three hostile files (a duplicate key, a "billion laughs"
alias bomb, a syntax error) and records what it does.

Results: a table on stdout and ``benchmarks/results/load.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ensure, git_rev, write_atomic

HERE = Path(__file__).resolve().parent

# name -> (distribution, import statement, parse statement, read mode, slow)
# ``text`` (str) or ``data`` (bytes) holds the file content; the parse result goes to ``doc``.
LOADERS: dict[str, tuple[str | None, str, str, str, bool]] = {
    "interpreter only": (None, "pass", "doc = None", "none", False),
    "yaml_rs.loads": ("yaml-rs", "import yaml_rs", "doc = yaml_rs.loads(text)", "text", False),
    "PyYAML CSafeLoader": (
        "PyYAML",
        "import yaml",
        "doc = yaml.load(text, Loader=yaml.CSafeLoader)",
        "text",
        False,
    ),
    # Same parser with the cyclic GC off during the load: shows how much of CSafeLoader's
    # time is gen-2 collections over the growing object graph.
    "PyYAML CSafeLoader, gc off": (
        "PyYAML",
        "import gc, yaml",
        "gc.disable(); doc = yaml.load(text, Loader=yaml.CSafeLoader); gc.enable()",
        "text",
        False,
    ),
    "ryml parse only": (
        "rapidyaml",
        "import ryml",
        "doc = ryml.parse_in_arena(data)",
        "bytes",
        False,
    ),
    "PyYAML SafeLoader (pure)": (
        "PyYAML",
        "import yaml",
        "doc = yaml.load(text, Loader=yaml.SafeLoader)",
        "text",
        True,
    ),
    "ruamel.yaml rt": (
        "ruamel.yaml",
        "from ruamel.yaml import YAML",
        "doc = YAML(typ='rt').load(text)",
        "text",
        True,
    ),
}

CHILD = """\
import time
_t0 = time.perf_counter()
{imp}
_t1 = time.perf_counter()
path = {path!r}
mode = {mode!r}
text = data = None
if mode == "text":
    with open(path, encoding="utf-8") as f:
        text = f.read()
elif mode == "bytes":
    with open(path, "rb") as f:
        data = f.read()
_t2 = time.perf_counter()
{parse}
_t3 = time.perf_counter()
import json, sys
{peak}
sys.stdout.write("RESULT " + json.dumps({{
    "import_s": _t1 - _t0, "read_s": _t2 - _t1, "parse_s": _t3 - _t2,
    "rss_mb": peak_rss_mb(),
    "type": type(doc).__name__,
}}) + "\\n")
sys.stdout.flush()
import os
os._exit(0)  # skip freeing a large object graph: not part of "load"
"""

# Peak RSS of the child. ru_maxrss survives execve on Linux, so a child spawned by a big
# parent would report the parent's size; VmHWM (per address space) does not, so prefer it.
PEAK = """\
def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

# --- hostile inputs --------------------------------------------------------------------
HOSTILE: dict[str, str] = {
    "duplicate_key": (
        "version: 1\n"
        "organization:\n"
        "  name: Diocese of X\n"
        "  domains: [dioceseofx.org]\n"
        "people:\n"
        "  - id: jdoe\n"
        "    name: Jane Doe\n"
        "    level: C\n"
        "    level: A\n"  # line 9, column 5
        "    status: active\n"
    ),
    "billion_laughs": (
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
            for i in range(8)
        )
        + "people: *i\n"
    ),
    "syntax_error": (
        "version: 1\n"
        "organization:\n"
        "  name: Diocese of X\n"
        "people:\n"
        "  - id: jdoe\n"
        '    name: "Jane Doe\n'  # unterminated quote from line 6, column 11
        "    level: C\n"
        "  - id: frpeter\n"
        "    name: Peter: Smith\n"
        "    level: [C\n"
    ),
}

HOSTILE_CHILD = """\
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
{imp}
def walk(o, budget=[5_000_000]):
    # Count nodes as a validator walking the result would visit them (bounded).
    budget[0] -= 1
    if budget[0] < 0:
        raise OverflowError
    if isinstance(o, dict):
        for k, v in o.items():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
text = open({path!r}, encoding="utf-8").read()
data = text.encode()
t = time.perf_counter()
out = {{}}
try:
    {parse}
    out["outcome"] = "loaded"
    out["result"] = (type(doc).__name__ + " with keys " + repr(list(doc)[:8])
                     if isinstance(doc, dict) else type(doc).__name__)
    {probe}
except MemoryError:
    out["outcome"] = "MemoryError"
except Exception as e:  # noqa: BLE001
    if out.get("outcome") == "loaded":  # the load passed; the follow-up probe failed
        out["outcome"] = "loaded, then failed on use"
    else:
        out["outcome"] = "error"
    out["error_type"] = type(e).__module__ + "." + type(e).__qualname__
    msg = str(e) or str(getattr(e, "msg", "") or "")
    if not msg and hasattr(e, "what"):
        msg = str(e.what())
    out["error"] = msg[:600]
    for a in ("problem_mark", "line", "lineno", "column", "pos"):
        v = getattr(e, a, None)
        if v is not None:
            out[a] = str(v)
out["seconds"] = round(time.perf_counter() - t, 4)
{peak}
out["rss_mb"] = round(peak_rss_mb(), 1)
print("RESULT " + json.dumps(out))
"""


def _version(dist: str | None) -> str | None:
    if dist is None:
        return platform.python_version()
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _child(code: str, timeout: float) -> tuple[float, dict[str, object]]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - t0
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            rep = json.loads(line[7:])
            if proc.stderr.strip():
                rep["stderr"] = proc.stderr.strip()[:400]
            return wall, rep
    err = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return wall, {"failed": err, "returncode": proc.returncode}


def bench_loaders(path: Path, runs: int, slow_runs: int, names: list[str]) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name in names:
        dist, imp, parse, mode, slow = LOADERS[name]
        if dist and _version(dist) is None:
            print(f"  {name:26} skipped: {dist} not installed", flush=True)
            results[name] = {"skipped": f"{dist} not installed"}
            continue
        code = CHILD.format(imp=imp, parse=parse, path=str(path), mode=mode, peak=PEAK)
        n = slow_runs if slow else runs
        walls: list[float] = []
        child: list[dict[str, object]] = []
        for _ in range(n):
            wall, rep = _child(code, timeout=1800)
            if "failed" in rep:
                print(f"  {name:26} FAILED: {rep['failed']}", flush=True)
                results[name] = {"failed": rep["failed"]}
                break
            walls.append(wall)
            child.append(rep)
        else:
            med = statistics.median
            results[name] = {
                "version": _version(dist),
                "runs": n,
                "wall_s": round(med(walls), 4),
                "wall_runs_s": [round(w, 4) for w in walls],
                "import_s": round(med(float(c["import_s"]) for c in child), 4),  # type: ignore[arg-type]
                "read_s": round(med(float(c["read_s"]) for c in child), 4),  # type: ignore[arg-type]
                "parse_s": round(med(float(c["parse_s"]) for c in child), 4),  # type: ignore[arg-type]
                "parse_runs_s": [round(float(c["parse_s"]), 4) for c in child],  # type: ignore[arg-type]
                "peak_rss_mb": round(max(float(c["rss_mb"]) for c in child), 1),  # type: ignore[arg-type]
                "result_type": child[0]["type"],
            }
            r = results[name]
            print(
                f"  {name:26} wall {r['wall_s']:8.3f} s  parse {r['parse_s']:8.3f} s  "
                f"rss {r['peak_rss_mb']:7.1f} MB  (runs {r['wall_runs_s']})",
                flush=True,
            )
    return results


def hostile(names: list[str]) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case, text in HOSTILE.items():
            f = Path(tmp) / f"{case}.yaml"
            f.write_text(text, encoding="utf-8")
            out[case] = {}
            for name in names:
                dist, imp, parse, _, _ = LOADERS[name]
                if dist is None or _version(dist) is None:
                    continue
                code = HOSTILE_CHILD.format(
                    imp=imp, parse=parse, path=str(f), probe=_probe(case, name), peak=PEAK
                )
                try:
                    _, rep = _child(code, timeout=120)
                except subprocess.TimeoutExpired:
                    rep = {"outcome": "timeout (120 s)"}
                out[case][name] = rep
    return out


def _probe(case: str, loader: str) -> str:
    """One statement run after a successful load, recording what the caller would get."""
    if loader.startswith("ryml"):
        if case == "duplicate_key":
            return 'out["emitted"] = ryml.emit_yaml(doc).splitlines()[6:9]'
        if case == "billion_laughs":
            return 'doc.resolve(); out["resolve"] = "finished, %d nodes" % doc.size()'
        return "pass"
    if case == "duplicate_key":
        return 'out["people[0].level"] = doc["people"][0]["level"]'
    if case == "billion_laughs":
        return (
            "try:\n        walk(doc); out['walk'] = 'finished'\n"
            "    except OverflowError:\n"
            "        out['walk'] = 'walking the result passed 5,000,000 nodes (aliases shared)'"
        )
    return "pass"


def _fmt_hostile(rep: dict) -> str:
    if str(rep.get("outcome")).startswith("loaded, then"):
        msg = " ".join(str(rep.get("error", "")).split())
        return f"{rep['outcome']}: {rep.get('error_type')}: {msg[:100]}"
    if rep.get("outcome") == "error":
        msg = " ".join(str(rep.get("error", "")).split())
        return f"{rep.get('error_type')}: {msg[:150]}"
    if rep.get("outcome") == "loaded":
        extra = {k: v for k, v in rep.items() if k not in ("outcome", "result", "seconds")}
        return f"loaded {rep.get('result', '')[:50]}; {extra}"
    return f"{rep.get('outcome') or rep.get('failed')} (exit {rep.get('returncode', 0)})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--accounts", type=int, default=10000, help="inventory size (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each fast loader (default 3)")
    ap.add_argument("--slow-runs", type=int, default=1, help="runs of each slow loader (default 1)")
    ap.add_argument("--skip-slow", action="store_true", help="skip pure SafeLoader and ruamel")
    ap.add_argument("--no-hostile", action="store_true", help="skip the hostile-input checks")
    ap.add_argument(
        "-o",
        "--output",
        default=str(HERE / "results" / "load.json"),
        help="JSON results file (default benchmarks/results/load.json)",
    )
    args = ap.parse_args(argv)

    path = ensure(args.accounts, args.seed, log=print)
    names = [n for n in LOADERS if not (args.skip_slow and LOADERS[n][4])]
    size = path.stat().st_size
    print(
        f"inventory {path.name}: {size / 1e6:.2f} MB; python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; loadavg {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    started = dt.datetime.now(dt.UTC)
    load_at_start, rev = os.getloadavg(), git_rev(HERE.parent)
    res = bench_loaders(path, args.runs, args.slow_runs, names)
    hostile_res = {} if args.no_hostile else hostile(names)

    print()
    print(f"{'loader':26} {'version':>9} {'wall (s)':>9} {'parse (s)':>10} {'peak RSS':>9}")
    print("-" * 67)
    for name, r in res.items():
        if "wall_s" in r:
            print(
                f"{name:26} {r['version']:>9} {r['wall_s']:9.3f} {r['parse_s']:10.3f} "
                f"{r['peak_rss_mb']:6.0f} MB"
                + ("   (1 run)" if r["runs"] == 1 else f"   (median of {r['runs']})")
            )
        else:
            print(f"{name:26} {r.get('skipped') or 'FAILED: ' + str(r.get('failed'))}")
    for case, per in hostile_res.items():
        print(f"\n{case}:")
        for name, rep in per.items():
            print(f"  {name:26} {_fmt_hostile(rep)}")

    doc = {
        "benchmark": "load",
        "started_utc": started.isoformat(timespec="seconds"),
        "git": rev,
        "machine": {
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": load_at_start,
            "loadavg_at_end": os.getloadavg(),
        },
        "inventory": {
            "file": path.name,
            "accounts": args.accounts,
            "seed": args.seed,
            "bytes": size,
        },
        "method": "wall_s: median wall clock of a fresh `python -c` child incl. interpreter "
        "start; parse_s: in-process time of the parse call only; peak_rss_mb: ru_maxrss of "
        "the child (VmHWM from /proc/self/status, "
        "else ru_maxrss)",
        "loaders": res,
        "hostile": hostile_res,
    }
    out = Path(args.output)
    write_atomic(out, json.dumps(doc, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
