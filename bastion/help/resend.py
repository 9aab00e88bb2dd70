""""Didn't receive the email": send the sign-up confirmation, the password-reset link or the
device code again.

Each resend waits out a cooldown per address and kind of email (`resend_identifier`, one a
minute by default) and a limit per IP (`resend_ip`), both keyed before any look-up, so the
cooldown answers the same whether or not an account has the address. The answer never tells
either: an unknown address, a confirmed one and an unconfirmed one all get the same 202, as fast
(the look-up and the email run after the answer, as for the first reset request). Each
new email makes the older ones stop working (only the newest link or code is valid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bastion.accounts.repo import find_account_by_email, get_account, normalize_email
from bastion.accounts.signup import send_verification_email
from bastion.audit import record_event
from bastion.context import Client
from bastion.geo import locate
from bastion.i18n import _
from bastion.recovery.password_reset import start_password_reset
from bastion.risk.challenge import STATE as DEVICE_STEP
from bastion.risk.challenge import issue_challenge
from bastion.services import Services
from bastion.signin.continuation import open_flow

KINDS = ("verification", "password_reset", "device_code")


def cooldown(services: Services, kind: str, identifier: str, client: Client, now: datetime) -> None:
    """Count this resend; refuse with `rate_limited` (and when to try again) during the cooldown."""
    services.throttle.spend(now, ("resend_identifier", f"{kind}|{identifier}"), ("resend_ip", client.ip or "unknown"),
                            detail=_("An email was sent a moment ago. Give it a few minutes and check the spam "
                                     "folder before asking for another."))


def start_resend_verification(services: Services, email: str, client: Client) -> Callable[[], None]:
    """The cooldown, now; the look-up and a new confirmation link (if the address has an account
    that is not confirmed yet) are returned, to run once the answer has gone: an address with an
    account takes no longer to answer than one without (issue 18, finding 4)."""
    identifier = normalize_email(email)
    now = services.clock.now()
    cooldown(services, "verification", identifier, client, now)
    return partial(_resend_verification, services, identifier, client, now)


def _resend_verification(services: Services, identifier: str, client: Client, now: datetime) -> None:
    with services.db.transaction() as tx:
        account = find_account_by_email(tx, identifier)
        if account is None or account.email_verified_at is not None:
            return
        send_verification_email(services, tx, account)
        record_event(tx, now, "account.verification_resent", account.id, client)


def start_resend_password_reset(services: Services, email: str, client: Client) -> Callable[[], None]:
    """The cooldown and the reset request's own limits, now; the look-up and the new link are
    returned, to run once the answer has gone (as for the first request)."""
    identifier = normalize_email(email)
    cooldown(services, "password_reset", identifier, client, services.clock.now())
    return start_password_reset(services, identifier, client)


@dataclass(frozen=True, slots=True)
class ResentCode:
    flow_id: str
    flow_expires_at: datetime
    code_expires_at: datetime


def resend_device_code(services: Services, flow_id: str, client: Client) -> ResentCode:
    """A new "Confirm it's you" email for a sign-in waiting for one.

    Only the device that passed the password may ask, as only it may enter the code.
    """
    now = services.clock.now()
    with services.db.transaction() as tx:
        flow = open_flow(tx, flow_id, now, DEVICE_STEP, client)
        email = get_account(tx, flow.account_id or "").email
    cooldown(services, "device_code", email, client, now)
    with services.db.transaction() as tx:
        flow = open_flow(tx, flow_id, now, DEVICE_STEP, client)
        account = get_account(tx, flow.account_id or "")
        issue_challenge(services, tx, flow, account, client, locate(client.ip), now)
        record_event(tx, now, "device.code_resent", account.id, client, flow_id=flow.id)
        # The code lives 15 minutes, but never longer than the sign-in it belongs to.
        code_expires = min(flow.expires_at, now + timedelta(minutes=services.settings.device_verification_minutes))
        return ResentCode(flow.id, flow.expires_at, code_expires)
