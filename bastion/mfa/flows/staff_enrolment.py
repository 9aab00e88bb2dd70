"""A staff account's first second factor needs the enrolment link emailed to its address.

Support and admin work needs a session signed in with a second factor; if a staff account without
one could enrol its own from a password session, its password alone would make someone an agent.
So while an account with a staff role has no second factor, every enrolment flow asks
`check_may_enrol` before it shows a secret or a challenge, and `claim_enrolment` in the transaction
that adds the factor. Both pass only for a session that opened the account's one-time staff
enrolment link within the last few minutes (a grant bound to that session, used up by the first
factor). The link is an emailed one-time token like the password-reset link (`bastion.accounts.onetime`):
256 bits, stored as a hash, newest only, expiring, consumed with a conditional UPDATE.

Customers, and staff who already have a factor (they add more after a step-up), are not affected.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session as Tx

from bastion.accounts.onetime import consume_token, issue_token, live_tokens, peek_token, use_token_once
from bastion.accounts.repo import get_account
from bastion.accounts.staff import ENROLMENT_LINK, Staffed, is_staff, send_enrolment_link
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.tokens import guarded_token
from bastion.i18n import _
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo

GRANT = "staff_enrolment_grant"  # the link, opened in one session: not emailed, never presented


def needs_enrolment_link(tx: Tx, account: Staffed) -> bool:
    """A staff account without a second factor: its first one needs the emailed link."""
    return is_staff(account) and not METHODS.has_second_factor(tx, account.id)


def resend_enrolment_link(services: Services, account_id: str, client: Client | None = None,
                          actor_id: str | None = None, **audit: str) -> str:
    """An administrator sends the link again; returns the address it went to."""
    with services.db.transaction() as tx:
        account = get_account(tx, account_id)
        if not is_staff(account):
            raise BastionError(Reason.REQUEST_INVALID, detail=_("This account has no support or admin role: it sets "
                                                                "up 2FA by itself."))
        if METHODS.has_second_factor(tx, account.id):
            raise BastionError(Reason.MFA_ALREADY_ENROLLED,
                               detail=_("This account already has a second factor: it adds more from its security "
                                        "settings."))
        send_enrolment_link(services, tx, account, client, actor_id=actor_id, **audit)
        return account.email


def open_enrolment_link(services: Services, session: SessionInfo, token: str, client: Client) -> datetime:
    """Use the link in this session: its enrolment is unlocked until the time returned."""
    now = services.clock.now()
    until = now + timedelta(minutes=services.settings.staff_enrolment_grant_minutes)
    with guarded_token(services, client), services.db.transaction() as tx:
        if peek_token(tx, now, ENROLMENT_LINK, token) != session.account_id:
            raise BastionError(Reason.TOKEN_INVALID, detail=_("This link was sent to another account: sign in as the "
                                                              "account it was sent to, then open it again."))
        consume_token(tx, now, ENROLMENT_LINK, token)
        issue_token(tx, now, session.account_id, GRANT, until - now, origin={"session_id": session.id})
        record_event(tx, now, "staff_enrolment.link_used", session.account_id, client, session_id=session.id)
    return until


def check_may_enrol(tx: Tx, now: datetime, session: SessionInfo) -> None:
    """Before an enrolment shows its secret or challenge."""
    _session_grant(tx, now, session)


def claim_enrolment(tx: Tx, now: datetime, session: SessionInfo) -> None:
    """In the transaction that adds a factor, before it is added: a staff account's first factor uses
    up its session's grant (one conditional UPDATE), so one link enrols one factor."""
    grant_id = _session_grant(tx, now, session)
    if grant_id is None:
        return
    if not use_token_once(tx, grant_id, now):
        raise BastionError(Reason.MFA_STAFF_ENROLMENT_LINK_REQUIRED)


def enrolment_unlocked_until(tx: Tx, now: datetime, session: SessionInfo) -> datetime | None:
    """Until when this session may enrol a staff account's first factor (None: no grant)."""
    return next((expires for _token_id, expires in _grants(tx, now, session)), None)


def _session_grant(tx: Tx, now: datetime, session: SessionInfo) -> str | None:
    """The grant that lets this session enrol; None when none is needed; refused when one is."""
    if not needs_enrolment_link(tx, get_account(tx, session.account_id)):
        return None
    found = _grants(tx, now, session)
    if not found:
        raise BastionError(Reason.MFA_STAFF_ENROLMENT_LINK_REQUIRED)
    return found[0][0]


def _grants(tx: Tx, now: datetime, session: SessionInfo) -> list[tuple[str, datetime]]:
    return [(grant_id, expires) for grant_id, expires, origin in live_tokens(tx, session.account_id, GRANT, now)
            if origin.get("session_id") == session.id]
