"""Credential store benchmark (issue 3): govern next to a raw-HTTP floor, and the file store.

    .venv/bin/python benchmarks/bench_credentials.py [--count 1000] [--file-entries 10000]
                                                     [--rounds 3]

Vault/OpenBao (a local `bao server -dev`, started here): writing COUNT credentials and reading
all their metadata, through `VaultStore`, next to a floor of raw `requests.Session` calls to the
same endpoints (POST data + POST metadata per write; LIST + GET metadata per read) in the same
run. The read floor is given serial (one Session) and with the same bounded concurrency govern
uses (8 threads, one Session each). Each round uses fresh mounts; the median round is reported.

File store: FILE_ENTRIES entries; open+list (no key), read one (key already unlocked: re-read,
integrity check of the whole file, decrypt), and the key derivation (scrypt at the default
cost) reported separately.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from vaultserver import VaultServer  # noqa: E402

from govern.credentials import NewCredential, Secret  # noqa: E402
from govern.credentials.filestore import FileStore, ScryptParams, _kek  # noqa: E402
from govern.credentials.vaultstore import LIST_CONCURRENCY, VaultStore  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def secret_for(i: int) -> Secret:
    return Secret(
        username=f"user{i}",
        password=f"Pw-{i:06d}-{secrets.token_hex(8)}",
        fields={"notes": "benchmark"},
    )


# -- Vault ------------------------------------------------------------------------------------


def govern_write(store: VaultStore, count: int) -> None:
    for i in range(count):
        store.put(
            f"acct-{i:05d}",
            secret_for(i),
            meta={"entity": "e", "platform": "x"},
            rotated_by="bench",
            reason="benchmark",
        )


def raw_write(server: VaultServer, mount: str, count: int) -> None:
    session = requests.Session()
    session.headers["X-Vault-Token"] = server.token
    for i in range(count):
        ref = f"acct-{i:05d}"
        r = session.post(
            f"{server.addr}/v1/{mount}/data/accounts/{ref}",
            json={"data": secret_for(i).to_payload()},
            timeout=10,
        )
        r.raise_for_status()
        custom = {
            "account": ref,
            "entity": "e",
            "platform": "x",
            "rotated_at": "now",
            "rotated_by": "bench",
            "reason": "benchmark",
            "govern_version": str(r.json()["data"]["version"]),
        }
        session.post(
            f"{server.addr}/v1/{mount}/metadata/accounts/{ref}",
            json={"custom_metadata": custom},
            timeout=10,
        ).raise_for_status()


def raw_read(server: VaultServer, mount: str, threads: int) -> int:
    base = f"{server.addr}/v1/{mount}/metadata/accounts"
    head = {"X-Vault-Token": server.token}
    listed = requests.request("LIST", base, headers=head, timeout=10)
    listed.raise_for_status()
    keys = listed.json()["data"]["keys"]

    if threads == 1:
        session = requests.Session()
        return len([session.get(f"{base}/{k}", headers=head, timeout=10).json() for k in keys])

    import threading

    local = threading.local()

    def one(key: str) -> object:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        return session.get(f"{base}/{key}", headers=head, timeout=10).json()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return len(list(pool.map(one, keys)))


def vault_round(server: VaultServer, count: int, first: str = "raw") -> dict[str, float]:
    mounts = {name: f"bench-{name}-{secrets.token_hex(3)}" for name in ("govern", "raw")}
    for mount in mounts.values():
        server.api("POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}})
    store = VaultStore(server.addr, mount=mounts["govern"], env=server.env())
    store.ensure_mount(create=False)
    writes = {
        "raw_write": lambda: raw_write(server, mounts["raw"], count),
        "govern_write": lambda: govern_write(store, count),
    }
    order = sorted(writes, reverse=first == "raw")  # rounds alternate who goes first
    out = {name: timed(writes[name]) for name in order}
    fresh = VaultStore(server.addr, mount=mounts["govern"], env=server.env())
    listed: list[object] = []
    out["raw_read_serial"] = timed(lambda: raw_read(server, mounts["raw"], 1))
    out["raw_read_parallel"] = timed(lambda: raw_read(server, mounts["raw"], LIST_CONCURRENCY))
    out["govern_read"] = timed(lambda: listed.extend(fresh.list()))
    assert len(listed) == count, len(listed)
    for mount in mounts.values():
        server.api("DELETE", f"sys/mounts/{mount}")
    return out


# -- file store -------------------------------------------------------------------------------


def file_bench(entries: int, directory: Path) -> dict[str, float]:
    path = directory / "credentials.enc"
    env = {"GOVERN_PASSPHRASE": PASSPHRASE}
    out: dict[str, float] = {}
    out["create"] = timed(
        lambda: FileStore.create(
            path, env=env, passphrase=PASSPHRASE, use_keyring=False, prompt=None
        )
    )
    items = [
        NewCredential(
            ref=f"acct-{i:05d}",
            secret=secret_for(i),
            meta={"entity": f"entity-{i % 50}", "platform": "facebook"},
        )
        for i in range(entries)
    ]
    writer = FileStore(path, env=env, prompt=None)
    out["write_all"] = timed(lambda: writer.put_many(items, rotated_by="bench", reason="benchmark"))
    out["size_mb"] = path.stat().st_size / 1e6
    out["open_list"] = min(
        timed(lambda: FileStore(path, env={}, prompt=None).list()) for _ in range(5)
    )
    reader = FileStore(path, env=env, prompt=None)
    out["cold_read_one"] = timed(lambda: reader.get("acct-04242"))  # includes scrypt
    out["read_one"] = min(timed(lambda: reader.get(f"acct-{entries // 2:05d}")) for _ in range(5))
    out["put_one"] = min(
        timed(
            lambda: writer.put(
                "acct-00001", secret_for(1), meta={}, rotated_by="bench", reason="rotation"
            )
        )
        for _ in range(3)
    )
    params = ScryptParams()
    kdf = {"n": params.n, "r": params.r, "p": params.p, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="}
    out["kdf"] = min(timed(lambda: _kek(PASSPHRASE, kdf)) for _ in range(3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--file-entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    server = VaultServer.start()
    try:
        vault_round(server, 50)  # warm-up: connections, mount code paths
        rounds = [
            vault_round(server, args.count, ("raw", "govern")[i % 2]) for i in range(args.rounds)
        ]
    finally:
        server.stop()
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    n = args.count
    print(f"## Vault/OpenBao ({n} credentials, median of {args.rounds} rounds)\n")
    print("| operation | govern | raw floor | govern / floor |")
    print("| --- | --- | --- | --- |")
    print(
        f"| write {n} (POST data + POST metadata each) | {n / med['govern_write']:.0f} ops/s "
        f"| {n / med['raw_write']:.0f} ops/s (serial Session) "
        f"| {med['govern_write'] / med['raw_write']:.2f}x |"
    )
    print(
        f"| read all metadata (LIST + {n} GET) | {n / med['govern_read']:.0f} ops/s "
        f"({LIST_CONCURRENCY} threads) | {n / med['raw_read_parallel']:.0f} ops/s "
        f"({LIST_CONCURRENCY} threads) | {med['govern_read'] / med['raw_read_parallel']:.2f}x |"
    )
    print(
        f"| read all metadata, serial floor | | {n / med['raw_read_serial']:.0f} ops/s "
        f"(one Session) | {med['govern_read'] / med['raw_read_serial']:.2f}x |"
    )

    with tempfile.TemporaryDirectory() as tmp:
        f = file_bench(args.file_entries, Path(tmp))
    print(f"\n## File store ({args.file_entries} entries, {f['size_mb']:.1f} MB)\n")
    print("| operation | time |")
    print("| --- | --- |")
    print(f"| open + list all metadata (no key) | {f['open_list'] * 1000:.0f} ms |")
    print(
        f"| read one secret (key unlocked; re-read, verify whole file, decrypt) "
        f"| {f['read_one'] * 1000:.0f} ms |"
    )
    print(
        f"| key derivation (scrypt n=2^17, r=8, p=1), reported separately "
        f"| {f['kdf'] * 1000:.0f} ms |"
    )
    print(
        f"| first read in a process (includes key derivation) "
        f"| {f['cold_read_one'] * 1000:.0f} ms |"
    )
    print(
        f"| store one new version (lock, re-read, verify, rewrite, fsync) "
        f"| {f['put_one'] * 1000:.0f} ms |"
    )
    print(
        f"| write all {args.file_entries} in one batch (import) | {f['write_all'] * 1000:.0f} ms |"
    )


if __name__ == "__main__":
    main()
