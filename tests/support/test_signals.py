"""Risk signals beside a case: what in the account's past should make an agent look twice before handing
the account to whoever asked — each with its evidence, in words."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bastion.accounts.admin import create_account
from bastion.accounts.models import Account
from bastion.context import Client
from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.recovery.cases import request_case
from bastion.recovery.models import RecoveryCase
from bastion.signin.models import SignInAttempt
from bastion.store.types import new_id
from bastion.support.case_view import case_view
from bastion.support.words import signal_words
from tests.conftest import DEFAULT_PASSWORD

HOME = "145.53.10.7"  # the Netherlands
ABROAD = "81.2.69.142"  # the United Kingdom
ANONYMISER = "198.18.0.5"


def owner(services, clock, email: str) -> str:  # type: ignore[no-untyped-def]
    """An account of three months with an authenticator app, that signed in from home last week."""
    account_id = create_account(services, email, DEFAULT_PASSWORD, roles=[], verified=True)
    opened = clock.now() - timedelta(days=90)
    with services.db.transaction() as tx:
        tx.execute(update(Account).where(Account.id == account_id).values(created_at=opened,
                                                                          password_changed_at=opened))
        totp_repo.enrol_confirmed(tx, services.keys, account_id, totp.new_secret(), clock.now() - timedelta(days=60))
        tx.add(SignInAttempt(account_id=account_id, identifier=email, created_at=clock.now() - timedelta(days=8),
                             method="totp", outcome="success", ip=HOME, country="NL"))
    return account_id


def refused(services, clock, account_id: str, email: str, ip: str) -> None:  # type: ignore[no-untyped-def]
    """A refused sign-in two days ago (recorded as sign-in records it; long enough ago not to pause the email)."""
    with services.db.transaction() as tx:
        tx.add(SignInAttempt(account_id=account_id, identifier=email, created_at=clock.now() - timedelta(days=2),
                             method="password", outcome="failure", code="credentials.invalid", ip=ip, country="GB"))


def signals_of(services, case_id: str) -> dict[str, dict]:  # type: ignore[no-untyped-def, type-arg]
    return {item["signal"]: item for item in case_view(services, case_id, "an-agent")["risk_signals"]}


def test_a_request_from_a_new_country_after_a_password_change_and_many_refusals(database_url, settings_factory,
                                                                               clock) -> None:
    from bastion.startup import build_services

    services = build_services(settings_factory(database_url=database_url, risk_anonymizer_cidrs="198.18.0.0/15"),
                              clock=clock)
    try:
        account_id = owner(services, clock, "trader@example.com")
        for _ in range(5):
            refused(services, clock, account_id, "trader@example.com", ABROAD)
        with services.db.transaction() as tx:
            tx.execute(update(Account).where(Account.id == account_id)
                       .values(password_changed_at=clock.now() - timedelta(days=2)))
            tx.add(RecoveryCase(account_id=account_id, kind="mfa_reset", status="rejected", access_hash=new_id(),
                                created_at=clock.now() - timedelta(days=20), closed_at=clock.now() - timedelta(days=19)))
        case_id = request_case(services, "mfa_reset", "trader@example.com", DEFAULT_PASSWORD, Client(ip=ABROAD))
        found = signals_of(services, case_id)
        assert found["case_new_country"]["level"] == "warning"
        assert signal_words(found["case_new_country"]) == "Requested from United Kingdom, where the account never signed in"
        assert found["case_new_address"]["level"] == "info"
        assert found["recent_password_change"]["level"] == "warning"
        assert signal_words(found["recent_failures"]) == "5 refused sign-ins in the last 7 days"
        assert signal_words(found["previous_refusals"]) == "An earlier request was rejected or cancelled by the owner"
        assert "new_account" not in found and "case_anonymizer" not in found
        warnings = [item["level"] for item in case_view(services, case_id, "an-agent")["risk_signals"]]
        assert warnings == sorted(warnings, key=lambda level: level != "warning")  # warnings first

        other = owner(services, clock, "quiet@example.com")
        hidden = request_case(services, "mfa_reset", "quiet@example.com", DEFAULT_PASSWORD, Client(ip=ANONYMISER))
        assert signals_of(services, hidden)["case_anonymizer"]["level"] == "warning"
        assert other
    finally:
        services.close()


def test_a_request_that_looks_like_the_account_s_usual_sign_ins_raises_nothing(services, clock) -> None:
    owner(services, clock, "usual@example.com")
    case_id = request_case(services, "mfa_reset", "usual@example.com", DEFAULT_PASSWORD, Client(ip=HOME))
    assert signals_of(services, case_id) == {}
