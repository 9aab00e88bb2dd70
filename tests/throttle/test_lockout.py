"""Lockouts per requirements §1-6 through the HTTP API, with the client IP set by a trusted proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from bastion.services import Services
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.client import sign_device_id
from tests.conftest import DEFAULT_PASSWORD

WRONG = "definitely not the password"


@dataclass
class Proxied:
    client: TestClient
    services: Services

    def login(self, email: str, password: str = DEFAULT_PASSWORD, ip: str = "198.51.100.7",
              device: str | None = None):  # type: ignore[no-untyped-def]
        headers = {"X-Forwarded-For": ip}
        if device:
            headers["X-Device-Id"] = sign_device_id(self.services.keys, device)
        return self.client.post("/v1/login", json={"email": email, "password": password}, headers=headers)


@pytest.fixture
def proxied(database_url, settings_factory, clock) -> Iterator[Proxied]:  # type: ignore[no-untyped-def]
    services = build_services(settings_factory(database_url=database_url, trusted_proxies="127.0.0.1/32"),
                              clock=clock)
    with TestClient(create_app(services, deliver_mail=False), client=("127.0.0.1", 40000),
                    raise_server_exceptions=False) as client:
        yield Proxied(client, services)
    services.close()


@pytest.fixture
def victim(proxied: Proxied) -> dict[str, str]:
    from bastion.accounts.admin import create_account

    account_id = create_account(proxied.services, "victim@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
    return {"id": account_id, "email": "victim@example.com"}


def count_hashes(monkeypatch: pytest.MonkeyPatch, services: Services) -> list[int]:
    calls: list[int] = []
    real = services.passwords.verify
    monkeypatch.setattr(services.passwords, "verify", lambda *args: calls.append(1) or real(*args))
    return calls


def test_five_failures_pause_the_identifier_for_30_seconds_before_any_hash(
    proxied: Proxied, victim, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        assert proxied.login(victim["email"], WRONG).json()["code"] == "credentials.invalid"
    hashes = count_hashes(monkeypatch, proxied.services)
    locked = proxied.login(victim["email"])  # even the right password waits
    assert locked.status_code == 429 and locked.json()["code"] == "account.locked"
    assert locked.headers["retry-after"] == "30" and locked.json()["retry_after"] == 30
    assert hashes == []  # refused before any password hash
    clock.advance(seconds=31)
    assert proxied.login(victim["email"]).json()["status"] == "authenticated"


def test_the_pause_doubles_from_30_seconds_up_to_15_minutes(proxied: Proxied, victim, clock) -> None:
    for _ in range(5):
        proxied.login(victim["email"], WRONG)
    waits = []
    for _ in range(7):
        locked = proxied.login(victim["email"])
        assert locked.json()["code"] == "account.locked"
        waits.append(locked.json()["retry_after"])
        clock.advance(seconds=waits[-1])
        assert proxied.login(victim["email"], WRONG).json()["code"] == "credentials.invalid"
    assert waits == [30, 60, 120, 240, 480, 900, 900]


def test_a_success_resets_the_count(proxied: Proxied, victim) -> None:
    for _ in range(4):
        proxied.login(victim["email"], WRONG)
    assert proxied.login(victim["email"]).json()["status"] == "authenticated"
    for _ in range(4):
        assert proxied.login(victim["email"], WRONG).json()["code"] == "credentials.invalid"
    assert proxied.login(victim["email"]).json()["status"] == "authenticated"


def test_unknown_identifiers_lock_the_same_way(proxied: Proxied, victim) -> None:
    answers = {}
    for email in (victim["email"], "nobody@example.com"):
        for _ in range(5):
            proxied.login(email, WRONG)
        answer = proxied.login(email, WRONG)
        body = answer.json()
        body.pop("reference")
        answers[email] = (answer.status_code, body)
    assert answers[victim["email"]] == answers["nobody@example.com"]
    assert answers["nobody@example.com"][1]["code"] == "account.locked"


def test_100_consecutive_failures_switch_password_sign_in_off(proxied: Proxied, victim, clock) -> None:
    failures = 0
    while failures < 100:
        answer = proxied.login(victim["email"], WRONG, ip=f"203.0.{failures // 40}.{failures % 40 + 1}")
        if answer.json()["code"] == "account.locked":
            clock.advance(seconds=answer.json()["retry_after"])
            continue
        assert answer.json()["code"] == "credentials.invalid"
        failures += 1
    clock.advance(minutes=16)
    answer = proxied.login(victim["email"])
    assert answer.status_code == 403 and answer.json()["code"] == "account.password_disabled"
    proxied.services.throttle.clear_identifier(victim["email"])  # what a completed password reset does
    assert proxied.login(victim["email"]).json()["status"] == "authenticated"


def test_known_device_signs_in_while_an_attacker_locks_the_email_from_many_ips(proxied: Proxied, victim) -> None:
    assert proxied.login(victim["email"], device="owner-phone").json()["status"] == "authenticated"
    for attempt in range(30):
        proxied.login(victim["email"], WRONG, ip=f"192.0.2.{attempt + 1}", device=f"attacker-{attempt}")
    assert proxied.login(victim["email"], ip="192.0.2.200").json()["code"] == "account.locked"
    owner = proxied.login(victim["email"], ip="198.51.100.99", device="owner-phone")
    assert owner.json()["status"] == "authenticated"


def test_a_known_device_has_its_own_counter(proxied: Proxied, victim, clock) -> None:
    proxied.login(victim["email"], device="shared-laptop")
    for _ in range(5):
        proxied.login(victim["email"], WRONG, device="shared-laptop")
    locked = proxied.login(victim["email"], device="shared-laptop")
    assert locked.json()["code"] == "account.locked" and locked.json()["retry_after"] == 30
    # The identifier itself was not counted: a new device is not paused.
    assert proxied.login(victim["email"], device="new-tablet").json()["status"] == "authenticated"


def test_50_failures_from_one_ip_in_10_minutes_hold_it_for_15_minutes(proxied: Proxied, victim, clock) -> None:
    for attempt in range(50):
        assert proxied.login(f"user{attempt}@example.com", WRONG, ip="203.0.113.9").json()["code"] == \
            "credentials.invalid"
    held = proxied.login(victim["email"], ip="203.0.113.9")
    assert held.status_code == 429 and held.json()["code"] == "ip.throttled"
    assert held.json()["retry_after"] == 900 and held.headers["retry-after"] == "900"
    assert proxied.login(victim["email"], ip="203.0.113.10").json()["status"] == "authenticated"
    clock.advance(minutes=15, seconds=1)
    assert proxied.login(victim["email"], ip="203.0.113.9").json()["status"] == "authenticated"


def test_200_failures_from_one_subnet_hold_the_whole_subnet(proxied: Proxied, victim) -> None:
    for attempt in range(200):
        proxied.login(f"user{attempt}@example.com", WRONG, ip=f"203.0.114.{attempt % 40 + 1}")
    assert proxied.login(victim["email"], ip="203.0.114.250").json()["code"] == "ip.throttled"
    assert proxied.login(victim["email"], ip="203.0.115.1").json()["status"] == "authenticated"


def test_ipv6_subnets_are_56_bits(proxied: Proxied, victim) -> None:
    from bastion.throttle.rules import subnet_of

    assert subnet_of("2001:db8:aa:bb11::1") == "2001:db8:aa:bb00::/56"
    assert subnet_of("203.0.113.77") == "203.0.113.0/24"


def test_lockout_emails_the_owner_once_and_a_single_wrong_password_does_not(
    proxied: Proxied, victim, mailbox_for: Callable[[Services], object]
) -> None:
    mailbox = mailbox_for(proxied.services)
    proxied.login(victim["email"], WRONG)
    assert mailbox.messages(victim["email"]) == []
    for _ in range(4):
        proxied.login(victim["email"], WRONG)
    messages = mailbox.messages(victim["email"])
    assert [message["template"] for message in messages] == ["sign_in_locked"]
    text = messages[0]["text"]
    assert "5 wrong passwords" in text and "198.51.100.7" in text
    assert "/password-reset" in text and "/freeze?token=" in text


def test_every_refusal_carries_retry_after_when_it_has_one(proxied: Proxied, victim) -> None:
    for _ in range(6):
        answer = proxied.login(victim["email"], WRONG)
    assert answer.json()["code"] == "account.locked"
    assert int(answer.headers["retry-after"]) == answer.json()["retry_after"] > 0
