"""Account settings the owner changes: the anti-phishing code (REQUIREMENTS 22)."""

from __future__ import annotations

from bastion.accounts.repo import get_account
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.notify.outbox import anti_phishing_aad, enqueue
from bastion.services import Services
from bastion.store.types import new_id
from bastion.sessions.stepup import require_recent_auth
from bastion.sessions.tokens import SessionInfo


def set_anti_phishing_code(services: Services, session: SessionInfo, code: str, client: Client) -> None:
    """Needs step-up; stored encrypted; the owner is told — in an email that already shows the new code."""
    require_recent_auth(services, session)
    now = services.clock.now()
    with services.db.transaction() as tx:
        account = get_account(tx, session.account_id)
        account.anti_phishing_code = services.keys.encrypt(code, anti_phishing_aad(account.id))
        record_event(tx, now, "anti_phishing_code.changed", account.id, client)
        enqueue(services, tx, "anti_phishing_changed", account,
                dedup_key=f"anti_phishing_changed/{new_id()}", now=now,
                when=rfc3339(now), ip=client.ip or "unknown")


def has_anti_phishing_code(services: Services, account_id: str) -> bool:
    with services.db.transaction() as tx:
        return get_account(tx, account_id).anti_phishing_code is not None
