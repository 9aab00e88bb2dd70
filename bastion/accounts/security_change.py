"""A change to how an account is secured: a new password, a reset, a second-factor reset, the first
confirmation of its address. Every sign-in still in progress ends, and none started before the
change may finish (`bastion.signin.flow.advance_flow` checks `security_changed_at`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account
from bastion.plugs import Plug

# The sign-ins in progress are sign-in's flows: (transaction, account id, now) → how many ended.
EndSignIns = Callable[[Tx, str, datetime], int]
OPEN_SIGN_INS: Plug[EndSignIns] = Plug("ending the sign-ins in progress (bastion.signin)")


def security_changed(tx: Tx, account_id: str, now: datetime) -> int:
    """Mark the change and end the account's sign-ins in progress; returns how many were open."""
    tx.execute(update(Account).where(Account.id == account_id).values(security_changed_at=now)
               .execution_options(synchronize_session=False))
    return OPEN_SIGN_INS()(tx, account_id, now)
