"""govern against a 3-node OpenBao Raft cluster whose leader is killed (SIGKILL) in the
middle of `govern apply` and of `govern revoke`: pointed at a standby, govern follows the
cluster to its new leader, and the same command run again converges with nothing lost and
no credential rotated twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import yaml
from raftcluster import Node, RaftCluster

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_revoke import inventory as bench_inventory

from govern.credentials import NewCredential, Secret
from govern.credentials.vaultstore import VaultStore
from govern.errors import GovernError, StoreError

ACCOUNTS, PEOPLE, ENTITIES = 200, 400, 20


def inventory() -> dict[str, object]:
    people = [
        {
            "id": f"p{i:04d}",
            "name": f"Person {i}",
            "email": f"p{i:04d}@org.test",
            "level": "ABC"[i % 3],
        }
        for i in range(PEOPLE)
    ]
    entities = [
        {
            "id": f"e{j:02d}",
            "name": f"Entity {j}",
            "head": f"p{j:04d}",
            "it": [f"p{ENTITIES + j:04d}"],
        }
        for j in range(ENTITIES)
    ]
    accounts = []
    for k in range(ACCOUNTS):
        holders = sorted({f"p{(2 * ENTITIES + 2 * k + h) % PEOPLE:04d}" for h in range(2)})
        accounts.append(
            {
                "id": f"a{k:04d}",
                "entity": f"e{k % ENTITIES:02d}",
                "platform": "x",
                "handle": f"@a{k}",
                "credential": {"mfa": True},
                "access": [{"person": p, "role": "admin"} for p in holders],
            }
        )
    return {
        "version": 1,
        "organization": {"name": "Raft", "domains": ["org.test"]},
        "people": people,
        "entities": entities,
        "accounts": accounts,
    }


@pytest.fixture
def cluster() -> Iterator[RaftCluster]:
    started = RaftCluster.start()
    yield started
    started.stop()


def govern(
    cluster: RaftCluster, addr: str, *args: str, wait: bool = True, log: Path | None = None
) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "GOVERN_"))}
    env.update(
        {
            "VAULT_ADDR": addr,
            "VAULT_TOKEN": cluster.token,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "VAULT_CLIENT_TIMEOUT": "10",
        }
    )
    command = [sys.executable, "-m", "govern", *args]
    if wait:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert log is not None  # a file, not a pipe: apply prints the whole plan first
    with log.open("w") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)


def prepared(cluster: RaftCluster) -> tuple[Node, Node, VaultStore]:
    """(leader, a standby, a store on the leader whose new KV v2 mount takes writes)."""
    leader = cluster.leader()
    assert leader is not None
    store = VaultStore(leader.addr, env=cluster.env(leader))
    store.ensure_mount(create=True)
    warm_up(store)
    return leader, cluster.standbys()[0], store


def warm_up(store: VaultStore) -> None:
    """Wait until a new KV v2 mount takes writes (it upgrades its storage first)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            store.put("warm-up", Secret(password="x"), meta={}, rotated_by="t", reason="t")
            return
        except StoreError:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def kill_mid_run(
    cluster: RaftCluster,
    leader: Node,
    running: subprocess.Popen[str] | subprocess.CompletedProcess[str],
    log: Path,
    under_way: Callable[[], bool],
) -> str:
    """SIGKILL the leader once `under_way()`, while `running` still runs; its output, which
    says the run was cut short (nonzero exit) without a traceback or the token."""
    assert isinstance(running, subprocess.Popen)
    deadline = time.monotonic() + 180
    while running.poll() is None and not under_way():
        assert time.monotonic() < deadline, "the command made no progress"
        time.sleep(0.05)
    assert running.poll() is None, "the command finished before the leader could be killed"
    cluster.kill(leader)
    running.wait(timeout=600)
    output = log.read_text()
    assert running.returncode != 0, output[-2000:]
    assert cluster.token not in output and "Traceback" not in output
    return output


def count_policies(cluster: RaftCluster) -> int:
    for node in cluster.nodes:
        if not node.alive():
            continue
        try:
            answer = requests.request(
                "LIST",
                f"{node.addr}/v1/sys/policies/acl",
                headers={"X-Vault-Token": cluster.token},
                timeout=5,
            )
            return sum(1 for k in answer.json()["data"]["keys"] if k.startswith("govern-"))
        except (requests.RequestException, ValueError, KeyError):
            continue
    return 0


def test_apply_survives_the_leader_dying_mid_run(cluster: RaftCluster, tmp_path: Path) -> None:
    leader, standby, store = prepared(cluster)
    # Credentials stored before: each must come through with exactly its one version.
    refs = [f"a{k:04d}" for k in range(0, ACCOUNTS, 10)]
    for ref in refs:
        store.put(
            ref,
            Secret(username=ref, password=f"pw-{ref}"),
            meta={},
            rotated_by="t",
            reason="before the failover",
        )
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory(), sort_keys=False))
    (tmp_path / "policies").mkdir()
    where = ["-i", str(path), "-p", str(tmp_path / "policies")]

    log = tmp_path / "apply.log"
    running = govern(cluster, standby.addr, "apply", "--yes", *where, wait=False, log=log)
    kill_mid_run(cluster, leader, running, log, lambda: count_policies(cluster) >= 20)

    new_leader = cluster.wait_for_leader()
    assert new_leader is not leader
    again = govern(cluster, standby.addr, "apply", "--yes", *where)
    assert isinstance(again, subprocess.CompletedProcess)
    assert again.returncode == 0, again.stdout + again.stderr
    plan = govern(cluster, standby.addr, "plan", "--detailed-exitcode", *where)
    assert isinstance(plan, subprocess.CompletedProcess)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert count_policies(cluster) == ACCOUNTS
    after = VaultStore(standby.addr, env=cluster.env(standby))
    for ref in refs:
        meta = after.metadata(ref)
        assert meta is not None and meta.current_version == 1, ref
        assert after.get(ref).password == f"pw-{ref}"


REVOKED = 120


def revoke_inventory() -> str:
    """The revoke benchmark's inventory: `volunteer` holds REVOKED shared logins."""
    return bench_inventory(REVOKED)


def versions(cluster: RaftCluster) -> dict[str, int]:
    for node in cluster.nodes:
        if node.alive():
            try:
                store = VaultStore(node.addr, env=cluster.env(node))
                return {m.ref: m.current_version for m in store.list()}
            except GovernError:
                continue
    return {}


def test_revoke_survives_the_leader_dying_mid_run(cluster: RaftCluster, tmp_path: Path) -> None:
    leader, standby, store = prepared(cluster)
    refs = [f"x-{i:04d}" for i in range(REVOKED)]
    store.put_many(
        [
            NewCredential(
                ref=r, secret=Secret(username=r, password="initial"), meta={"platform": "x"}
            )
            for r in refs
        ],
        rotated_by="t",
        reason="setup",
    )
    (tmp_path / "inventory.yaml").write_text(revoke_inventory())
    (tmp_path / "policies").mkdir()
    where = ["-i", str(tmp_path / "inventory.yaml"), "-p", str(tmp_path / "policies")]
    applied = govern(cluster, standby.addr, "apply", "--yes", *where)
    assert isinstance(applied, subprocess.CompletedProcess)
    assert applied.returncode == 0, applied.stdout + applied.stderr

    log = tmp_path / "revoke.log"
    running = govern(
        cluster, standby.addr, "revoke", "volunteer", "--yes", *where, wait=False, log=log
    )
    output = kill_mid_run(
        cluster,
        leader,
        running,
        log,
        lambda: sum(v == 2 for v in versions(cluster).values()) >= 10,
    )

    cluster.wait_for_leader()
    again = govern(cluster, standby.addr, "revoke", "volunteer", "--yes", *where)
    assert isinstance(again, subprocess.CompletedProcess)
    assert again.returncode == 0, again.stdout + again.stderr
    # Exactly one new version per rotation: none lost, none rotated twice.
    found = {ref: version for ref, version in versions(cluster).items() if ref in refs}
    assert found == dict.fromkeys(refs, 2), output[-2000:]
    # revoke disables the entity but leaves its metadata `status` to the next apply.
    applied = govern(cluster, standby.addr, "apply", "--yes", *where)
    assert isinstance(applied, subprocess.CompletedProcess)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    plan = govern(cluster, standby.addr, "plan", "--detailed-exitcode", *where)
    assert isinstance(plan, subprocess.CompletedProcess)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    verified = govern(
        cluster, standby.addr, "log", "verify", "--log", str(tmp_path / "audit.log.jsonl")
    )
    assert isinstance(verified, subprocess.CompletedProcess)
    assert verified.returncode == 0, verified.stdout + verified.stderr
