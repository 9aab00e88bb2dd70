"""Consent: a person allows a third-party app the scopes it asks for, once, until they remove it.

First-party apps (the platform's own) never ask. Removing an app's access also ends every grant
it holds for the account, so its tokens stop working at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.i18n import N_
from bastion.oidc.grants import revoke_grants
from bastion.oidc.repo import consents as repo
from bastion.oidc.repo import grants as grant_repo
from bastion.services import Services

# What each scope lets an app do, in the words of the consent page.
SCOPE_WORDS = {
    "openid": N_("Know that it is you (a stable identifier of your account)"),
    "email": N_("See your email address"),
    "restrictions": N_("See whether your account has restrictions or security holds, such as a pause on withdrawals"),
    "offline_access": N_("Stay connected when you are not signed in, until you remove its access"),
}


def consented(tx: Tx, account_id: str, client_id: str, scopes: list[str]) -> bool:
    row = repo.find_consent(tx, account_id, client_id)
    return row is not None and set(scopes) <= set(row.scopes)


def save_consent(tx: Tx, now: datetime, account_id: str, client_id: str, scopes: list[str],
                 client: Client) -> None:
    """Remember the allowed scopes (with any allowed before)."""
    row = repo.find_consent(tx, account_id, client_id)
    merged = sorted(set(scopes) | set(row.scopes if row else ()))
    repo.store_consent(tx, account_id, client_id, merged, row.created_at if row else now, now)
    record_event(tx, now, "oidc.consent_given", account_id, client, client_id=client_id, scopes=merged)


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    client_id: str
    name: str
    scopes: tuple[str, ...]
    since: datetime


def connected_apps(services: Services, account_id: str) -> list[ConnectedApp]:
    with services.db.transaction() as tx:
        rows = repo.consents_with_app_names(tx, account_id)
    return [ConnectedApp(consent.client_id, name, tuple(consent.scopes), consent.created_at) for consent, name in rows]


def remove_access(services: Services, account_id: str, client_id: str, client: Client) -> bool:
    """Forget the consent and end every grant the app holds for this account."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        if not repo.delete_consent(tx, account_id, client_id[:64]):
            return False
        grant_ids = grant_repo.live_grants_of_app(tx, account_id, client_id)
        revoke_grants(tx, now, "access_removed", grant_ids)
        record_event(tx, now, "oidc.access_removed", account_id, client, client_id=client_id)
    return True
