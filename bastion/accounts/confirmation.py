"""The first confirmation of an address: whoever proves the mailbox owns the account from then on.

Anyone may sign up with any address, so until it is confirmed an account belongs to no one in
particular. It is confirmed by a sign-up's link or by a password-reset link — both prove the
mailbox — and the person who does it gets the password they chose (signup.py), not one an
earlier or later sign-up chose. Nothing attached to the account before that may outlive it
(issue 18): sessions end; second factors, passkeys, backup codes, trusted and known devices, the
IP allowlist and the anti-phishing code go; every other open confirmation link stops working.

An unconfirmed account cannot sign in (signin.gates), so there should be nothing to remove:
this makes sure of it whichever door opens later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account, Device, OneTimeToken
from bastion.accounts.security_change import security_changed
from bastion.audit import record_event
from bastion.context import Client
from bastion.plugs import Plug
from bastion.sessions.revocation import revoke_sessions
from bastion.store.changes import rows_changed

VERIFY_EMAIL = "verify_email"
# The second factors are mfa's: (transaction, account id, now) → how many of each method went,
# as "<method>_removed" (bastion.mfa.registry.Registry.remove_all).
RemoveSecondFactors = Callable[[Tx, str, datetime], dict[str, int]]
SECOND_FACTORS: Plug[RemoveSecondFactors] = Plug("removing second factors (bastion.mfa)")


def claim_first_confirmation(tx: Tx, account_id: str, now: datetime) -> bool:
    """Mark the address confirmed if it was not; True for the one caller that did.

    A conditional UPDATE decides between racing confirmations (two links, a link and a reset),
    and it takes the account's row lock first, so every confirmation queues in the same order.
    """
    return rows_changed(tx,
        update(Account).where(Account.id == account_id, Account.email_verified_at.is_(None))
        .values(email_verified_at=now)
    ) == 1


def clear_before_confirmation(tx: Tx, account: Account, now: datetime, client: Client, via: str) -> None:
    """After `claim_first_confirmation`: remove everything set up before it, and audit what went."""
    removed = {
        "sessions_ended": revoke_sessions(tx, now, account.id, "email_confirmed"),
        "sign_ins_ended": security_changed(tx, account.id, now),
        **SECOND_FACTORS()(tx, account.id, now),
        "devices_forgotten": rows_changed(tx, delete(Device).where(Device.account_id == account.id)),
        "allowlist_cleared": int(bool(account.ip_allowlist)),
        "anti_phishing_cleared": int(account.anti_phishing_code is not None),
        "links_voided": void_confirmation_links(tx, account.id, now),
    }
    account.ip_allowlist = []
    account.anti_phishing_code = None
    record_event(tx, now, "account.email_verified", account.id, client, actor_id=None, via=via,
                 **{name: count for name, count in removed.items() if count})


def void_confirmation_links(tx: Tx, account_id: str, now: datetime) -> int:
    """Every confirmation link of the account stops working, and the passwords they carried are dropped."""
    return rows_changed(tx,
        update(OneTimeToken)
        .where(OneTimeToken.account_id == account_id, OneTimeToken.purpose == VERIFY_EMAIL,
               (OneTimeToken.used_at.is_(None)) | (OneTimeToken.password_hash.is_not(None)))
        .values(used_at=func.coalesce(OneTimeToken.used_at, now), password_hash=None)
    )
