"""Freeze, suspension, ban and their lifting (requirements §28, §30).

Freezing is the account holder's emergency brake (self-service, or the "this wasn't
me" link in security emails): immediate, every session ends, sign-in answers
`account.frozen`. Lifting it needs an identity check, and takes effect not before
`unfreeze_min_hours` (2 by default) after the freeze.
Suspension and temporary bans are admin actions with a reason and optional end.
Lifting a freeze goes through a recovery case (bastion.recovery.cases).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account
from bastion.accounts.onetime import consume_token, issue_token
from bastion.accounts.repo import get_account
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.tokens import guarded_token
from bastion.i18n import _
from bastion.notify.outbox import enqueue
from bastion.services import Services
from bastion.sessions.revocation import revoke_sessions
from bastion.store.changes import rows_changed
from bastion.store.types import new_id

FREEZE_PURPOSE = "freeze"
FREEZE_LINK_VALID = timedelta(days=7)


def freeze_link(services: Services, tx: Tx, account_id: str) -> str:
    """A "this wasn't me" link for a security email; each email carries its own."""
    token = issue_token(tx, services.clock.now(), account_id, FREEZE_PURPOSE, FREEZE_LINK_VALID, newest_only=False)
    return f"{services.settings.public_url}/freeze?token={token}"


def freeze_account(services: Services, account_id: str, client: Client, via: str) -> None:
    with services.db.transaction() as tx:
        freeze_in(services, tx, get_account(tx, account_id), client, via)


def freeze_with_link(services: Services, token: str, client: Client) -> None:
    with guarded_token(services, client), services.db.transaction() as tx:
        account_id = consume_token(tx, services.clock.now(), FREEZE_PURPOSE, token)
        freeze_in(services, tx, get_account(tx, account_id), client, via="email_link")


def freeze_in(services: Services, tx: Tx, account: Account, client: Client, via: str) -> None:
    now = services.clock.now()
    if account.status != "frozen":
        account.status, account.status_reason, account.status_until = "frozen", f"frozen by the owner ({via})", None
        account.status_changed_at = now
    ended = revoke_sessions(tx, now, account.id, "frozen")
    record_event(tx, now, "account.frozen", account.id, client, via=via, sessions_ended=ended)
    enqueue(services, tx, "account_frozen", account, dedup_key=f"account_frozen/{new_id()}", now=now,
            when=rfc3339(now), ip=client.ip, unfreeze_min_hours=services.settings.unfreeze_min_hours)


def restrict_account(services: Services, account_id: str, status: str, reason: str, until: datetime | None,
                     actor_id: str | None, client: Client) -> None:
    """Suspend or ban (admin): every session ends at once (requirements §26). A ban is temporary: it
    needs an end; a suspension may have one."""
    if status not in {"suspended", "banned"}:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("Choose a suspension or a temporary ban."))
    if status == "banned" and until is None:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("A ban needs an end time (`until`); use suspend otherwise."))
    now = services.clock.now()
    if until is not None and until <= now:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The end of the restriction must be in the future."))
    with services.db.transaction() as tx:
        account = get_account(tx, account_id)
        if account.status == "frozen":
            raise BastionError(Reason.REQUEST_INVALID, detail=_("The account is frozen; unfreeze it first."))
        account.status, account.status_reason, account.status_until = status, reason, until
        account.status_changed_at = now
        ended = revoke_sessions(tx, now, account.id, status)
        record_event(tx, now, f"account.{status}", account.id, client, actor_id=actor_id, reason=reason,
                     until=rfc3339(until), sessions_ended=ended)


def lift_freeze(tx: Tx, account_id: str, now: datetime) -> int:
    """An approved unfreeze request takes effect (bastion.recovery); 1 when the account was still frozen."""
    return rows_changed(tx, update(Account).where(Account.id == account_id, Account.status == "frozen").values(
        status="active", status_reason=None, status_until=None, status_changed_at=now))


def reinstate_account(services: Services, account_id: str, actor_id: str | None, client: Client,
                      reason: str) -> None:
    """Lift a suspension or a ban. A freeze is the owner's: only an unfreeze case lifts it (requirements §28)."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        account = get_account(tx, account_id)
        if account.status == "frozen":
            raise BastionError(Reason.REQUEST_INVALID, detail=_("A freeze is lifted only through the owner's unfreeze "
                               "request with an identity check, which support approves."))
        if account.status == "active":
            raise BastionError(Reason.REQUEST_INVALID, detail=_("The account has no restriction to lift."))
        previous = account.status
        tx.execute(update(Account).where(Account.id == account.id, Account.status == previous).values(
            status="active", status_reason=None, status_until=None, status_changed_at=now))
        record_event(tx, now, "account.reinstated", account.id, client, actor_id=actor_id, previous=previous,
                     reason=reason)
