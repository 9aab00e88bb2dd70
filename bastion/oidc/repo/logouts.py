"""Back-channel logout deliveries in storage: queued with the sessions' end, claimed by one worker
at a time (a conditional UPDATE of `locked_until`), then marked sent or due again."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session as Tx

from bastion.oidc.models import OidcClient, OidcGrant, OidcLogoutDelivery
from bastion.store.changes import rows_changed


def apps_to_notify(tx: Tx, session_ids: Collection[str]) -> list[tuple[str, str]]:
    """Each (client id, session id) of an app with a back-channel address these sessions signed in to."""
    rows = tx.execute(
        select(OidcGrant.client_id, OidcGrant.session_id).distinct()
        .join(OidcClient, OidcClient.id == OidcGrant.client_id)
        .where(OidcGrant.session_id.in_(session_ids), OidcClient.backchannel_logout_uri.is_not(None))
    ).all()
    return [(client_id, session_id) for client_id, session_id in rows if session_id is not None]  # IN: never None


def queue_logout(tx: Tx, client_id: str, account_id: str, session_id: str, jti: str, now: datetime) -> None:
    """A logout token to deliver from now."""
    tx.add(OidcLogoutDelivery(client_id=client_id, account_id=account_id, session_id=session_id,
                              jti=jti, created_at=now, next_attempt_at=now, attempts=0))


def due_deliveries(tx: Tx, now: datetime, max_attempts: int, limit: int) -> list[int]:
    """The ids of deliveries due at `now`, the oldest first: unsent, under `max_attempts`, claimed by no one."""
    return list(tx.execute(
        select(OidcLogoutDelivery.id)
        .where(OidcLogoutDelivery.sent_at.is_(None), OidcLogoutDelivery.next_attempt_at <= now,
               OidcLogoutDelivery.attempts < max_attempts,
               or_(OidcLogoutDelivery.locked_until.is_(None), OidcLogoutDelivery.locked_until < now))
        .order_by(OidcLogoutDelivery.id).limit(limit)).scalars())


def claim_delivery(tx: Tx, delivery_id: int, now: datetime, until: datetime) -> OidcLogoutDelivery | None:
    """The delivery, held for this worker until `until`; None when it was sent or another worker holds it.
    Of workers claiming at once, exactly one changes the row."""
    won = rows_changed(tx, update(OidcLogoutDelivery)
                       .where(OidcLogoutDelivery.id == delivery_id, OidcLogoutDelivery.sent_at.is_(None),
                              or_(OidcLogoutDelivery.locked_until.is_(None), OidcLogoutDelivery.locked_until < now))
                       .values(locked_until=until))
    return tx.get(OidcLogoutDelivery, delivery_id) if won else None


def record_attempt(tx: Tx, delivery_id: int, values: dict[str, Any]) -> None:
    """What an attempt changed: its count, and when sent or when due again with the error."""
    tx.execute(update(OidcLogoutDelivery).where(OidcLogoutDelivery.id == delivery_id).values(**values))


def delete_delivered(tx: Tx, before: datetime) -> int:
    return rows_changed(tx, delete(OidcLogoutDelivery).where(OidcLogoutDelivery.sent_at < before))
