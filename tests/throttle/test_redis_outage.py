"""Redis goes away and comes back: sign-in keeps its limits, never fails open, never stalls (requirements §1-3).

A private `redis-server` on a free port is started and stopped by these tests (the
shared one on 6379 is never touched). The services are built from the settings exactly
as in production (`BASTION_REDIS_URL` set, backend "auto": Redis first, the database
when Redis is unreachable), with the database of each kind.

Under CI=true a missing `redis-server` binary fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import redis
from fastapi.testclient import TestClient

from bastion.accounts.admin import create_account
from bastion.clock import MovableClock
from bastion.config import Settings
from bastion.services import Services
from bastion.startup import build_services
from bastion.store import Database
from bastion.throttle.database import DatabaseStore
from bastion.throttle.fallback import FallbackStore
from bastion.throttle.rules import SignInThrottle
from bastion.throttle.store import MemoryStore
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD

IN_CI = os.environ.get("CI") == "true"
WRONG = "definitely not the password"
NETWORK_LIMIT = 8  # "8/10m/ip": the IP rule of requirements §3 with a smaller count, to keep the test short


# A private Redis ---------------------------------------------------------------------------

class PrivateRedis:
    """`redis-server` on a fixed free port, nothing on disk; started and stopped at will."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                break
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.02)
            finally:
                probe.close()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # in case a test paused it
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, but nothing answers (a hung server)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def keys(self) -> list[bytes]:
        client = redis.Redis.from_url(self.url, socket_timeout=2)
        try:
            return list(client.scan_iter(count=1000))
        finally:
            client.close()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("redis-server is required under CI=true (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(binary)
    server.start()
    yield server
    server.stop()


# Bastion over it -------------------------------------------------------------------------

@dataclass
class Probe:
    """Counts calls that reached the Redis store, and those that failed."""

    calls: int = 0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass
class Node:
    client: TestClient
    services: Services
    store: FallbackStore
    probe: Probe
    accounts: dict[str, str]

    def login(self, email: str, password: str = DEFAULT_PASSWORD, ip: str = "192.0.2.1"):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        answer = self.client.post("/v1/login", json={"email": email, "password": password},
                                  headers={"X-Forwarded-For": ip})
        self.probe.latencies.append(time.perf_counter() - started)
        assert answer.status_code < 500, answer.text
        return answer


def _count_redis_calls(monkeypatch: pytest.MonkeyPatch, store: FallbackStore, probe: Probe) -> None:
    primary = store.primary
    for name in ("increment", "increment_unless_held", "count", "reset", "hold", "held_until"):
        real = getattr(primary, name)

        def counted(*args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            probe.calls += 1
            try:
                return _real(*args, **kwargs)
            except Exception:
                probe.failures += 1
                raise

        monkeypatch.setattr(primary, name, counted)


@pytest.fixture
def node(database_url: str, settings_factory: Callable[..., Settings], clock: MovableClock,
         private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    settings = settings_factory(database_url=database_url, redis_url=private_redis.url,
                                trusted_proxies="127.0.0.1/32", rate_limits=f"{NETWORK_LIMIT}/10m/ip")
    services = build_services(settings, clock=clock)
    store = services.throttle.store
    assert isinstance(store, FallbackStore), "BASTION_REDIS_URL must give Redis with the database as fallback"
    probe = Probe()
    _count_redis_calls(monkeypatch, store, probe)
    accounts = {}
    for role in ("victim", "bystander", "other"):
        accounts[role] = f"{role}@example.com"
        create_account(services, accounts[role], DEFAULT_PASSWORD, roles=[], verified=True)
    with TestClient(create_app(services, deliver_mail=False), client=("127.0.0.1", 40000),
                    raise_server_exceptions=False) as client:
        yield Node(client, services, store, probe, accounts)
    services.close()


def code_of(answer) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
    return answer.status_code, answer.json().get("code")


# Through the API ---------------------------------------------------------------------------

def test_sign_in_keeps_its_limits_through_a_redis_outage_and_after_it(
    node: Node, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim, bystander, other = (node.accounts[r] for r in ("victim", "bystander", "other"))
    attacker = "198.51.100.66"

    # Redis up: counters go there.
    assert node.login(bystander, ip="192.0.2.1").json()["status"] == "authenticated"
    assert code_of(node.login(other, WRONG, ip="192.0.2.2")) == (401, "credentials.invalid")
    assert private_redis.keys(), "the failure should be counted in Redis"
    assert not node.store.degraded and node.probe.failures == 0

    # Redis goes away mid-test.
    private_redis.stop()
    node.probe.latencies.clear()
    started = time.monotonic()

    assert node.login(bystander, ip="192.0.2.3").json()["status"] == "authenticated"
    assert node.store.degraded
    # requirements §2: 5 failures lock the identifier, even with the right password next.
    for n in range(1, 6):
        assert code_of(node.login(victim, WRONG, ip=f"203.0.113.{n}")) == (401, "credentials.invalid"), n
    locked = node.login(victim, ip="203.0.113.9")
    assert code_of(locked) == (429, "account.locked")
    assert 1 <= int(locked.headers["Retry-After"]) <= 30
    # requirements §3: an IP over its limit is held, whatever it submits (from a device that never signed in
    # to the account: a known device skips the network's holds as it skips the email's).
    for n in range(NETWORK_LIMIT):
        assert code_of(node.login(f"nobody{n}@example.com", WRONG, ip=attacker)) == (401, "credentials.invalid"), n
    node.client.cookies.clear()
    held = node.login(bystander, ip=attacker)
    assert code_of(held) == (429, "ip.throttled")
    assert 800 < int(held.headers["Retry-After"]) <= 900
    # Everyone else still signs in.
    assert node.login(bystander, ip="192.0.2.4").json()["status"] == "authenticated"

    elapsed = time.monotonic() - started
    assert len(node.probe.latencies) == 17
    # The outage costs one failed try per `retry_after` (5 s), not one per request or per counter.
    assert 1 <= node.probe.failures <= 1 + int(elapsed / node.store.retry_after), (node.probe.failures, elapsed)

    # Redis comes back, empty (nothing on disk), on the same port; `retry_after` has passed.
    private_redis.start()
    monkeypatch.setattr(node.store, "retry_after", 0.0)
    failures_before = node.probe.failures
    # The lock placed during the outage (in the database only) still holds...
    assert code_of(node.login(victim, ip="203.0.113.10")) == (429, "account.locked")
    # ...and so does the IP hold...
    node.client.cookies.clear()
    assert code_of(node.login(bystander, ip=attacker)) == (429, "ip.throttled")
    # ...while everyone else signs in, and counters go to Redis again.
    assert node.login(bystander, ip="192.0.2.5").json()["status"] == "authenticated"
    assert code_of(node.login(other, WRONG, ip="192.0.2.6")) == (401, "credentials.invalid")
    assert node.probe.failures == failures_before
    assert private_redis.keys()
    assert not node.store.degraded and node.store.recently_degraded


def test_a_hung_redis_costs_one_short_timeout_not_one_per_request(
    node: Node, private_redis: PrivateRedis
) -> None:
    """SIGSTOP: connections are accepted but never answered; only the socket timeout ends a call."""
    victim, bystander = node.accounts["victim"], node.accounts["bystander"]
    assert node.login(bystander).status_code == 200
    private_redis.pause()
    try:
        node.probe.latencies.clear()
        started = time.monotonic()
        for n in range(1, 6):
            assert code_of(node.login(victim, WRONG, ip=f"203.0.113.{n}")) == (401, "credentials.invalid"), n
        assert code_of(node.login(victim, ip="203.0.113.9")) == (429, "account.locked")
        for n in range(4):
            assert node.login(bystander, ip=f"192.0.2.{10 + n}").json()["status"] == "authenticated"
        elapsed = time.monotonic() - started
    finally:
        private_redis.resume()
    # Counted, not timed: each request would otherwise wait on the hung Redis at every counter call.
    assert 1 <= node.probe.failures <= 1 + int(elapsed / node.store.retry_after), (node.probe.failures, elapsed)


# The store on its own ----------------------------------------------------------------------

class FlakyRedis(MemoryStore):
    """Stands in for RedisStore: a working store that can be made unreachable, counting calls."""

    name = "redis"

    def __init__(self) -> None:
        super().__init__()
        self.up = True
        self.calls = 0
        self.marks: set[str] = set()

    def _check(self) -> None:
        self.calls += 1
        if not self.up:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def increment(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._check()
        return super().increment(*args, **kwargs)

    def count(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._check()
        return super().count(*args, **kwargs)

    def increment_unless_held(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._check()
        return super().increment_unless_held(*args, **kwargs)

    def reset(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._check()
        return super().reset(*args, **kwargs)

    def reset_and_check_mark(self, mark: str, *keys: str) -> bool:
        self._check()
        super().reset(*keys)
        return mark in self.marks

    def set_mark(self, mark: str, seconds: float) -> None:
        self._check()
        self.marks.add(mark)

    def hold(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._check()
        return super().hold(*args, **kwargs)

    def held_until(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._check()
        return super().held_until(*args, **kwargs)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def fallback(database_url: str) -> Iterator[tuple[FallbackStore, FlakyRedis, DatabaseStore, FakeMonotonic]]:
    database = Database(database_url)
    primary, secondary, monotonic = FlakyRedis(), DatabaseStore(database), FakeMonotonic()
    store = FallbackStore(primary, secondary, retry_after=5.0, remember=3600.0, monotonic=monotonic)  # type: ignore[arg-type]
    yield store, primary, secondary, monotonic
    database.dispose()


def test_fallback_uses_the_database_while_degraded_and_redis_again_after_retry_after(fallback, clock) -> None:  # type: ignore[no-untyped-def]
    store, primary, secondary, monotonic = fallback
    now, window = clock.now(), timedelta(minutes=10)
    key, lock = "k:" + uuid.uuid4().hex, "h:" + uuid.uuid4().hex

    # Steady state: Redis only.
    assert store.increment(key, window, now) == 1
    assert (primary.count(key, now), secondary.count(key, now)) == (1, 0)
    assert not store.degraded and not store.recently_degraded

    # Redis fails: that call and the following ones go to the database, without touching Redis.
    primary.up = False
    calls = primary.calls
    assert store.increment(key, window, now) == 1  # the database's own count
    assert store.degraded and primary.calls == calls + 1
    store.hold(lock, now + timedelta(minutes=15), now)
    assert store.increment(key, window, now) == 2
    assert store.held_until(lock, now) == now + timedelta(minutes=15)
    assert secondary.count(key, now) == 2 and secondary.held_until(lock, now) is not None
    monotonic.value += 4.9
    primary.up = True  # back, but not tried before retry_after
    assert store.count(key, now) == 2
    assert primary.calls == calls + 1

    # After retry_after: Redis again; while "recently degraded" the database's counts and holds still count.
    monotonic.value += 0.2
    assert not store.degraded and store.recently_degraded
    assert store.held_until(lock, now) == now + timedelta(minutes=15)  # placed during the outage
    assert store.count(key, now) == 2  # the larger of Redis (1) and the database (2)
    assert store.increment(key, window, now) == 4  # Redis 2 + database 2
    assert primary.calls > calls + 1 and primary.count(key, now) == 2

    # Still down when retried: one more try, then the database again for retry_after.
    primary.up = False
    monotonic.value += 10
    calls = primary.calls
    for _ in range(5):
        assert store.held_until(lock, now) is not None
    assert primary.calls == calls + 1
    primary.up = True

    # Long after the outage (`remember`), only Redis is read.
    monotonic.value += 3600
    assert not store.recently_degraded
    calls = primary.calls
    assert store.held_until(lock, now) is None and store.count(key, now) == 2
    assert primary.calls == calls + 3  # the two reads, after the mark owed for the second outage


def test_a_success_during_the_outage_resets_the_count_for_good(fallback, clock) -> None:  # type: ignore[no-untyped-def]
    """requirements §2: a success resets the count — also when it happened while Redis was away."""
    store, primary, _, monotonic = fallback
    now = clock.now()
    throttle_key = SignInThrottle.identifier_key(f"owner-{uuid.uuid4().hex[:6]}@example.com")
    for _ in range(4):  # four typos, counted in Redis
        store.increment(throttle_key, timedelta(days=30), now, sliding=True)
    primary.up = False
    store.reset(throttle_key)  # the owner signs in during the outage
    primary.up = True
    monotonic.value += 6  # Redis is tried again
    # One more typo after the outage is the first of a new run, not the fifth.
    assert store.increment(throttle_key, timedelta(days=30), now, sliding=True) == 1


def test_in_steady_state_a_reset_touches_only_redis(fallback, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store, primary, secondary, _ = fallback
    deleted: list[tuple[str, ...]] = []
    monkeypatch.setattr(secondary, "reset", lambda *keys: deleted.append(keys))
    key = SignInThrottle.identifier_key(f"steady-{uuid.uuid4().hex[:6]}@example.com")
    store.increment(key, timedelta(days=30), clock.now(), sliding=True)
    store.reset(key)
    assert deleted == [] and primary.count(key, clock.now()) == 0


def test_after_one_nodes_outage_every_nodes_reset_clears_the_database_too(fallback, clock) -> None:  # type: ignore[no-untyped-def]
    """Node B counted failures in the database while Redis was away; the owner then signs in through
    node A, which never lost Redis: B must not keep the old count."""
    node_b, shared_redis, database, monotonic = fallback
    node_a = FallbackStore(shared_redis, database, retry_after=5.0, remember=3600.0, monotonic=monotonic)  # type: ignore[arg-type]
    now = clock.now()
    key = SignInThrottle.identifier_key(f"two-nodes-{uuid.uuid4().hex[:6]}@example.com")
    shared_redis.up = False
    for _ in range(4):
        node_b.increment(key, timedelta(days=30), now, sliding=True)
    assert database.count(key, now) == 4
    shared_redis.up = True
    monotonic.value += 6
    assert node_b.count(key, now) == 4  # back on Redis; still reads the database's counts, and sets the mark
    node_a.reset(key)  # the owner's success, through the other node
    assert database.count(key, now) == 0
    assert node_b.increment(key, timedelta(days=30), now, sliding=True) == 1
