"""Second-factor fixtures: accounts with an authenticator app enrolled through the API, codes
at the test clock's time, and API helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bastion.accounts.staff import ENROLMENT_LINK_PATH as LINK_PATH
from bastion.accounts.staff import STAFF_ROLES
from bastion.mfa.totp import otp as totp
from tests.conftest import DEFAULT_PASSWORD, link_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code_at(secret: str, clock: Any, offset_seconds: float = 0) -> str:
    """What an authenticator app shows at the test clock's time (plus an offset: a drifted phone)."""
    return totp.code_at_time(secret, clock.now().timestamp() + offset_seconds)


@pytest.fixture
def login(app_client) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    def post(email: str, password: str = DEFAULT_PASSWORD, **extra: Any) -> Any:
        return app_client.post("/v1/login", json={"email": email, "password": password, **extra})

    return post


@pytest.fixture
def signed_in(account_factory, login) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    """An account and a fresh session (so step-up is satisfied for the next 5 minutes)."""

    def make(**options: Any) -> dict[str, Any]:
        account = account_factory(**options)
        answer = login(account["email"])
        assert answer.json()["status"] == "authenticated", answer.text
        token = answer.json()["session"]["token"]
        return {**account, "token": token, "headers": bearer(token)}

    return make


def staff_enrolment_token(mailbox, email: str) -> str:  # type: ignore[no-untyped-def]
    """The token of the newest staff enrolment link emailed to `email`."""
    mail = [one for one in mailbox.messages(email) if one["template"] == "staff_enrolment_link"][-1]
    return link_token(mail["text"], f"{LINK_PATH}?token=")


@pytest.fixture
def enrolled(app_client, signed_in, clock, mailbox) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    """An account with a confirmed authenticator app; the clock is moved one step past the
    confirming code, so the next code is fresh. Staff use their emailed enrolment link first."""

    def make(**options: Any) -> dict[str, Any]:
        account = signed_in(**options)
        if set(options.get("roles") or ()) & STAFF_ROLES:
            opened = app_client.post("/v1/me/staff-enrolment", headers=account["headers"],
                                     json={"token": staff_enrolment_token(mailbox, account["email"])})
            assert opened.status_code == 200, opened.text
        setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
        confirmed = app_client.post("/v1/me/totp/confirm", headers=account["headers"],
                                    json={"code": code_at(setup["secret"], clock)})
        assert confirmed.status_code == 200, confirmed.text
        clock.advance(seconds=30)
        return {**account, **setup, "backup_codes": confirmed.json()["backup_codes"]}

    return make


@pytest.fixture
def mfa_flow(login) -> Callable[[dict[str, Any]], str]:  # type: ignore[no-untyped-def]
    """Sign in with the password up to the second step; returns the flow id."""

    def start(account: dict[str, Any]) -> str:
        answer = login(account["email"])
        body = answer.json()
        assert body["status"] == "mfa_required", answer.text
        return body["flow"]["id"]

    return start
