"""Who may do staff work, and on which account (requirements §33).

The rule is the same for the API, the pages and any other door: the role, and a session
signed in with a second factor. Routers and pages call it; they do not restate it.
"""

from __future__ import annotations

from bastion.accounts.models import Account
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo

SUPPORT_ROLES = ("support", "admin")
ADMIN_ROLES = ("admin",)


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
