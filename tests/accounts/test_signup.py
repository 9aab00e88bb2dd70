"""Sign-up and email verification through the JSON API."""

from __future__ import annotations

import pytest

from bastion.errors import BastionError, Reason
from tests.conftest import DEFAULT_PASSWORD, link_token


def sign_up(client, email: str, password: str = DEFAULT_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/v1/accounts", json={"email": email, "password": password})


def test_sign_up_sends_a_confirmation_link_that_confirms_once(app_client, mailbox) -> None:
    answer = sign_up(app_client, "New.Person@Example.com")
    assert answer.status_code == 202
    assert answer.json() == {"status": "verification_sent"}
    message = mailbox.last("new.person@example.com")
    assert message["template"] == "verify_email"
    token = link_token(message["text"])

    confirmed = app_client.post("/v1/accounts/verify-email", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    again = app_client.post("/v1/accounts/verify-email", json={"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "token.invalid"


def test_taken_address_gets_the_same_answer_and_an_email_to_its_owner(app_client, mailbox, account_factory) -> None:
    owner = account_factory(email="owner@example.com")
    fresh = sign_up(app_client, "fresh@example.com")
    taken = sign_up(app_client, owner["email"], "another pleasant 55 walrus tune")
    assert (taken.status_code, taken.content, taken.headers["content-type"]) == (
        fresh.status_code, fresh.content, fresh.headers["content-type"])
    assert mailbox.last(owner["email"])["template"] == "signup_existing"


def test_signing_up_again_before_confirming_sends_another_link_and_the_confirmed_one_voids_the_rest(
        app_client, mailbox) -> None:
    # Each link confirms its own sign-up's password (tests/accounts/test_pre_confirmation.py).
    sign_up(app_client, "twice@example.com")
    first = link_token(mailbox.last("twice@example.com")["text"])
    sign_up(app_client, "twice@example.com")
    second = link_token(mailbox.last("twice@example.com")["text"])
    assert first != second
    # Signed up twice: confirming takes that sign-up's password (issue 17's review).
    assert app_client.post("/v1/accounts/verify-email",
                           json={"token": second, "password": DEFAULT_PASSWORD}).status_code == 200
    assert app_client.post("/v1/accounts/verify-email", json={"token": first}).json()["code"] == "token.invalid"


def test_confirmation_link_expires(app_client, mailbox, clock) -> None:
    sign_up(app_client, "late@example.com")
    token = link_token(mailbox.last("late@example.com")["text"])
    clock.advance(hours=24, seconds=1)
    answer = app_client.post("/v1/accounts/verify-email", json={"token": token})
    assert answer.status_code == 410
    assert answer.json()["code"] == "token.expired"


def test_weak_and_common_passwords_are_refused_with_their_reason(app_client) -> None:
    assert sign_up(app_client, "a@example.com", "short").json()["code"] == "password.weak"
    assert sign_up(app_client, "a@example.com", "aaaaaaaaaaaaaaaa").json()["code"] == "password.weak"
    assert sign_up(app_client, "a@example.com", "1234567890abcdef").json()["code"] in {"password.weak",
                                                                                     "password.breached"}
    assert sign_up(app_client, "a@example.com", "q1w2e3r4t5y6u7i8").json()["code"] == "password.breached"
    contains = sign_up(app_client, "zebracorn@example.com", "my zebracorn is 77 purple")
    assert contains.json()["code"] == "password.weak"
    assert "email" in contains.json()["detail"]


def test_look_alike_symbols_cannot_make_the_strength_check_costly() -> None:
    """One sign-up request once cost seconds of CPU: zxcvbn tried every combination of look-alike
    substitutions (hundreds for twenty symbols). It tries a bounded few; look-alike passwords are still
    recognised for what they are."""
    from zxcvbn import matching

    from bastion.accounts.passwords import check_password_policy

    crafted = "4@8({[<369!|17+0$5%2" * 3
    table = matching.relevant_l33t_subtable(crafted, matching.L33T_TABLE)
    assert len(matching.enumerate_l33t_subs(table)) <= 16
    with pytest.raises(BastionError) as refused:
        check_password_policy("P@55w0rd!P@55w0rd!", "someone@example.com")
    assert refused.value.code in {Reason.PASSWORD_WEAK, Reason.PASSWORD_BREACHED}


def test_the_sign_up_limit_is_counted_before_the_strength_check(app_client) -> None:
    """A flood of sign-ups with costly passwords is refused before their strength is estimated."""
    answers = [app_client.post("/v1/accounts", json={"email": f"flood{n}@example.com", "password": "short"})
               for n in range(21)]
    assert [answer.status_code for answer in answers[:20]] == [422] * 20
    assert answers[20].status_code == 429 and answers[20].json()["code"] == "rate_limited"


def test_wrong_passwords_sent_before_an_address_was_signed_up_do_not_lock_its_new_account(app_client, mailbox) -> None:
    """An attacker could pause an address in advance; the confirmation link proves the mailbox, as a
    password reset does, and ends the pause."""
    for _ in range(6):
        app_client.post("/v1/login", json={"email": "future@example.com", "password": "a guess 1 of many"})
    assert app_client.post("/v1/login", json={"email": "future@example.com", "password": DEFAULT_PASSWORD}
                           ).json()["code"] == "account.locked"
    sign_up(app_client, "future@example.com")
    token = link_token(mailbox.last("future@example.com")["text"])
    assert app_client.post("/v1/accounts/verify-email", json={"token": token}).status_code == 200
    signed_in = app_client.post("/v1/login", json={"email": "future@example.com", "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
