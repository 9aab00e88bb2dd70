"""Authorization requests waiting for the person, in storage: each answers once (a conditional UPDATE)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session as Tx

from bastion.oidc.models import OidcAuthorizationRequest
from bastion.store.changes import rows_changed


def add_waiting_request(tx: Tx, request_id: str, browser_hash: str, client_id: str, params: dict[str, Any],
                        now: datetime, expires_at: datetime) -> None:
    tx.add(OidcAuthorizationRequest(id=request_id, browser_hash=browser_hash, client_id=client_id, params=params,
                                    created_at=now, expires_at=expires_at))


def find_waiting_request(tx: Tx, request_id: str) -> OidcAuthorizationRequest | None:
    return tx.get(OidcAuthorizationRequest, request_id)


def use_waiting_request(tx: Tx, request_id: str, now: datetime) -> bool:
    """Of answers at once, exactly one uses the request up; False when it was used already."""
    return bool(rows_changed(tx, update(OidcAuthorizationRequest)
                             .where(OidcAuthorizationRequest.id == request_id,
                                    OidcAuthorizationRequest.used_at.is_(None))
                             .values(used_at=now)))


def delete_expired_requests(tx: Tx, before: datetime) -> int:
    return rows_changed(tx, delete(OidcAuthorizationRequest).where(OidcAuthorizationRequest.expires_at < before))
