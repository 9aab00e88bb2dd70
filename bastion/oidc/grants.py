"""Grants and their tokens: the code, its single exchange, refresh rotation with reuse detection.

Codes, access and refresh tokens are 256 random bits; only their SHA-256 is stored. A token request
is one transaction (`Unit`): the code or refresh token is read with its account and session in one
statement, and consumed by a conditional UPDATE in the same transaction that writes what it buys, so
of any number of concurrent exchanges exactly one gets tokens (tests/races). A code or a refresh
token presented again after its use revokes the whole family (RFC 6749 §4.1.2, RFC 9700 §4.14.2) and
is recorded as a security event.

Whatever ends a grant names it in its transaction (`sessions_changed`), so access tokens validated
from memory (bastion.oidc.access) are dropped on every node as cached sessions are. The statements
are in bastion.oidc.repo.grants.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.crypto import hash_token
from bastion.oidc.models import OidcGrant
from bastion.oidc.people import Person
from bastion.oidc.repo import grants as repo
from bastion.services import Services
from bastion.store import Database
from bastion.store.invalidation import sessions_changed
from bastion.store.types import new_id

ACCESS_PREFIX, REFRESH_PREFIX = "bat_", "brt_"


class Refused(Exception):
    """The code or refresh token buys nothing (unknown, expired, used, revoked): `invalid_grant`."""


class Unit:
    """A token request's one transaction, begun at its first statement: the client's authentication
    before it (its budget, its record) never waits behind it, even on SQLite's single writer."""

    def __init__(self, db: Database, stack: ExitStack) -> None:
        self._db = db
        self._stack = stack
        self._tx: Tx | None = None

    @property
    def tx(self) -> Tx:
        if self._tx is None:
            self._tx = self._stack.enter_context(self._db.transaction())
        return self._tx


@dataclass(frozen=True, slots=True)
class Authentication:
    """How the person proved who they are (bastion.oidc.authn reads it), kept with the code it was granted by."""

    acr: str
    amr: tuple[str, ...]
    auth_time: datetime
    second_factor_at: datetime | None  # the last proof of a second factor in this session


@dataclass(frozen=True, slots=True)
class PendingCode:
    client_id: str
    account_id: str
    session_id: str
    scope: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth: Authentication


def save_code(services: Services, code: str, pending: PendingCode) -> str:
    now = services.clock.now()
    grant = OidcGrant(
        id=new_id(), client_id=pending.client_id, account_id=pending.account_id, session_id=pending.session_id,
        scope=pending.scope, redirect_uri=pending.redirect_uri, nonce=pending.nonce, code_hash=hash_token(code),
        code_challenge=pending.code_challenge, code_challenge_method=pending.code_challenge_method,
        acr=pending.auth.acr, amr=list(pending.auth.amr), auth_time=pending.auth.auth_time,
        offline="offline_access" in pending.scope.split(), created_at=now,
        code_expires_at=now + timedelta(seconds=services.settings.oidc_code_seconds))
    with services.db.transaction() as tx:
        repo.add_grant(tx, grant)
    return grant.id


@dataclass(frozen=True, slots=True)
class Holder:
    """Whom a grant is for, as they stand now: the person (None once the account may no longer sign
    in) and when the session it came from ends (None: gone or revoked)."""

    person: Person | None
    session_ends: datetime | None


def _holder(grant: OidcGrant, status: str, email: str, verified_at: datetime | None, session_ends: datetime | None,
            session_revoked_at: datetime | None) -> Holder:
    person = Person(grant.account_id, email, verified_at is not None, status) if status == "active" else None
    return Holder(person, session_ends if session_revoked_at is None else None)


def find_code(tx: Tx, now: datetime, code: str, client_id: str, client: Client) -> tuple[OidcGrant, Holder] | None:
    """The grant of an unused, live code issued to this client. A used one revokes its family."""
    row = repo.code_with_holder(tx, hash_token(code))
    if row is None or row[0].client_id != client_id:
        return None
    grant = row[0]
    if grant.code_used_at is not None:
        revoke_family(tx, grant, now, "code_reused", client)
        return None
    if grant.revoked_at is not None or now >= grant.code_expires_at:
        return None
    return grant, _holder(grant, *row[1:])


def new_tokens(services: Services, grant: OidcGrant, holder: Holder, access: str, refresh: str | None, scope: str,
               now: datetime) -> list[dict[str, Any]]:
    rows = [dict(grant_id=grant.id, kind="access", token_hash=hash_token(access), scope=scope, created_at=now,
                 expires_at=now + timedelta(seconds=services.settings.oidc_access_token_seconds))]
    if refresh is not None:
        # Offline: days from its last use. Otherwise it lives as long as the session it came from.
        ends = now + timedelta(days=services.settings.oidc_offline_days) if grant.offline else holder.session_ends
        rows.append(dict(grant_id=grant.id, kind="refresh", token_hash=hash_token(refresh), scope=scope,
                         created_at=now, expires_at=ends or now))
    return rows


def exchange_code(tx: Tx, now: datetime, grant: OidcGrant, tokens: list[dict[str, Any]], client: Client) -> None:
    """Consume the code and store its tokens; `Refused` when another exchange won."""
    _use_once(tx, now, partial(repo.claim_code, tx, grant.id, now), tokens, grant, "code_reused", client,
              "oidc.tokens_issued")


def _use_once(tx: Tx, now: datetime, claim: Callable[[], bool], tokens: list[dict[str, Any]], grant: OidcGrant,
              reuse: str, client: Client, issued: str) -> None:
    """The conditional UPDATE `claim` and, only if it changed a row, the new tokens and their audit event
    (`issued`). A claim that changed nothing was a second use: the family is revoked (committed with the
    refusal) and `Refused` raised."""
    savepoint = tx.begin_nested()
    if claim():
        savepoint.commit()
        repo.add_tokens(tx, tokens)
        record_event(tx, now, issued, grant.account_id, client, client_id=grant.client_id, grant_id=grant.id,
                     scope=tokens[0]["scope"])
        return
    # A lost claim still holds the row's lock (PostgreSQL keeps it when the row no longer matched); give
    # it back before revoking, so that every revocation takes its rows in one order: a grant's tokens,
    # then the grant (kept where bastion.oidc.repo.grants' docstring says).
    savepoint.rollback()
    revoke_family(tx, grant, now, reuse, client)
    raise Refused()


@dataclass(frozen=True, slots=True)
class LiveRefresh:
    token_id: int
    grant: OidcGrant
    scope: str
    holder: Holder


def find_refresh(tx: Tx, now: datetime, refresh: str, client_id: str, client: Client) -> LiveRefresh | None:
    """The live refresh token for this client; one already rotated revokes its family (reuse)."""
    row = repo.refresh_with_holder(tx, hash_token(refresh))
    if row is None or row[1].client_id != client_id:
        return None
    token, grant = row[0], row[1]
    if token.used_at is not None:
        revoke_family(tx, grant, now, "refresh_reused", client)
        return None
    if token.revoked_at is not None or grant.revoked_at is not None or now >= token.expires_at:
        return None
    holder = _holder(grant, *row[2:])
    # The account may still sign in, and an online grant's session is still live.
    if holder.person is None or not (grant.offline or (holder.session_ends is not None and now < holder.session_ends)):
        return None
    return LiveRefresh(token.id, grant, token.scope, holder)


def rotate_refresh(tx: Tx, now: datetime, live: LiveRefresh, tokens: list[dict[str, Any]], client: Client) -> None:
    """Use the refresh token up and store its successors; `Refused` when another rotation won."""
    _use_once(tx, now, partial(repo.use_refresh_token, tx, live.token_id, now), tokens, live.grant, "refresh_reused",
              client, "oidc.tokens_refreshed")


def revoke_family(tx: Tx, grant: Any, now: datetime, reason: str, client: Client | None = None) -> bool:
    """End a grant (anything with its `id`, `account_id`, `client_id`) and every token of it; a reuse
    is recorded as a security event (once)."""
    ended = repo.revoke_family(tx, grant.id, now, reason)
    sessions_changed(tx, grant.id)  # its access tokens cached on any node go at commit
    if ended and reason.endswith("_reused"):
        record_event(tx, now, f"oidc.{reason}", grant.account_id, client, client_id=grant.client_id,
                     grant_id=grant.id)
    return ended


def revoke_grants(tx: Tx, now: datetime, reason: str, grant_ids: list[str]) -> None:
    if not grant_ids:
        return
    repo.revoke_grants(tx, grant_ids, now, reason)
    for grant_id in grant_ids:
        sessions_changed(tx, grant_id)
