"""The consents in storage: the scopes a person allowed a third-party app."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as Tx

from bastion.oidc.models import OidcClient, OidcConsent
from bastion.store.changes import rows_changed
from bastion.store.upsert import insert_or_update


def find_consent(tx: Tx, account_id: str, client_id: str) -> OidcConsent | None:
    return tx.get(OidcConsent, (account_id, client_id))


def store_consent(tx: Tx, account_id: str, client_id: str, scopes: list[str], created_at: datetime,
                  now: datetime) -> None:
    """The consent with these scopes, inserted or replacing the scopes of the one already there (one
    statement)."""
    insert_or_update(tx, OidcConsent.__table__, dict(account_id=account_id, client_id=client_id, scopes=scopes,
                                                     created_at=created_at, updated_at=now),
                     ("account_id", "client_id"), ("scopes", "updated_at"))


def consents_with_app_names(tx: Tx, account_id: str) -> list[tuple[OidcConsent, str]]:
    """The account's consents, the oldest first, each with its app's name."""
    rows = tx.execute(select(OidcConsent, OidcClient.name).join(OidcClient, OidcClient.id == OidcConsent.client_id)
                      .where(OidcConsent.account_id == account_id).order_by(OidcConsent.created_at)).all()
    return [(consent, name) for consent, name in rows]


def delete_consent(tx: Tx, account_id: str, client_id: str) -> bool:
    """False when there was none."""
    return bool(rows_changed(tx, delete(OidcConsent).where(OidcConsent.account_id == account_id,
                                                           OidcConsent.client_id == client_id)))
