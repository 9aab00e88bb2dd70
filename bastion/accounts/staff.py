"""Who may do staff work, and on which account (requirements §33).

The rule is the same for the API, the pages and any other door: the role, and a session
signed in with a second factor. Routers and pages call it; they do not restate it. A staff
account's first second factor needs the link emailed here (`send_enrolment_link`); the enrolment
it unlocks is `bastion.mfa.flows.staff_enrolment`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account
from bastion.accounts.onetime import issue_token
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.crypto import hash_token
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.notify.outbox import enqueue
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo

SUPPORT_ROLES = ("support", "admin")
ADMIN_ROLES = ("admin",)
STAFF_ROLES = frozenset(SUPPORT_ROLES)
ENROLMENT_LINK = "staff_enrolment"  # the emailed one-time token's purpose
ENROLMENT_LINK_PATH = "/security/staff-enrolment"


def staff_roles_in_effect(roles: frozenset[str], aal: int) -> frozenset[str]:
    """The staff roles a session may act with now: none until it proved a second factor."""
    return roles & frozenset(SUPPORT_ROLES) if aal >= 2 else frozenset()


def ensure_staff(session: SessionInfo, roles: tuple[str, ...]) -> SessionInfo:
    """The session when it holds one of `roles` and proved a second factor; `permission.*` otherwise."""
    if not session.roles & set(roles):
        raise BastionError(Reason.PERMISSION_DENIED)
    if session.aal < 2:
        raise BastionError(Reason.PERMISSION_MFA_REQUIRED)
    return session


def existing_account_id(services: Services, account_id: str) -> str:
    """The id of the account staff act on, or `resource.not_found`."""
    with services.db.transaction() as tx:
        if len(account_id) > 64 or tx.get(Account, account_id) is None:
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No account with this id."))
    return account_id


class Staffed(Protocol):
    """An account as far as its roles go."""

    @property
    def id(self) -> str: ...

    @property
    def role_set(self) -> frozenset[str]: ...


def is_staff(account: Staffed) -> bool:
    return bool(STAFF_ROLES & account.role_set)


def send_enrolment_link(services: Services, tx: Tx, account: Account, client: Client | None = None,
                        actor_id: str | None = None, **audit: str) -> None:
    """Email a new link; any older unused one stops working."""
    now = services.clock.now()
    hours = services.settings.staff_enrolment_link_hours
    token = issue_token(tx, now, account.id, ENROLMENT_LINK, timedelta(hours=hours))
    record_event(tx, now, "staff_enrolment.link_sent", account.id, client, actor_id=actor_id, **audit)
    enqueue(services, tx, "staff_enrolment_link", account, dedup_key=f"staff_enrolment/{hash_token(token)[:32]}",
            now=now, link=f"{services.settings.public_url}{ENROLMENT_LINK_PATH}?token={token}", valid_hours=hours,
            when=rfc3339(now))
