"""Risk signals on real sign-ins: addresses of several countries through a trusted proxy header."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from bastion.accounts.admin import create_account
from bastion.audit.models import SecurityEvent
from bastion.signin.models import SignInAttempt
from tests.conftest import DEFAULT_PASSWORD
from tests.risk.conftest import AWS, DE, GB, JP, Risky

WRONG = "definitely not the password"


def new_person(risky: Risky) -> str:
    email = f"risk-{uuid.uuid4().hex[:10]}@example.com"
    create_account(risky.services, email, DEFAULT_PASSWORD, roles=[], verified=True)
    return email


def status(answer) -> str:  # type: ignore[no-untyped-def]
    body = answer.json()
    return body["code"] if "code" in body else body["status"]


def test_the_first_sign_in_of_a_new_account_sets_the_baseline_without_verification(risky: Risky) -> None:
    email = new_person(risky)
    assert status(risky.login(email, GB)) == "authenticated"
    assert status(risky.login(email, GB)) == "authenticated"


def test_a_new_country_asks_for_verification_and_the_same_device_afterwards_does_not(
        risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email = new_person(risky)
    assert status(risky.login(email, GB)) == "authenticated"
    clock.advance(hours=12)
    asked = risky.login(email, DE)
    assert status(asked) == "device_verification_required"
    code, _, _ = risky.verification_mail(email, 1)
    assert status(risky.device_code(asked.json()["flow"]["id"], code, DE)) == "authenticated"
    clock.advance(hours=1)
    assert status(risky.login(email, DE)) == "authenticated"  # Germany is now a country of this account


def test_a_far_country_minutes_later_is_impossible_travel(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email = new_person(risky)
    assert status(risky.login(email, GB)) == "authenticated"
    clock.advance(minutes=20)
    asked = risky.login(email, JP)
    assert status(asked) == "device_verification_required"
    with risky.services.db.transaction() as tx:
        attempt = tx.execute(select(SignInAttempt).where(SignInAttempt.flow_id == asked.json()["flow"]["id"])
                             ).scalar_one()
        event = tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "risk.assessed")
                           .order_by(SecurityEvent.id.desc()).limit(1)).scalar_one()
    assert attempt.country == "JP" and attempt.risk is not None
    assert set(attempt.risk["signals"]) == {"new_country", "impossible_travel"}
    assert attempt.risk["decision"] == "verify" and event.data["signals"] == attempt.risk["signals"]


def test_a_hosting_provider_address_is_denied_by_the_default_policy_with_help(risky: Risky) -> None:
    email = new_person(risky)
    assert status(risky.login(email, GB)) == "authenticated"
    denied = risky.login(email, AWS)
    body = denied.json()
    assert denied.status_code == 403 and body["code"] == "risk.denied"
    assert any("VPN" in step for step in body["help"]) and body["reference"].startswith("R-")
    assert "signals" not in body  # what tripped is recorded, not told
    with risky.services.db.transaction() as tx:
        attempt = tx.execute(select(SignInAttempt).where(SignInAttempt.reference == body["reference"])).scalar_one()
        events = list(tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "risk.assessed")).scalars())
    assert attempt.risk["decision"] == "deny" and "anonymizer" in attempt.risk["signals"]
    assert any(event.data.get("reference") == body["reference"] for event in events)


def test_a_hosting_provider_address_verifies_when_the_policy_says_so(risky_factory: Callable[..., Risky]) -> None:
    risky = risky_factory(risk_policy="anonymizer=verify")
    email = new_person(risky)
    assert status(risky.login(email, AWS)) == "device_verification_required"  # even on a first sign-in


def test_strict_policy_verifies_a_second_device_but_not_the_first(risky_factory: Callable[..., Risky]) -> None:
    risky = risky_factory(risk_policy="new_device=verify")
    email = new_person(risky)
    assert status(risky.login(email, GB, device="laptop")) == "authenticated"
    assert status(risky.login(email, GB, device="laptop")) == "authenticated"
    assert status(risky.login(email, GB, device="phone")) == "device_verification_required"


def test_many_wrong_passwords_in_an_hour_make_new_devices_verify_but_not_the_owners(
        risky_factory: Callable[..., Risky], clock) -> None:  # type: ignore[no-untyped-def]
    risky = risky_factory(risk_failure_velocity="5/1h")
    email = new_person(risky)
    assert status(risky.login(email, GB)) == "authenticated"
    for _ in range(5):
        assert status(risky.login(email, GB, password=WRONG, device="attacker")) == "credentials.invalid"
    # The owner's known device is neither paused nor slowed (requirements §4)…
    assert status(risky.login(email, GB)) == "authenticated"
    # …while the right password from a new device during the burst must prove the mailbox.
    clock.advance(seconds=31)
    assert status(risky.login(email, GB, device="new-laptop")) == "device_verification_required"
    clock.advance(hours=1, minutes=5)
    assert status(risky.login(email, GB, device="other-laptop")) == "authenticated"


def test_the_test_client_without_an_address_never_meets_location_signals(app_client, account_factory) -> None:  # type: ignore[no-untyped-def]
    account = account_factory()
    for _ in range(3):
        answer = app_client.post("/v1/login", json={"email": account["email"], "password": account["password"]})
        assert answer.json()["status"] == "authenticated"
