"""The registered clients (relying parties) in storage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as Tx

from bastion.oidc.models import OidcClient
from bastion.store.changes import rows_changed


def add_client(tx: Tx, client: OidcClient) -> None:
    tx.add(client)


def all_clients(tx: Tx) -> list[OidcClient]:
    """Every client, the oldest first."""
    return list(tx.execute(select(OidcClient).order_by(OidcClient.created_at)).scalars())


def find_client(tx: Tx, client_id: str) -> OidcClient | None:
    return tx.get(OidcClient, client_id)


def replace_secret(tx: Tx, client_id: str, secret_hash: str, now: datetime) -> bool:
    """The confidential client's new secret hash; False when there is no such client (or it is
    public: a public client never gets a secret)."""
    return bool(rows_changed(tx, update(OidcClient)
                             .where(OidcClient.id == client_id, OidcClient.secret_hash.is_not(None))
                             .values(secret_hash=secret_hash, secret_rotated_at=now)))


def delete_client(tx: Tx, client_id: str) -> bool:
    """The client and, with it, every grant, token and consent it had (ON DELETE CASCADE: its grants
    and tokens are deleted first, bastion.oidc.repo.grants `delete_grants_of_client`)."""
    return rows_changed(tx, delete(OidcClient).where(OidcClient.id == client_id)) == 1


def backchannel_uri(tx: Tx, client_id: str) -> str | None:
    """Where the client hears of ended sessions (None: it does not, or it is gone)."""
    return tx.execute(select(OidcClient.backchannel_logout_uri)
                      .where(OidcClient.id == client_id)).scalar_one_or_none()
