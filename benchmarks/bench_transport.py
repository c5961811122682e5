"""The HTTP stack to Vault: govern's client (hvac on one pooled, redirect-safe requests
session, govern/backends/vault/), a raw pooled `requests` session (the floor: no client
library), hvac with a client per thread, and urllib3, compared.

The same KV v2 workload (for each of N secrets: GET it, POST a new version) against a local
OpenBao dev server, one thread and 8 threads, wall time and the client's own CPU time in the
same run:

    .venv/bin/python benchmarks/bench_transport.py            # --count 500 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import hvac
import requests
import urllib3
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from vaultserver import VaultServer  # noqa: E402

from govern.backends.vault import VaultClient  # noqa: E402

Call = Callable[[str, str, dict[str, Any] | None], Any]


def hvac_client(server: VaultServer) -> Call:
    local = threading.local()

    def call(method: str, path: str, body: dict[str, Any] | None) -> Any:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = hvac.Client(url=server.addr, token=server.token)
        return client.adapter.request(method, f"/v1/{path}", json=body)

    return call


def urllib3_pool(server: VaultServer) -> Call:
    pool = urllib3.PoolManager(maxsize=10)
    headers = {"X-Vault-Token": server.token, "Content-Type": "application/json"}

    def call(method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        response = pool.request(method, f"{server.addr}/v1/{path}", body=data, headers=headers)
        return json.loads(response.data) if response.data else None

    return call


def raw_requests(server: VaultServer) -> Call:
    """The floor: one pooled session, the token header, JSON in and out, nothing else."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_maxsize=8)
    session.mount("http://", adapter)
    headers = {"X-Vault-Token": server.token}

    def call(method: str, path: str, body: dict[str, Any] | None) -> Any:
        response = session.request(
            method, f"{server.addr}/v1/{path}", json=body, headers=headers, timeout=15
        )
        return response.json() if response.content else None

    return call


def govern_client(server: VaultServer) -> Call:
    client = VaultClient(server.addr, env={"VAULT_TOKEN": server.token})

    def call(method: str, path: str, body: dict[str, Any] | None) -> Any:
        return client.request(method, path, json=body, action="bench", capability="bench")

    return call


def workload(call: Call, count: int, workers: int) -> tuple[float, float]:
    def one(i: int) -> None:
        path = f"bench/data/t{i:04d}"
        current = call("GET", path, None)
        data = dict(current["data"]["data"])
        data["password"] = f"pw-{time.perf_counter_ns()}"
        call("POST", path, {"data": data})

    wall, cpu = time.perf_counter(), time.process_time()
    if workers == 1:
        for i in range(count):
            one(i)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, range(count)))
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-o", "--output", default=str(ROOT / "benchmarks/results/transport.json"))
    args = parser.parse_args()
    server = VaultServer.start()
    try:
        server.api("POST", "sys/mounts/bench", json={"type": "kv", "options": {"version": "2"}})
        setup = raw_requests(server)
        for i in range(args.count):
            setup("POST", f"bench/data/t{i:04d}", {"data": {"username": "u", "password": "p"}})
        clients = {
            "raw requests (floor)": raw_requests(server),
            "govern (hvac, pooled)": govern_client(server),
            "hvac per thread": hvac_client(server),
            "urllib3": urllib3_pool(server),
        }
        results: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.rounds):
            for name, call in clients.items():  # interleaved: the machine is shared
                for workers in (1, 8):
                    wall, cpu = workload(call, args.count, workers)
                    key = f"{name}, {workers} thread{'s' if workers > 1 else ''}"
                    entry = results.setdefault(key, {"wall": [], "cpu": []})
                    entry["wall"].append(wall)
                    entry["cpu"].append(cpu)
    finally:
        server.stop()
    requests_made = 2 * args.count
    print(f"{args.count} x (GET + POST) against OpenBao on loopback, median of {args.rounds}")
    print(f"{'transport':34s} {'wall s':>8s} {'client CPU s':>13s} {'ms/request':>11s}")
    summary = {}
    for key, entry in results.items():
        wall, cpu = statistics.median(entry["wall"]), statistics.median(entry["cpu"])
        summary[key] = {
            "wall_s": round(wall, 3),
            "client_cpu_s": round(cpu, 3),
            "ms_per_request": round(wall / requests_made * 1000, 3),
        }
        print(f"{key:34s} {wall:8.3f} {cpu:13.3f} {wall / requests_made * 1000:11.3f}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps(
            {
                "benchmark": "transport",
                "count": args.count,
                "rounds": args.rounds,
                "results": summary,
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
