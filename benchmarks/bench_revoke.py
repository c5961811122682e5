"""Revoking a person who holds N shared-login accounts, against a local OpenBao server.

Reports the wall time of `govern revoke PERSON --yes` (a fresh interpreter, as a user runs
it: plan, Vault entity disabled and N group memberships removed, N rotations, the inventory
edit, the audit-log record) next to the floor measured in the same run: the same number of
raw rotations through one `requests.Session` (read the secret, write a new version: the
least a rotation that keeps the username can do), sequentially.

    python benchmarks/bench_revoke.py                 # 500 accounts
    python benchmarks/bench_revoke.py --accounts 100
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
            session.post(f"{server.addr}/v1/govern/metadata/accounts/{ref}", timeout=30,
                         json={"custom_metadata": {"reason": "bench", "rotated_by": "bench"}},
                         ).raise_for_status()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("-o", "--output", default=str(ROOT / "benchmarks/results/revoke.json"))
    args = parser.parse_args()
    n = args.accounts
    server = VaultServer.start()
    try:
        env = {**os.environ, **server.env(), "GOVERN_ACTOR": "bench",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        work = Path(tempfile.mkdtemp(prefix="govern-bench-revoke-"))
        (work / "inventory.yaml").write_text(inventory(n))
        (work / "policies").mkdir()
        store = VaultStore(server.addr, mount="govern", env=server.env())
        store.ensure_mount(create=True)
        refs = [f"x-{i:04d}" for i in range(n)]
        floor_refs = [f"floor-{i:04d}" for i in range(n)]
        store.put_many([NewCredential(ref=r, secret=Secret(username=r, password="initial-pw"),
                                      meta={"platform": "x"}) for r in refs + floor_refs],
                       rotated_by="bench", reason="setup")
        govern = [sys.executable, "-m", "govern"]
        subprocess.run([*govern, "apply", "--yes"], cwd=work, env=env, check=True,
                       capture_output=True)
        floor = raw_rotations(server, floor_refs, record=False)
        floor_recorded = raw_rotations(server, floor_refs, record=True)
        start = time.perf_counter()
        done = subprocess.run([*govern, "revoke", "volunteer", "--yes", "--format", "json"],
                              cwd=work, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        result = json.loads(done.stdout)
        rotated = sum(1 for r in result["steps"]["rotate"].values() if r["rotated"])
        groups = len(result["steps"]["vault"]["groups_left"])
        versions = {m.ref: m.current_version for m in store.list() if m.ref.startswith("x-")}
        assert rotated == n and set(versions.values()) == {2}, (rotated, set(versions.values()))
        ratio = wall / floor
        load = os.getloadavg()[0]
        print(f"revoke of a person holding {n} shared logins (OpenBao {server.addr}, "
              f"loadavg {load:.2f})")
        print(f"  govern revoke (fresh interpreter): {wall:7.3f} s  "
              f"({rotated} rotations, {groups} group memberships removed)")
        print(f"  floor, {n} raw rotations (GET+POST, one requests.Session): {floor:7.3f} s")
        print(f"  floor with the who/why record (GET+POST+POST metadata): {floor_recorded:7.3f} s"
              f"  -> ratio {wall / floor_recorded:.2f}x")
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(f"  ratio {ratio:.2f}x (target <= {TARGET}x): {verdict}")
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps({
            "benchmark": "revoke", "accounts": n, "revoke_s": round(wall, 3),
            "floor_s": round(floor, 3), "ratio": round(ratio, 3), "target": TARGET,
            "floor_recorded_s": round(floor_recorded, 3),
            "ratio_recorded": round(wall / floor_recorded, 3),
            "loadavg": round(load, 2), "rotations": rotated, "groups_left": groups,
        }, indent=2) + "\n")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
