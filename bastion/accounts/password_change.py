"""Changing the password while signed in (docs/api.md `PUT /v1/me/password`; requirements §7, §23, §26).

The current password is the proof (step-up in itself), checked by the guard against the sign-in's
budgets: a wrong one is `reauth.failed` and changes nothing, and a pause answers `account.locked`. The new one meets the same policy as at sign-up. Other sessions end unless the owner
keeps them (this one stays signed in); trusted devices lose their trust, because trust is granted
over the password hash (`bastion.risk.trust`). The owner is emailed with a freeze link.
"""

from __future__ import annotations

from bastion.accounts.passwords import check_password_policy
from bastion.accounts.reauthentication import password_proves
from bastion.accounts.repo import get_account, set_password
from bastion.accounts.security_change import security_changed
from bastion.accounts.status import freeze_link
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.passwords import hash_password
from bastion.notify.outbox import enqueue
from bastion.services import Services
from bastion.sessions.revocation import revoke_sessions
from bastion.sessions.stepup import mark_reauthenticated
from bastion.sessions.tokens import SessionInfo
from bastion.store.types import new_id


def change_password(services: Services, session: SessionInfo, current_password: str, new_password: str,
                    client: Client, end_other_sessions: bool = True) -> int:
    """Returns how many other sessions were ended."""
    if not password_proves(services, session, current_password, client):
        with services.db.transaction() as tx:
            record_event(tx, services.clock.now(), "password.change_refused", session.account_id, client,
                         session_id=session.id)
        raise BastionError(Reason.REAUTH_FAILED)
    check_password_policy(new_password, session.email)
    new_hash = hash_password(services, new_password, known_device=True)
    now = services.clock.now()
    with services.db.transaction() as tx:
        account = get_account(tx, session.account_id)
        set_password(tx, account.id, new_hash, now)
        security_changed(tx, account.id, now)
        mark_reauthenticated(tx, session.id, now)
        ended = revoke_sessions(tx, now, account.id, "password_changed", keep=session.id) if end_other_sessions else 0
        record_event(tx, now, "password.changed", account.id, client, session_id=session.id, sessions_ended=ended)
        enqueue(services, tx, "password_changed", account, dedup_key=f"password_changed/{new_id()}", now=now,
                when=rfc3339(now), ip=client.ip, sessions_ended=ended,
                freeze_link=freeze_link(services, tx, account.id))
    return ended
