"""Issue 18, finding 1: no account is taken over before its address is confirmed.

Each sign-up of an unconfirmed address keeps its own password with its own link; the link that
is confirmed decides the password, whoever signed up first or last. The first confirmation (by
link or by a password reset) clears anything attached to the account before it: sessions,
second factors, passkeys, backup codes, trusted devices, the IP allowlist, the anti-phishing
code, and every other open confirmation link.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.accounts.models import Device
from bastion.accounts.repo import find_account_by_email
from bastion.context import Client
from bastion.mfa.backup_codes import codes as backup_codes
from bastion.mfa.backup_codes.models import BackupCodeSet
from bastion.mfa.passkeys.models import Passkey
from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.mfa.totp.models import TotpCredential
from bastion.notify.outbox import anti_phishing_aad
from bastion.sessions.models import Session
from bastion.sessions.tokens import issue_session
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.conftest import link_token

VICTIM = "victim@example.com"
ATTACKERS = "granite picked 41 juniper canoes"
VICTIMS = "orchid violin 77 harbour lanterns"


@pytest.fixture
def services(database_url, settings_factory, clock):  # type: ignore[no-untyped-def]
    """Requests come through a trusted proxy, so each sign-up can come from its own address."""
    built = build_services(settings_factory(database_url=database_url, trusted_proxies="127.0.0.1/32"), clock=clock)
    yield built
    built.close()


@pytest.fixture
def app_client(services):  # type: ignore[no-untyped-def]
    with TestClient(create_app(services, deliver_mail=False), client=("127.0.0.1", 40000),
                    raise_server_exceptions=False) as client:
        yield client


def sign_up(client, email: str, password: str, ip: str = "198.51.100.7"):  # type: ignore[no-untyped-def]
    answer = client.post("/v1/accounts", json={"email": email, "password": password},
                         headers={"X-Forwarded-For": ip})
    assert answer.status_code == 202, answer.text
    return answer


def confirm(client, token: str, password: str | None = None):  # type: ignore[no-untyped-def]
    """An address signed up more than once is confirmed with the password of the link's sign-up."""
    return client.post("/v1/accounts/verify-email", json={"token": token, "password": password})


def login(client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/login", json={"email": email, "password": password})


def links(mailbox, email: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [link_token(m["text"]) for m in mailbox.messages(email) if m["template"] == "verify_email"]


def plant_attackers_state(services, email: str) -> str:  # type: ignore[no-untyped-def]
    """What an attacker would attach to an unconfirmed account if any door let them: returns a session token."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        account = find_account_by_email(tx, email)
        totp_repo.enrol_confirmed(tx, services.keys, account.id, totp.new_secret(), now)
        backup_codes.issue_set(tx, services.keys, account.id, now)
        tx.add(Passkey(account_id=account.id, credential_id="attackers-key", public_key="pk", name="attacker's",
                       created_at=now))
        tx.add(Device(account_id=account.id, device_hash="d" * 64, first_seen_at=now, last_seen_at=now,
                      trusted_until=now + timedelta(days=30), trust_fingerprint="f" * 64))
        account.ip_allowlist = ["203.0.113.0/24"]
        account.anti_phishing_code = services.keys.encrypt("ATTACKER", anti_phishing_aad(account.id))
        token, _ = issue_session(services, tx, account.id, Client(ip="203.0.113.9"), remember=True)
    return token


def assert_nothing_of_the_attacker_is_left(app_client, services, email: str, session_token: str) -> None:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        account = find_account_by_email(tx, email)
        assert tx.execute(select(TotpCredential).where(TotpCredential.account_id == account.id)).first() is None
        assert tx.execute(select(Passkey).where(Passkey.account_id == account.id)).first() is None
        assert tx.execute(select(BackupCodeSet).where(BackupCodeSet.account_id == account.id,
                                                      BackupCodeSet.voided_at.is_(None))).first() is None
        assert tx.execute(select(Device).where(Device.account_id == account.id,
                                               Device.device_hash == "d" * 64)).first() is None
        assert tx.execute(select(Session.revoke_reason).where(Session.account_id == account.id,
                                                              Session.ip == "203.0.113.9")).scalar_one() == "email_confirmed"
        assert account.ip_allowlist == [] and account.anti_phishing_code is None
    answer = app_client.get("/v1/session", headers={"Authorization": f"Bearer {session_token}"})
    assert answer.status_code == 401, answer.text


def test_an_unconfirmed_account_cannot_sign_in(app_client, mailbox) -> None:
    sign_up(app_client, VICTIM, ATTACKERS)
    answer = login(app_client, VICTIM, ATTACKERS)
    assert answer.status_code == 403 and answer.json()["code"] == "account.email_unverified"
    assert "session" not in answer.json()


def test_the_attacker_signs_up_first_the_victim_confirms_the_newest_link(app_client, mailbox, services) -> None:
    sign_up(app_client, VICTIM, ATTACKERS, ip="203.0.113.9")
    planted = plant_attackers_state(services, VICTIM)
    sign_up(app_client, VICTIM, VICTIMS)
    attackers_link, victims_link = links(mailbox, VICTIM)

    assert confirm(app_client, victims_link, VICTIMS).status_code == 200
    assert login(app_client, VICTIM, VICTIMS).json()["status"] == "authenticated"
    refused = login(app_client, VICTIM, ATTACKERS)
    assert refused.status_code == 401 and refused.json()["code"] == "credentials.invalid"
    assert_nothing_of_the_attacker_is_left(app_client, services, VICTIM, planted)
    # The attacker's link (in the victim's mailbox) confirms nothing any more and changes no password.
    assert confirm(app_client, attackers_link).json()["code"] == "token.invalid"
    assert login(app_client, VICTIM, VICTIMS).json()["status"] == "authenticated"


def test_the_victims_older_link_still_gives_the_victims_password(app_client, mailbox, services) -> None:
    sign_up(app_client, VICTIM, VICTIMS)
    sign_up(app_client, VICTIM, ATTACKERS, ip="203.0.113.9")
    planted = plant_attackers_state(services, VICTIM)
    victims_link, attackers_link = links(mailbox, VICTIM)

    assert confirm(app_client, victims_link, VICTIMS).status_code == 200
    assert login(app_client, VICTIM, VICTIMS).json()["status"] == "authenticated"
    assert login(app_client, VICTIM, ATTACKERS).json()["code"] == "credentials.invalid"
    assert_nothing_of_the_attacker_is_left(app_client, services, VICTIM, planted)
    assert confirm(app_client, attackers_link).json()["code"] == "token.invalid"


def test_each_email_says_when_and_from_where_its_sign_up_came(app_client, mailbox) -> None:
    sign_up(app_client, VICTIM, VICTIMS, ip="198.51.100.7")
    sign_up(app_client, VICTIM, ATTACKERS, ip="203.0.113.9")
    first, second = [m["text"] for m in mailbox.messages(VICTIM) if m["template"] == "verify_email"]
    assert "198.51.100.7" in first and "203.0.113.9" not in first
    assert "203.0.113.9" in second and "198.51.100.7" not in second
    for text in (first, second):
        assert VICTIMS not in text and ATTACKERS not in text


def test_signing_up_again_keeps_each_link_for_its_own_password(app_client, mailbox) -> None:
    sign_up(app_client, "twice@example.com", VICTIMS)
    sign_up(app_client, "twice@example.com", ATTACKERS)
    first, second = links(mailbox, "twice@example.com")
    assert confirm(app_client, second, ATTACKERS).status_code == 200
    assert login(app_client, "twice@example.com", ATTACKERS).json()["status"] == "authenticated"
    assert confirm(app_client, first).json()["code"] == "token.invalid"
    assert login(app_client, "twice@example.com", VICTIMS).json()["code"] == "credentials.invalid"


def test_a_password_reset_is_a_first_confirmation_too(app_client, mailbox, services) -> None:
    sign_up(app_client, VICTIM, ATTACKERS, ip="203.0.113.9")
    planted = plant_attackers_state(services, VICTIM)
    (attackers_link,) = links(mailbox, VICTIM)
    app_client.post("/v1/password-reset", json={"email": VICTIM})
    reset = link_token(mailbox.last(VICTIM)["text"], "/password-reset/confirm?token=")
    answer = app_client.post("/v1/password-reset/confirm", json={"token": reset, "new_password": VICTIMS})
    assert answer.status_code == 200, answer.text

    assert login(app_client, VICTIM, VICTIMS).json()["status"] == "authenticated"
    assert_nothing_of_the_attacker_is_left(app_client, services, VICTIM, planted)
    assert confirm(app_client, attackers_link).json()["code"] == "token.invalid"
    assert login(app_client, VICTIM, VICTIMS).json()["status"] == "authenticated"


def test_a_confirmed_account_keeps_what_its_owner_set_up(app_client, mailbox, services) -> None:
    """Only the first confirmation clears: a later sign-up attempt or reset leaves the owner's factors alone."""
    sign_up(app_client, VICTIM, VICTIMS)
    assert confirm(app_client, links(mailbox, VICTIM)[-1]).status_code == 200
    now = services.clock.now()
    with services.db.transaction() as tx:
        totp_repo.enrol_confirmed(tx, services.keys, find_account_by_email(tx, VICTIM).id, totp.new_secret(), now)
    sign_up(app_client, VICTIM, ATTACKERS)
    assert mailbox.last(VICTIM)["template"] == "signup_existing"
    assert login(app_client, VICTIM, VICTIMS).json()["status"] == "mfa_required"


def test_resending_sends_each_open_sign_up_its_own_link(app_client, mailbox) -> None:
    sign_up(app_client, VICTIM, VICTIMS, ip="198.51.100.7")
    sign_up(app_client, VICTIM, ATTACKERS, ip="203.0.113.9")
    answer = app_client.post("/v1/accounts/resend-verification", json={"email": VICTIM})
    assert answer.status_code == 202
    mails = [m["text"] for m in mailbox.messages(VICTIM) if m["template"] == "verify_email"]
    assert len(mails) == 4
    old = [link_token(text) for text in mails[:2]]
    resent = {re.search(r"\d+\.\d+\.\d+\.\d+", text).group(): link_token(text) for text in mails[2:]}
    for token in old:  # the resend replaced them
        assert confirm(app_client, token).json()["code"] == "token.invalid"
    assert confirm(app_client, resent["198.51.100.7"], VICTIMS).status_code == 200
    assert login(app_client, VICTIM, VICTIMS).json()["status"] == "authenticated"
    assert confirm(app_client, resent["203.0.113.9"]).json()["code"] == "token.invalid"


def test_resending_after_every_link_expired_says_how_to_finish(app_client, mailbox, clock) -> None:
    sign_up(app_client, VICTIM, VICTIMS)
    clock.advance(hours=25)
    assert app_client.post("/v1/accounts/resend-verification", json={"email": VICTIM}).status_code == 202
    expired = mailbox.last(VICTIM)
    assert expired["template"] == "verify_email_expired"
    assert "/signup" in expired["text"] and "/password-reset" in expired["text"]
    assert "/confirm?token=" not in expired["text"]


def test_an_operators_unconfirmed_account_confirms_with_the_operators_password(app_client, mailbox,
                                                                              account_factory) -> None:
    account = account_factory(email="made@example.com", verified=False)
    assert app_client.post("/v1/accounts/resend-verification", json={"email": account["email"]}).status_code == 202
    assert "operator" in mailbox.last(account["email"])["text"]
    assert confirm(app_client, links(mailbox, account["email"])[-1]).status_code == 200
    assert login(app_client, account["email"], account["password"]).json()["status"] == "authenticated"


def test_an_address_signed_up_twice_is_confirmed_only_with_the_links_own_password(app_client, mailbox) -> None:
    """Emails may arrive in either order: whichever link the owner clicks, only the password they chose
    confirms the address — the attacker's link with the owner's password confirms nothing."""
    attacker, owner = "attacker chosen cobalt 4417", "owner picked marble 9023 tulip"
    for password in (attacker, owner):
        assert app_client.post("/v1/accounts", json={"email": "newcomer@example.net",
                                                     "password": password}).status_code == 202
    attackers_link, owners_link = (link_token(mail["text"]) for mail in mailbox.messages("newcomer@example.net"))
    asked = app_client.post("/v1/accounts/verify-email", json={"token": attackers_link})
    assert asked.status_code == 401 and asked.json()["code"] == "signup.password_required"
    wrong = app_client.post("/v1/accounts/verify-email", json={"token": attackers_link, "password": owner})
    assert wrong.json()["code"] == "signup.password_mismatch"
    assert app_client.post("/v1/accounts/verify-email", json={"token": owners_link,
                                                              "password": owner}).json() == {"status": "verified"}
    signed_in = app_client.post("/v1/login", json={"email": "newcomer@example.net", "password": owner})
    assert signed_in.json()["status"] == "authenticated"
    assert app_client.post("/v1/login", json={"email": "newcomer@example.net",
                                              "password": attacker}).json()["code"] == "credentials.invalid"


def test_the_confirmation_page_asks_for_the_password_when_the_address_was_signed_up_twice(app_client,
                                                                                        mailbox) -> None:
    for password in ("attacker chosen cobalt 4417", "owner picked marble 9023 tulip"):
        app_client.post("/v1/accounts", json={"email": "page@example.net", "password": password})
    token = link_token(mailbox.last("page@example.net")["text"])
    page = app_client.get(f"/confirm?token={token}")
    assert page.status_code == 200 and 'name="password"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    wrong = app_client.post("/confirm", data={"token": token, "password": "attacker chosen cobalt 4417",
                                              "csrf_token": csrf})
    assert wrong.status_code == 401 and "This link is for another sign-up" in wrong.text
    done = app_client.post("/confirm", data={"token": token, "password": "owner picked marble 9023 tulip",
                                             "csrf_token": csrf})
    assert done.status_code == 200
