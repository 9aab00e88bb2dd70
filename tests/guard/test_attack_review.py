"""What an attack on a live server found after the guard landed (issue 17's review), each shown fixed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bastion.accounts.status import freeze_account
from bastion.context import Client
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.help.conftest import HOME_IP, Lab

WRONG = "not the password at all 1"
NEW_PASSWORD = "a brand new passphrase 42 kites"


def _during_the_hash(lab: Lab, monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Make `change` happen while a sign-in's password is being hashed (after its account was read)."""
    gate = lab.services.hash_gate
    run = gate.run

    def hashing_then_change(known: bool, work: Callable[[], Any], **options: Any) -> Any:
        result = run(known, work, **options)
        monkeypatch.setattr(gate, "run", run)  # once
        change()
        return result

    monkeypatch.setattr(gate, "run", hashing_then_change)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_freeze_during_the_hash_ends_the_sign_in(kind: str, lab_factory: Callable[..., Lab],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A sign-in that read the account before a freeze committed went on to issue a live session."""
    lab = lab_factory(kind=kind)
    owner = lab.account()
    _during_the_hash(lab, monkeypatch, lambda: freeze_account(lab.services, owner["id"], Client(), via="test"))
    answer = lab.login(owner["email"])
    assert answer.status_code == 403 and answer.json()["code"] == "account.frozen"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_password_reset_during_the_hash_refuses_the_old_password(kind: str, lab_factory: Callable[..., Lab],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    lab = lab_factory(kind=kind)
    owner = lab.account()
    assert lab.client.post("/v1/password-reset", json={"email": owner["email"]}).status_code == 202
    token = link_token(lab.mailbox.last(owner["email"])["text"], "/password-reset/confirm?token=")

    def reset() -> None:
        assert lab.client.post("/v1/password-reset/confirm",
                               json={"token": token, "new_password": NEW_PASSWORD}).status_code == 200

    _during_the_hash(lab, monkeypatch, reset)
    assert lab.login(owner["email"]).json()["code"] == "credentials.invalid"
    assert lab.login(owner["email"], NEW_PASSWORD).json()["status"] == "authenticated"


def test_made_up_tokens_from_the_owners_network_do_not_lock_out_the_owners_own_device(lab: Lab) -> None:
    """200 made-up tokens spread over a /24 held the whole network, the owner's known device with it."""
    owner = lab.account()
    assert lab.login(owner["email"], ip="203.0.113.250", device="desk").json()["status"] == "authenticated"
    for number in range(200):
        lab.client.post("/v1/accounts/verify-email", json={"token": f"made-up-token-{number:04d}-{'x' * 30}"},
                        headers={"X-Forwarded-For": f"203.0.113.{number % 40 + 1}"})
    stranger = lab.login(owner["email"], ip="203.0.113.251", device="new-laptop")
    assert stranger.status_code == 429 and stranger.json()["code"] == "ip.throttled"  # the network is held
    assert lab.login(owner["email"], ip="203.0.113.250", device="desk").json()["status"] == "authenticated"


def test_sign_ups_cannot_flood_an_address_with_confirmation_emails(lab: Lab) -> None:
    answers = [lab.client.post("/v1/accounts", json={"email": "bystander@example.org", "password": DEFAULT_PASSWORD},
                               headers={"X-Forwarded-For": f"2001:db8:bb:{number}::1"}) for number in range(8)]
    assert [answer.status_code for answer in answers] == [202] * 5 + [429] * 3
    assert len(lab.mailbox.messages("bystander@example.org")) <= 5


def test_an_email_with_a_nul_character_is_refused_as_invalid(any_lab: Lab) -> None:
    for path in ("/v1/login", "/v1/mfa-reset", "/v1/password-reset", "/v1/accounts"):
        answer = any_lab.client.post(path, json={"email": "a\u0000b@example.com", "password": DEFAULT_PASSWORD},
                                     headers={"X-Forwarded-For": HOME_IP})
        assert answer.status_code == 422 and answer.json()["code"] == "request.invalid", (path, answer.text)
