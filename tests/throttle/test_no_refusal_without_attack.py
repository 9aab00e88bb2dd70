"""With no attack on, nobody is turned away: people wait their turn in the hash queue instead.

Hashing is made slow here (a sleep beside the real hash) so that the requests really overlap,
as they do at production argon2 parameters, and the queue's estimate of a hash is set to that
time: what is checked is the admission decisions and the answers, not how fast this machine
hashes while other tests run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.services import Services
from bastion.startup import build_services
from bastion.throttle.admission import HashTime
from bastion.web.app import create_app
from bastion.web.client import sign_device_id
from tests.conftest import DEFAULT_PASSWORD


@pytest.fixture
def proxied(database_url, settings_factory, clock) -> Iterator[tuple[Services, TestClient]]:  # type: ignore[no-untyped-def]
    """The app behind a trusted proxy, so each request can come from its own address."""
    services = build_services(settings_factory(database_url=database_url, trusted_proxies="127.0.0.1/32"),
                              clock=clock)
    app = create_app(services, deliver_mail=False)
    with TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False) as client:
        yield services, client
    services.close()


def slowed(services: Services, name: str, seconds: float, peaks: list[int]) -> None:
    """Make `services.passwords.<name>` take `seconds` longer, noting how many hashes are queued or
    running (this one included) each time one starts."""
    real: Callable[..., Any] = getattr(services.passwords, name)
    services.hash_gate.hash_time = HashTime(initial=seconds, weight=0.0)

    def slow(*args: Any) -> Any:
        state = services.hash_gate.state()
        peaks.append(int(state["queued"] + state["running"]))
        time.sleep(seconds)
        return real(*args)

    setattr(services.passwords, name, slow)


def test_six_new_devices_signing_in_at_the_same_moment_are_all_let_in(proxied, account_factory) -> None:
    services, client = proxied
    accounts = [account_factory() for _ in range(6)]
    peaks: list[int] = []
    slowed(services, "verify", 0.3, peaks)
    start = threading.Barrier(len(accounts))

    def sign_in(number: int) -> int:
        start.wait()
        # No device identifier, no cookie: six people on devices Bastion has never seen.
        answer = client.post("/v1/login", json={"email": accounts[number]["email"], "password": DEFAULT_PASSWORD},
                             headers={"X-Forwarded-For": f"198.51.100.{10 + number}"})
        return answer.status_code

    with ThreadPoolExecutor(len(accounts)) as pool:
        statuses = list(pool.map(sign_in, range(len(accounts))))
    assert statuses == [200] * 6
    assert max(peaks) >= 3  # they did arrive together: some waited while others' hashes ran
    assert services.hash_gate.refused == {}


def test_twelve_sign_ups_four_a_second_are_all_accepted(proxied, mailbox) -> None:
    services, client = proxied
    peaks: list[int] = []
    slowed(services, "hash", 0.4, peaks)  # more than one hash in flight most of the time
    started = time.monotonic()

    def sign_up(number: int) -> int:
        time.sleep(max(0.0, started + number / 4 - time.monotonic()))
        # New visitors, each from an address of their own (the sign-up limit counts per address).
        answer = client.post("/v1/accounts", json={"email": f"new{number}@example.com", "password": DEFAULT_PASSWORD},
                             headers={"X-Forwarded-For": f"203.0.113.{20 + number}"})
        return answer.status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(sign_up, range(12)))
    assert statuses == [202] * 12
    assert services.hash_gate.refused == {}
    assert max(peaks) >= 2  # a sign-up's hash found another's still queued or running
    assert all(mailbox.messages(f"new{number}@example.com") for number in range(12))  # every account was made


def test_a_person_signing_in_from_three_known_devices_at_once_is_let_in_on_each(proxied, account_factory) -> None:
    """Known devices of one account take at most two of the known devices' places at once; the
    third waits with the unrecognised, and with no attack on it is let in too."""
    services, client = proxied
    email = account_factory()["email"]
    devices = [sign_device_id(services.keys, f"own-device-{number}") for number in range(3)]
    for device in devices:  # each signs in once: from now on a device the account knows
        assert client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD},
                           headers={"X-Device-Id": device}).status_code == 200
    peaks: list[int] = []
    slowed(services, "verify", 0.3, peaks)
    start = threading.Barrier(len(devices))

    def sign_in(device: str) -> int:
        start.wait()
        return client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD},
                           headers={"X-Device-Id": device}).status_code

    with ThreadPoolExecutor(len(devices)) as pool:
        statuses = list(pool.map(sign_in, devices))
    assert statuses == [200] * 3
    assert services.hash_gate.refused == {"account_in_flight": 1}  # not refused: queued with the unrecognised


def test_when_the_queue_has_no_room_an_unrecognised_device_is_refused_before_any_write(proxied, account_factory) -> None:
    """A flood of device identifiers no account knows passes the door as signed; the route turns each
    away before counting its attempt (a write, then another to take it back)."""
    services, client = proxied
    email = account_factory()["email"]
    services.hash_gate.budget = -1.0  # no room for anyone without a place
    writes: list[str] = []
    store = services.throttle.store
    for name in ("increment_unless_held", "decrement"):
        real = getattr(store, name)
        setattr(store, name, lambda *args, _real=real, _name=name, **options: (writes.append(_name),
                                                                              _real(*args, **options))[1])
    answer = client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD},
                         headers={"X-Device-Id": sign_device_id(services.keys, "minted-elsewhere"),
                                  "X-Forwarded-For": "198.51.100.77"})
    assert answer.status_code == 429 and answer.json()["code"] == "rate_limited"
    assert writes == [] and services.hash_gate.refused["wait_over_budget"] == 1


def test_a_device_signed_in_to_its_account_a_week_ago_is_established_in_the_hash_queue(proxied, account_factory,
                                                                                       clock) -> None:
    """Under a flood of the attacker's own recent accounts, an owner's device that has signed in
    for a week or more keeps a known place (bastion/throttle/admission.py, ESTABLISHED_DEVICE_DAYS)."""
    services, client = proxied
    email = account_factory()["email"]
    device = sign_device_id(services.keys, "owner-phone")
    seen: list[dict[str, Any]] = []
    real_run = services.hash_gate.run

    def run(known: bool, work: Callable[[], Any], **options: Any) -> Any:
        seen.append({"known": known, **options})
        return real_run(known, work, **options)

    services.hash_gate.run = run  # type: ignore[method-assign]

    def sign_in() -> tuple[bool, bool]:
        answer = client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD},
                             headers={"X-Device-Id": device})
        assert answer.status_code == 200
        return seen[-1]["known"], seen[-1]["established"]

    assert sign_in() == (False, False)  # its first sign-in: from now on a device the account knows
    clock.advance(days=6, hours=23)
    assert sign_in() == (True, False)  # not yet a week
    clock.advance(hours=2)
    assert sign_in() == (True, True)
