"""Consent: a person allows a third-party app the scopes it asks for, once, until they remove it.

First-party apps (the platform's own) never ask. Removing an app's access also ends every grant
it holds for the account, so its tokens stop working at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.i18n import N_
from bastion.oidc.grants import revoke_grants
from bastion.oidc.models import OidcClient, OidcConsent, OidcGrant
from bastion.services import Services
from bastion.store.changes import rows_changed
from bastion.store.upsert import insert_or_update

# What each scope lets an app do, in the words of the consent page.
SCOPE_WORDS = {
    "openid": N_("Know that it is you (a stable identifier of your account)"),
    "email": N_("See your email address"),
    "restrictions": N_("See whether your account has restrictions or security holds, such as a pause on withdrawals"),
    "offline_access": N_("Stay connected when you are not signed in, until you remove its access"),
}


def consented(tx: Tx, account_id: str, client_id: str, scopes: list[str]) -> bool:
    row = tx.get(OidcConsent, (account_id, client_id))
    return row is not None and set(scopes) <= set(row.scopes)


def save_consent(tx: Tx, now: datetime, account_id: str, client_id: str, scopes: list[str],
                 client: Client) -> None:
    """Remember the allowed scopes (with any allowed before)."""
    row = tx.get(OidcConsent, (account_id, client_id))
    merged = sorted(set(scopes) | set(row.scopes if row else ()))
    insert_or_update(tx, OidcConsent.__table__, dict(account_id=account_id, client_id=client_id, scopes=merged,
                                                     created_at=row.created_at if row else now, updated_at=now),
                     ("account_id", "client_id"), ("scopes", "updated_at"))
    record_event(tx, now, "oidc.consent_given", account_id, client, client_id=client_id, scopes=merged)


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    client_id: str
    name: str
    scopes: tuple[str, ...]
    since: datetime


def connected_apps(services: Services, account_id: str) -> list[ConnectedApp]:
    with services.db.transaction() as tx:
        rows = tx.execute(select(OidcConsent, OidcClient.name).join(OidcClient, OidcClient.id == OidcConsent.client_id)
                          .where(OidcConsent.account_id == account_id).order_by(OidcConsent.created_at)).all()
    return [ConnectedApp(consent.client_id, name, tuple(consent.scopes), consent.created_at) for consent, name in rows]


def remove_access(services: Services, account_id: str, client_id: str, client: Client) -> bool:
    """Forget the consent and end every grant the app holds for this account."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        removed = rows_changed(tx, delete(OidcConsent).where(OidcConsent.account_id == account_id,
                                                       OidcConsent.client_id == client_id[:64]))
        if not removed:
            return False
        grant_ids = list(tx.execute(select(OidcGrant.id).where(OidcGrant.account_id == account_id,
                                                               OidcGrant.client_id == client_id,
                                                               OidcGrant.revoked_at.is_(None))).scalars())
        revoke_grants(tx, now, "access_removed", grant_ids)
        record_event(tx, now, "oidc.access_removed", account_id, client, client_id=client_id)
    return True
