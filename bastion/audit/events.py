"""The security event trail: who changed what on an account, and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.audit.models import SecurityEvent
from bastion.context import Client
from bastion.store.rows import append_row

_EVENTS = SecurityEvent.__table__


def record_event(
    tx: Tx,
    now: datetime,
    kind: str,
    account_id: str | None,
    client: Client | None = None,
    actor_id: str | None = None,
    **data: Any,
) -> None:
    """Write an event in the caller's transaction. `data` must never hold a secret.

    The row is written unsealed: the sealer (chain.py) links it into the chain shortly after
    it commits, so concurrent transactions never contend for the chain's end here. It is
    written at once (one INSERT, no object): nothing reads an event back in its own transaction.
    """
    append_row(tx, _EVENTS, {"account_id": account_id, "actor_id": actor_id or account_id, "kind": kind,
                             "created_at": now, "ip": client.ip if client else None, "data": data})
