"""Clearing the IP allowlist of someone who lost every network on it (requirements §29).

Sign-in from elsewhere answers `account.ip_not_allowed`, and a password reset does not touch
the allowlist, so without this there is no way back in. Two ways clear it: staff (support or
admin console, the support API, the CLI) at once, with a reason; or the owner's own request,
an identity-checked recovery case (bastion.recovery.cases), when its waiting period ends
(bastion.recovery.completion). Either way it is audited with who and why, the owner is told
by email with a way to stop it, and withdrawals are held for a while after.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import empty_allowlist, lock_account
from bastion.accounts.status import freeze_link
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.notify.outbox import enqueue
from bastion.recovery.cases import OPEN_STATES, close_case, open_case_id
from bastion.recovery.owner import CaseOwner
from bastion.services import Services
from bastion.sessions.holds import WITHDRAWAL, place_hold
from bastion.store.types import new_id

STAFF_HOLD_REASON = "allowlist_cleared"


def clear_allowlist_in(tx: Tx, now: datetime, account: CaseOwner, client: Client | None, via: str,
                       actor_id: str | None = None, **facts: object) -> list[str]:
    """Empty the allowlist in the caller's transaction and record it; returns the networks removed."""
    removed = empty_allowlist(tx, account.id)
    record_event(tx, now, "ip_allowlist.cleared", account.id, client, actor_id=actor_id, via=via,
                 networks_removed=removed, **facts)
    return removed


def clear_allowlist_by_staff(services: Services, account_id: str, actor_id: str | None, reason: str,
                             client: Client, via: str, **facts: object) -> list[str]:
    """Staff clear it now: audited with the agent's id and reason, withdrawals held, the owner emailed
    with a "this wasn't me" freeze link. An open allowlist-reset request of the owner is done with it."""
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("Give the reason, in 3 to 500 characters."))
    now = services.clock.now()
    if actor_id == account_id:  # in their own settings, a change needs a fresh proof of identity
        raise BastionError(Reason.CASE_OWN_ACCOUNT, detail=_("Staff cannot clear their own account's allowlist: change "
                           "it in your security settings, or ask another agent."))
    with services.db.transaction() as tx:
        # Locked: of agents clearing at once, one clears (one email, one hold), the others find nothing.
        account = lock_account(tx, account_id)
        if not account.ip_allowlist:
            raise BastionError(Reason.REQUEST_INVALID, detail=_("This account has no IP allowlist: sign-in is already "
                               "allowed from any network."))
        removed = clear_allowlist_in(tx, now, account, client, via, actor_id=actor_id, reason=reason, **facts)
        until = place_hold(tx, now, account.id, WITHDRAWAL, STAFF_HOLD_REASON,
                           timedelta(hours=services.settings.allowlist_reset_hold_hours))
        close_open_request(tx, now, account.id, client, via="cleared_by_staff", actor_id=actor_id)
        enqueue(services, tx, "ip_allowlist_cleared", account, dedup_key=f"ip_allowlist_cleared/{new_id()}",
                now=now, when=rfc3339(now), networks=removed, hold_until=rfc3339(until),
                freeze_link=freeze_link(services, tx, account.id))
    return removed


def close_open_request(tx: Tx, now: datetime, account_id: str, client: Client, via: str,
                       actor_id: str | None = None) -> None:
    """The owner's pending request is done once staff cleared the allowlist or the owner, back in,
    set it themselves: left open, it would clear the allowlist again later, perhaps a new one."""
    case_id = open_case_id(tx, account_id, "allowlist_reset")
    if case_id is not None and close_case(tx, case_id, now, "completed", OPEN_STATES):
        record_event(tx, now, "case.completed", account_id, client, actor_id=actor_id, case_id=case_id,
                     case_kind="allowlist_reset", via=via)
