"""The inventory edit of `govern revoke`: the splice against the whole-file ruamel round trip.

Times, in one process, what revoke does to inventory.yaml for a person holding N accounts
(N accounts, each with three one-line grants, as in bench_revoke.py; flow-style people):
`InventoryEditor(path)`, `remove_grants`, `set_departed`, `save()` on a fresh copy of the
file, once the normal way (the splice) and once with `force_roundtrip=True` (ruamel loads
and dumps the whole file). Median of --runs each; the two written files must be identical.

    python benchmarks/bench_edit.py                   # 500 accounts, 5 runs
    python benchmarks/bench_edit.py --accounts 2000 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_revoke import inventory  # noqa: E402
from generate import git_rev  # noqa: E402

from govern.inventory.edit import InventoryEditor  # noqa: E402

LEFT_ON = dt.date(2026, 11, 22)


def one_edit(path: Path, text: str, *, force_roundtrip: bool) -> tuple[float, str, str]:
    """(seconds, path taken, text written) for revoke's edit of a fresh copy of `text`."""
    path.write_text(text)
    start = time.perf_counter()
    editor = InventoryEditor(path, force_roundtrip=force_roundtrip)
    editor.remove_grants("volunteer")
    editor.set_departed("volunteer", LEFT_ON)
    editor.save()
    elapsed = time.perf_counter() - start
    return elapsed, editor.last_path or "", path.read_text()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-o", "--output", default=str(ROOT / "benchmarks/results/edit.json"))
    args = parser.parse_args()
    text = inventory(args.accounts)
    path = Path(tempfile.mkdtemp(prefix="govern-bench-edit-")) / "inventory.yaml"
    one_edit(path, text, force_roundtrip=False)  # imports and caches warm, not timed
    results: dict[str, list[float]] = {"splice": [], "roundtrip": []}
    written: dict[str, str] = {}
    for _ in range(args.runs):
        for name, force in (("splice", False), ("roundtrip", True)):
            seconds, taken, written[name] = one_edit(path, text, force_roundtrip=force)
            if taken != name:
                raise SystemExit(f"expected the {name} path, the editor took {taken}")
            results[name].append(seconds)
    if written["splice"] != written["roundtrip"]:
        raise SystemExit("the splice and the round trip wrote different files")
    splice = statistics.median(results["splice"])
    roundtrip = statistics.median(results["roundtrip"])
    lines = text.count("\n")
    print(
        f"revoke's inventory edit, {args.accounts} accounts ({lines} lines), "
        f"median of {args.runs}; identical output"
    )
    print(f"  splice     {splice * 1000:8.1f} ms")
    print(f"  round trip {roundtrip * 1000:8.1f} ms")
    print(f"  round trip / splice: {roundtrip / splice:.0f}x")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "benchmark": "edit",
                "git": git_rev(ROOT),
                "python": platform.python_version(),
                "accounts": args.accounts,
                "lines": lines,
                "runs": args.runs,
                "method": "in-process wall time of InventoryEditor(path) + remove_grants + "
                "set_departed + save() on a fresh copy; median of runs",
                "median_splice_s": round(splice, 4),
                "median_roundtrip_s": round(roundtrip, 4),
                "ratio": round(roundtrip / splice, 1),
                "splice_s": [round(s, 4) for s in results["splice"]],
                "roundtrip_s": [round(s, 4) for s in results["roundtrip"]],
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
