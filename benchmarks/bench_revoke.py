"""Revoking a person who holds N shared-login accounts, against a local OpenBao server.

Reports the wall time of `govern revoke PERSON --yes` (a fresh interpreter, as a user runs
it: plan, Vault entity disabled and N group memberships removed, N rotations, the inventory
edit, the audit-log record) next to the floor measured in the same run: the same number of
raw rotations through one `requests.Session` (read the secret, write a new version: the
least a rotation that keeps the username can do), sequentially.

    python benchmarks/bench_revoke.py                 # 500 accounts, 3 runs
    python benchmarks/bench_revoke.py --accounts 100 --runs 1
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from vaultserver import VaultServer  # noqa: E402

from govern.credentials import NewCredential, Secret  # noqa: E402
from govern.credentials.vaultstore import VaultStore  # noqa: E402

TARGET = 1.5


def inventory(n: int) -> str:
    lines = [
        "version: 1",
        "organization: {name: Bench Diocese, domains: [bench.test]}",
        "people:",
        "  - {id: head, name: Head, email: head@bench.test, level: A}",
        "  - {id: second, name: Second, email: second@bench.test, level: C}",
        "  - {id: volunteer, name: Volunteer, email: vol@bench.test, level: C}",
        "entities:",
        "  - {id: parish, name: Parish, head: head}",
        "accounts:",
    ]
    for i in range(n):
        lines += [
            f"  - id: x-{i:04d}",
            "    entity: parish",
            "    platform: x",
            f'    handle: "@parish{i}"',
            "    access:",
            "      - {person: head, role: admin}",
            "      - {person: second, role: admin}",
            "      - {person: volunteer, role: admin}",
            "    credential: {mfa: true, recovery_email: office@bench.test}",
        ]
    return "\n".join(lines) + "\n"


def raw_rotations(server: VaultServer, refs: list[str], *, record: bool) -> float:
    """Sequential rotations through one Session: read the secret, write a new version and,
    with `record`, write who rotated it and why (the custom metadata govern keeps)."""
    session = requests.Session()
    session.headers["X-Vault-Token"] = server.token
    start = time.perf_counter()
    for ref in refs:
        url = f"{server.addr}/v1/govern/data/accounts/{ref}"
        current = session.get(url, timeout=30)
        current.raise_for_status()
        data = dict(current.json()["data"]["data"])
        data["password"] = secrets.token_urlsafe(18)
        session.post(url, json={"data": data}, timeout=30).raise_for_status()
        if record:
            session.post(
                f"{server.addr}/v1/govern/metadata/accounts/{ref}",
                timeout=30,
                json={"custom_metadata": {"reason": "bench", "rotated_by": "bench"}},
            ).raise_for_status()
    return time.perf_counter() - start


def timed_revoke(
    govern: list[str], work: Path, env: dict[str, str]
) -> tuple[float, dict[str, Any], dict[str, float]]:
    """Run `govern revoke volunteer --yes --format json` in a fresh interpreter. Its stderr
    is a pseudo-terminal, so govern prints a line as each step starts; the time each line
    arrives splits the wall time into phases (startup+plan, vault, rotate, inventory, log)."""
    leader, follower = pty.openpty()
    start = time.perf_counter()
    child = subprocess.Popen(
        [*govern, "revoke", "volunteer", "--yes", "--format", "json"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        stdin=subprocess.DEVNULL,
    )
    os.close(follower)
    output: list[bytes] = []  # read stdout meanwhile: a full pipe would stall the child
    pipe = child.stdout
    assert pipe is not None
    reader = threading.Thread(target=lambda: output.append(pipe.read()))
    reader.start()
    marks: list[tuple[str, float]] = [("startup+plan", 0.0)]
    buffer = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        now = time.perf_counter() - start
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            text = line.decode(errors="replace").strip()
            if text.endswith(" ..."):
                marks.append((text.removesuffix(" ..."), now))
    child.wait()
    reader.join()
    out = b"".join(output)
    wall = time.perf_counter() - start
    os.close(leader)
    if child.returncode != 0:
        raise SystemExit(f"govern revoke failed ({child.returncode}): {buffer.decode()}")
    phases = {
        name: round((marks[i + 1][1] if i + 1 < len(marks) else wall) - at, 3)
        for i, (name, at) in enumerate(marks)
    }
    return wall, json.loads(out), phases


def one_run(n: int) -> dict[str, Any]:
    server = VaultServer.start()
    try:
        env = {
            **os.environ,
            **server.env(),
            "GOVERN_ACTOR": "bench",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        work = Path(tempfile.mkdtemp(prefix="govern-bench-revoke-"))
        (work / "inventory.yaml").write_text(inventory(n))
        (work / "policies").mkdir()
        store = VaultStore(server.addr, mount="govern", env=server.env())
        store.ensure_mount(create=True)
        refs = [f"x-{i:04d}" for i in range(n)]
        floor_refs = [f"floor-{i:04d}" for i in range(n)]
        store.put_many(
            [
                NewCredential(
                    ref=r, secret=Secret(username=r, password="initial-pw"), meta={"platform": "x"}
                )
                for r in refs + floor_refs
            ],
            rotated_by="bench",
            reason="setup",
        )
        govern = [sys.executable, "-m", "govern"]
        subprocess.run(
            [*govern, "apply", "--yes"], cwd=work, env=env, check=True, capture_output=True
        )
        floor = raw_rotations(server, floor_refs, record=False)
        floor_recorded = raw_rotations(server, floor_refs, record=True)
        wall, result, phases = timed_revoke(govern, work, env)
        rotated = sum(1 for r in result["steps"]["rotate"].values() if r["rotated"])
        groups = len(result["steps"]["vault"]["groups_left"])
        versions = {m.ref: m.current_version for m in store.list() if m.ref.startswith("x-")}
        assert rotated == n and set(versions.values()) == {2}, (rotated, set(versions.values()))
        assert groups == n, groups
        return {
            "revoke_s": round(wall, 3),
            "floor_s": round(floor, 3),
            "floor_recorded_s": round(floor_recorded, 3),
            "ratio": round(wall / floor, 3),
            "phases": phases,
            "loadavg": round(os.getloadavg()[0], 2),
            "rotations": rotated,
            "groups_left": groups,
        }
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3, help="fresh server each (default 3)")
    parser.add_argument("-o", "--output", default=str(ROOT / "benchmarks/results/revoke.json"))
    args = parser.parse_args()
    n = args.accounts
    runs = []
    print(
        f"revoke of a person holding {n} shared logins: {n} rotations, {n} group "
        "memberships removed; a fresh OpenBao dev server per run"
    )
    for index in range(args.runs):
        run = one_run(n)
        runs.append(run)
        phases = ", ".join(f"{k} {v:.2f}" for k, v in run["phases"].items())
        print(
            f"  run {index + 1}: govern revoke {run['revoke_s']:6.3f} s | floor (GET+POST) "
            f"{run['floor_s']:6.3f} s -> {run['ratio']:.2f}x | floor with metadata "
            f"{run['floor_recorded_s']:6.3f} s | loadavg {run['loadavg']:.2f}"
        )
        print(f"         phases (s): {phases}")
    ratio = statistics.median(r["ratio"] for r in runs)
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"  median ratio {ratio:.2f}x (target <= {TARGET}x): {verdict}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps(
            {
                "benchmark": "revoke",
                "accounts": n,
                "target": TARGET,
                "median_revoke_s": statistics.median(r["revoke_s"] for r in runs),
                "median_floor_s": statistics.median(r["floor_s"] for r in runs),
                "median_ratio": ratio,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
