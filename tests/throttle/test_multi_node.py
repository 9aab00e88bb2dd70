"""Two real `bastion serve` processes share one PostgreSQL database and one Redis (requirements §1-3).

Counters live in the shared store, not in a node's memory: five wrong passwords spread
over both nodes lock the identifier on both, and an IP over the network limit is refused
by both. Nothing here needs time to pass (no clock can be moved across processes): the
identifier's first pause is 30 s and the IP's hold 15 min, far longer than the test.

Needs PostgreSQL (127.0.0.1:5432, or BASTION_TEST_PG) and Redis (127.0.0.1:6379). The
key prefix is not configurable, so the nodes get a Redis database number of their own
(5, or 5 + the xdist worker's index), FLUSHDB-ed before and after; set
BASTION_TEST_REDIS_MULTI_NODE to another server or database. Under CI=true a missing
PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import psycopg
import pytest
import redis

from bastion.crypto import generate_key
from bastion.throttle.rules import SignInThrottle
from tests.conftest import DEFAULT_PASSWORD, _pg_admin, _pg_url

IN_CI = os.environ.get("CI") == "true"
REDIS_URL = os.environ.get("BASTION_TEST_REDIS_MULTI_NODE")
BIN = Path(sys.executable).with_name("bastion")
WRONG = "definitely not the password"
NETWORK_LIMIT = 6  # BASTION_RATE_LIMITS below: 6 failures per IP in 10 min, to keep the test short


def _unavailable(what: str, error: Exception) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true and is not reachable: {error}")
    pytest.skip(f"{what} not reachable: {error}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Node:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    a: Node
    b: Node
    redis: redis.Redis
    accounts: dict[str, str]  # role → email, all with DEFAULT_PASSWORD

    def login(self, node: Node, email: str, password: str = DEFAULT_PASSWORD, ip: str = "198.51.100.7",
              device: str | None = None) -> httpx.Response:
        headers = {"X-Forwarded-For": ip}
        if device:
            headers["X-Device-Id"] = device
        return httpx.post(f"{node.url}/v1/login", json={"email": email, "password": password}, headers=headers,
                          timeout=30)


def _run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(BIN), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"bastion {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _start(name: str, env: dict[str, str], workdir: Path) -> Node:
    port = free_port()
    log = workdir / f"node-{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=env, cwd=workdir,
                                   stdout=sink, stderr=subprocess.STDOUT)
    return Node(name, f"http://127.0.0.1:{port}", process, log)


def _wait_ready(node: Node, deadline: float) -> None:
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            pytest.fail(f"node {node.name} exited with {node.process.returncode}:\n{node.log.read_text()}")
        try:
            if httpx.get(f"{node.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"node {node.name} not ready in time:\n{node.log.read_text()}")


def _stop(node: Node) -> None:
    if node.process.poll() is None:
        node.process.terminate()
        try:
            node.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait()


def _redis_url(worker_id: str) -> str:
    if REDIS_URL:
        return REDIS_URL
    index = int(worker_id.removeprefix("gw")) if worker_id.startswith("gw") else 0
    return f"redis://127.0.0.1:6379/{5 + index % 11}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Cluster]:
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as error:
        _unavailable("PostgreSQL", error)
    redis_url = _redis_url(worker_id)
    shared_redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        shared_redis.ping()
    except redis.RedisError as error:
        _unavailable("Redis", error)
    shared_redis.flushdb()  # this database number belongs to this module (see the docstring)

    database = f"bastion_mn_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    workdir = tmp_path_factory.mktemp("multi-node")
    env = {
        **os.environ,
        "BASTION_ENV": "dev",
        "BASTION_DATABASE_URL": _pg_url(database),
        "BASTION_REDIS_URL": redis_url,
        "BASTION_THROTTLE_BACKEND": "auto",
        "BASTION_SECRET_KEYS": generate_key(),
        "BASTION_ARGON2_MEMORY_KIB": "1024",
        "BASTION_ARGON2_TIME_COST": "1",
        "BASTION_DATA_DIR": str(workdir / "data"),
        "BASTION_TRUSTED_PROXIES": "127.0.0.1/32",
        "BASTION_RATE_LIMITS": f"{NETWORK_LIMIT}/10m/ip",
        "BASTION_LOG_LEVEL": "WARNING",
    }
    nodes: list[Node] = []
    try:
        _run_cli(env, "db", "upgrade")
        run = uuid.uuid4().hex[:8]
        accounts = {role: f"{role}-{run}@example.com" for role in ("victim", "bystander")}
        for email in accounts.values():
            _run_cli(env, "user", "create", email, stdin=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
        nodes = [_start("a", env, workdir), _start("b", env, workdir)]
        deadline = time.monotonic() + 60
        for node in nodes:
            _wait_ready(node, deadline)
        yield Cluster(nodes[0], nodes[1], shared_redis, accounts)
    finally:
        for node in nodes:
            _stop(node)
        shared_redis.flushdb()
        shared_redis.close()
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_both_nodes_serve_the_same_account(cluster: Cluster) -> None:
    for node, ip in ((cluster.a, "192.0.2.10"), (cluster.b, "192.0.2.11")):
        answer = cluster.login(node, cluster.accounts["bystander"], ip=ip)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "authenticated"


def test_wrong_passwords_spread_over_both_nodes_are_counted_once(cluster: Cluster) -> None:
    email = cluster.accounts["victim"]
    # A success first: the count starts at zero on both nodes.
    assert cluster.login(cluster.a, email, ip="203.0.113.1").status_code == 200
    # 3 on A and 2 on B, alternately, each from its own address (the identifier is counted, not the IP).
    nodes = [cluster.a, cluster.b, cluster.a, cluster.b, cluster.a]
    for n, node in enumerate(nodes, start=1):
        answer = cluster.login(node, email, WRONG, ip=f"203.0.{113 + n}.1")
        assert (answer.status_code, answer.json()["code"]) == (401, "credentials.invalid"), (node.name, n)
    # Per-node counting would stand at 3 and 2, under the limit of 5; the shared count is 5.
    key = SignInThrottle.identifier_key(email)
    assert int(cluster.redis.hget(f"bastion:c:{key}", "c")) == 5
    assert cluster.redis.exists(f"bastion:h:{key}")
    for node, ip in ((cluster.a, "203.0.120.1"), (cluster.b, "203.0.121.1"), (cluster.b, "203.0.122.1")):
        refused = cluster.login(node, email, ip=ip)  # the right password
        assert refused.status_code == 429, (node.name, refused.text)
        assert refused.json()["code"] == "account.locked"
        assert 1 <= int(refused.headers["Retry-After"]) <= 30  # the first pause is 30 s


def test_an_ip_over_the_network_limit_is_refused_on_both_nodes(cluster: Cluster) -> None:
    attacker = "198.51.100.66"
    # Each failure on a different (unknown) identifier, alternating nodes: only the IP adds up.
    for n in range(NETWORK_LIMIT):
        node = (cluster.a, cluster.b)[n % 2]
        answer = cluster.login(node, f"nobody-{n}-{uuid.uuid4().hex[:6]}@example.com", WRONG, ip=attacker)
        assert (answer.status_code, answer.json()["code"]) == (401, "credentials.invalid"), (node.name, n)
    for node in (cluster.a, cluster.b):
        # Even the right password for a healthy account: the network is held before any hash.
        refused = cluster.login(node, cluster.accounts["bystander"], ip=attacker)
        assert refused.status_code == 429, (node.name, refused.text)
        assert refused.json()["code"] == "ip.throttled"
        assert 800 < int(refused.headers["Retry-After"]) <= 900  # BASTION_IP_LOCKOUT 15 min
    for node, ip in ((cluster.a, "198.51.200.5"), (cluster.b, "198.51.201.5")):
        # Another network is not held.
        assert cluster.login(node, cluster.accounts["bystander"], ip=ip).status_code == 200
