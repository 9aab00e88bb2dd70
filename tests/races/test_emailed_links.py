"""Emailed one-time links and service keys under concurrency: a reset token, an email-verification
token and a "this wasn't me" freeze link each act exactly once however many use them at once;
concurrently created service keys are all distinct and a key is revoked once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bastion.accounts.models import Account
from bastion.accounts.signup import sign_up, verify_email
from bastion.accounts.status import freeze_link, freeze_with_link
from bastion.audit.models import SecurityEvent
from bastion.context import Client
from bastion.recovery.password_reset import confirm_password_reset, request_password_reset
from bastion.services import Services
from bastion.sessions.models import SecurityHold, ServiceKey
from bastion.sessions.service_keys import authenticate_service_key, create_service_key, revoke_service_key
from bastion.throttle.limits import Limit
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.races.racing import race

RACERS = 20


def events(services, kind: str, account_id: str) -> int:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        return tx.execute(select(func.count()).where(SecurityEvent.kind == kind,
                                                     SecurityEvent.account_id == account_id)).scalar_one()


def test_a_reset_token_sets_one_password_however_many_use_it_at_once(services, account_factory, mailbox) -> None:
    account = account_factory()
    request_password_reset(services, account["email"], Client(ip="192.0.2.1"))
    token = link_token(mailbox.last(account["email"])["text"], "/password-reset/confirm?token=")
    passwords = [f"river lantern {number} quietly orbiting" for number in range(RACERS)]
    outcomes = race(lambda password: confirm_password_reset(services, token, password, Client()), passwords)
    assert outcomes == {"ok": 1, "token.invalid": RACERS - 1}, outcomes
    assert events(services, "password_reset.completed", account["id"]) == 1
    with services.db.transaction() as tx:
        stored = tx.get_one(Account, account["id"]).password_hash
        holds = tx.execute(select(func.count()).where(SecurityHold.account_id == account["id"])).scalar_one()
    assert holds == 1
    assert sum(services.passwords.verify(stored, password) for password in passwords) == 1


def test_an_email_verification_token_confirms_once(services, mailbox) -> None:
    sign_up(services, "new@example.com", DEFAULT_PASSWORD, Client(ip="192.0.2.1"))
    token = link_token(mailbox.last("new@example.com")["text"])
    outcomes = race(lambda _: verify_email(services, token, Client()) and None, range(RACERS))
    assert outcomes == {"ok": 1, "token.invalid": RACERS - 1}, outcomes
    with services.db.transaction() as tx:
        account_id = tx.execute(select(Account.id).where(Account.email == "new@example.com")).scalar_one()
    assert events(services, "account.email_verified", account_id) == 1


def test_a_freeze_link_freezes_once(services, account_factory, mailbox) -> None:
    account = account_factory()
    with services.db.transaction() as tx:
        token = link_token(freeze_link(services, tx, account["id"]), "/freeze?token=")
    outcomes = race(lambda _: freeze_with_link(services, token, Client()), range(RACERS))
    assert outcomes == {"ok": 1, "token.invalid": RACERS - 1}, outcomes
    assert events(services, "account.frozen", account["id"]) == 1
    assert [mail["template"] for mail in mailbox.messages(account["email"])].count("account_frozen") == 1


def test_service_keys_created_at_once_are_distinct_and_each_revoked_once(services) -> None:
    created: list[tuple[str, str]] = []
    outcomes = race(lambda number: created.append(
        (lambda secret, view: (secret, view.id))(*create_service_key(services, f"svc-{number}"))), range(RACERS))
    assert outcomes == {"ok": RACERS}
    assert len({secret for secret, _ in created}) == RACERS and len({key for _, key in created}) == RACERS
    assert {authenticate_service_key(services, secret) for secret, _ in created} == {key for _, key in created}
    with services.db.transaction() as tx:
        assert tx.execute(select(func.count(func.distinct(ServiceKey.key_hash)))).scalar_one() == RACERS
    revoked = race(lambda _: "revoked" if revoke_service_key(services, created[0][1]) else "not active",
                   range(RACERS))
    assert revoked == {"revoked": 1, "not active": RACERS - 1}, revoked


def test_a_two_factor_reset_cancel_link_cancels_and_freezes_once(services, account_factory, mailbox) -> None:
    from datetime import timedelta

    from bastion.accounts.onetime import issue_token
    from bastion.recovery.cases import CANCEL_PURPOSE, cancel_with_link

    account = account_factory()
    with services.db.transaction() as tx:
        token = issue_token(tx, services.clock.now(), account["id"], CANCEL_PURPOSE, timedelta(days=3),
                            newest_only=False)
    outcomes = race(lambda _: cancel_with_link(services, token, Client()) and None, range(RACERS))
    assert outcomes == {"ok": 1, "token.invalid": RACERS - 1}, outcomes
    assert events(services, "account.frozen", account["id"]) == 1


def test_agents_clearing_one_allowlist_at_once_clear_it_once(services, account_factory, mailbox) -> None:
    from bastion.recovery.allowlist_reset import clear_allowlist_by_staff

    account = account_factory()
    with services.db.transaction() as tx:
        tx.get_one(Account, account["id"]).ip_allowlist = ["198.51.100.0/24"]
    outcomes = race(lambda agent: clear_allowlist_by_staff(services, account["id"], f"agent-{agent}", "ID checked",
                                                           Client(), via="support_api") and None, range(RACERS))
    assert outcomes == {"ok": 1, "request.invalid": RACERS - 1}, outcomes
    assert events(services, "ip_allowlist.cleared", account["id"]) == 1
    assert [mail["template"] for mail in mailbox.messages(account["email"])].count("ip_allowlist_cleared") == 1


def roomy_sign_ups(services: Services) -> None:
    """Many sign-ups of one address at once (the per-address limit would turn most away)."""
    services.throttle.limits["signup_identifier"] = Limit(1000, timedelta(hours=1))


def test_links_of_different_sign_ups_confirmed_at_once_give_one_owner_and_the_winners_password(
        services, mailbox) -> None:
    """Issue 18: each sign-up's link carries its own password; when several are used at once exactly one
    confirms, and the account's password is the one of the sign-up whose link won."""
    roomy_sign_ups(services)
    passwords = [f"harbor kestrel {number} softly drifting" for number in range(8)]
    for password in passwords:
        sign_up(services, "contested@example.com", password, Client(ip="192.0.2.1"))
    tokens = [link_token(mail["text"]) for mail in mailbox.messages("contested@example.com")]
    by_token = dict(zip(tokens, passwords, strict=True))
    # Each with its own sign-up's password (the address was signed up more than once). Some may find the
    # email paused by the others' password checks running at once: they confirm nothing either.
    outcomes = race(lambda token: verify_email(services, token, Client(), by_token[token]) and token, tokens)
    (winner,) = [token for token in outcomes if token in by_token]
    assert outcomes[winner] == 1, outcomes
    assert outcomes["token.invalid"] + outcomes["account.locked"] == len(tokens) - 1, outcomes
    with services.db.transaction() as tx:
        account = tx.execute(select(Account).where(Account.email == "contested@example.com")).scalar_one()
    assert services.passwords.verify(account.password_hash, by_token[winner])
    assert events(services, "account.email_verified", account.id) == 1


def test_sign_ups_racing_the_confirmation_never_change_the_confirmed_password(services, mailbox) -> None:
    roomy_sign_ups(services)
    sign_up(services, "late@example.com", DEFAULT_PASSWORD, Client(ip="192.0.2.1"))
    token = link_token(mailbox.last("late@example.com")["text"])
    latecomers = [f"meadow falcon {number} gently humming" for number in range(RACERS - 1)]

    def attempt(value: str) -> object:
        if value == token:
            return verify_email(services, token, Client(), DEFAULT_PASSWORD) and None
        return sign_up(services, "late@example.com", value, Client(ip="192.0.2.1"))

    assert race(attempt, [token, *latecomers]) == {"ok": RACERS}
    with services.db.transaction() as tx:
        account = tx.execute(select(Account).where(Account.email == "late@example.com")).scalar_one()
    assert account.email_verified_at is not None
    assert services.passwords.verify(account.password_hash, DEFAULT_PASSWORD)
