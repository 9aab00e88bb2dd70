"""Operator and staff actions on accounts: create one. Never shows a secret."""

from __future__ import annotations

from bastion.accounts.models import Account
from bastion.accounts.passwords import check_password_policy
from bastion.accounts.repo import find_account_by_email, normalize_email
from bastion.accounts.signup import open_sign_up, sign_up_origin
from bastion.accounts.staff import is_staff, send_enrolment_link
from bastion.audit import record_event
from bastion.errors import BastionError, Reason
from bastion.guard.passwords import hash_password
from bastion.i18n import _
from bastion.services import Services

ROLES = frozenset({"support", "admin"})


def create_account(services: Services, email: str, password: str, roles: list[str], verified: bool,
                   enrolment_link: bool = True) -> str:
    """With a staff role, the account's first second factor needs the enrolment link emailed here
    (`enrolment_link=False`: the caller enrols one itself, as the demo does)."""
    email = normalize_email(email)
    unknown = set(roles) - ROLES
    if unknown:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("Unknown role(s): %(roles)s.") % {"roles": ", ".join(sorted(unknown))})
    check_password_policy(password, email)
    password_hash = hash_password(services, password, known_device=True)
    now = services.clock.now()
    with services.db.transaction() as tx:
        if find_account_by_email(tx, email) is not None:
            raise BastionError(Reason.REQUEST_INVALID, detail=_("An account with this email already exists."))
        account = Account(email=email, password_hash=password_hash, status="active", roles=",".join(sorted(roles)),
                          created_at=now, password_changed_at=now, email_verified_at=now if verified else None)
        tx.add(account)
        tx.flush()
        record_event(tx, now, "account.created", account.id, actor_id=None, by="operator")
        if not verified:
            # Its confirmation, once asked for ("send it again"), carries the password set here.
            open_sign_up(services, tx, account, password_hash, sign_up_origin(None, now), send=False)
        if enrolment_link and is_staff(account):
            send_enrolment_link(services, tx, account, by="operator")
        return account.id
