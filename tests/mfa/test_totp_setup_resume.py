"""A setup in progress can be shown again (the page does after a mistyped code), until it expires."""

from __future__ import annotations

import pytest

from bastion.errors import BastionError, Reason
from bastion.mfa.totp.enrolment import resume_totp_setup
from bastion.sessions.validation import authenticate_session
from tests.mfa.conftest import code_at


def test_the_pending_secret_is_shown_again_until_confirmed_or_expired(app_client, signed_in, services, clock) -> None:
    account = signed_in()
    session = authenticate_session(services, account["token"])
    with pytest.raises(BastionError) as nothing:
        resume_totp_setup(services, session)
    assert nothing.value.code == Reason.MFA_SETUP_REQUIRED

    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
    again = resume_totp_setup(services, session)
    assert (again.secret, again.otpauth_uri, again.qr_svg) == (setup["secret"], setup["otpauth_uri"], setup["qr_svg"])

    window = services.settings.totp_setup_minutes
    clock.advance(minutes=window - 1)
    app_client.post("/v1/reauth", headers=account["headers"], json={"password": account["password"]})
    clock.advance(minutes=1, seconds=1)  # the step-up is fresh, the setup is not
    with pytest.raises(BastionError) as expired:
        resume_totp_setup(services, authenticate_session(services, account["token"]))
    assert expired.value.code == Reason.MFA_SETUP_REQUIRED

def test_a_confirmed_app_is_never_shown_again(app_client, signed_in, services, clock) -> None:
    account = signed_in()
    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
    app_client.post("/v1/me/totp/confirm", headers=account["headers"], json={"code": code_at(setup["secret"], clock)})
    with pytest.raises(BastionError) as enrolled:
        resume_totp_setup(services, authenticate_session(services, account["token"]))
    assert enrolled.value.code == Reason.MFA_ALREADY_ENROLLED


def test_it_needs_a_recent_sign_in(app_client, signed_in, services, clock) -> None:
    account = signed_in()
    app_client.post("/v1/me/totp/setup", headers=account["headers"])
    clock.advance(minutes=services.settings.reauth_minutes, seconds=1)
    with pytest.raises(BastionError) as stale:
        resume_totp_setup(services, authenticate_session(services, account["token"]))
    assert stale.value.code == Reason.REAUTH_REQUIRED
