"""Grants and their tokens: the code, its single exchange, refresh rotation with reuse detection.

Codes, access and refresh tokens are 256 random bits; only their SHA-256 is stored. Every
one-time thing is consumed by a conditional UPDATE in the same transaction that writes what it
buys, so of any number of concurrent exchanges exactly one gets tokens (tests/races). A code or a
refresh token presented again after its use revokes the whole family (RFC 6749 §4.1.2, RFC 9700
§4.14.2) and is recorded as a security event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account
from bastion.audit import record_event
from bastion.context import Client
from bastion.crypto import hash_token
from bastion.oidc.models import OidcGrant, OidcToken
from bastion.services import Services
from bastion.sessions.models import Session
from bastion.store.changes import rows_changed
from bastion.store.types import new_id

ACCESS_PREFIX, REFRESH_PREFIX = "bat_", "brt_"


class Refused(Exception):
    """The code or refresh token buys nothing (unknown, expired, used, revoked): `invalid_grant`."""


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
        tx.add(grant)
    return grant.id


def find_code(services: Services, code: str, client_id: str, client: Client) -> OidcGrant | None:
    """The grant of an unused, live code issued to this client. A used one revokes its family."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        grant = tx.execute(select(OidcGrant).where(OidcGrant.code_hash == hash_token(code))).scalar_one_or_none()
        if grant is None or grant.client_id != client_id:
            return None
        if grant.code_used_at is not None:
            revoke_family(tx, grant, now, "code_reused", client)
            return None
        if grant.revoked_at is not None or now >= grant.code_expires_at:
            return None
        return grant


def new_tokens(services: Services, grant: OidcGrant, access: str, refresh: str | None, scope: str,
               now: datetime) -> list[dict[str, Any]]:
    rows = [dict(grant_id=grant.id, kind="access", token_hash=hash_token(access), scope=scope, created_at=now,
                 expires_at=now + timedelta(seconds=services.settings.oidc_access_token_seconds))]
    if refresh is not None:
        rows.append(dict(grant_id=grant.id, kind="refresh", token_hash=hash_token(refresh), scope=scope,
                         created_at=now, expires_at=_refresh_expiry(services, grant, now)))
    return rows


def _refresh_expiry(services: Services, grant: OidcGrant, now: datetime) -> datetime:
    if grant.offline:
        return now + timedelta(days=services.settings.oidc_offline_days)
    with services.db.transaction() as tx:
        ends = tx.execute(select(Session.expires_at).where(Session.id == grant.session_id)).scalar_one_or_none()
    return ends or now


def exchange_code(services: Services, grant: OidcGrant, tokens: list[dict[str, Any]], client: Client) -> None:
    """Consume the code and store its tokens, atomically; `Refused` when another exchange won."""
    claim = (update(OidcGrant).where(OidcGrant.id == grant.id, OidcGrant.code_used_at.is_(None),
                                     OidcGrant.revoked_at.is_(None)).values(code_used_at=services.clock.now()))
    _use_once(services, claim, tokens, grant, "code_reused", client, "oidc.tokens_issued")


def _use_once(services: Services, claim: Any, tokens: list[dict[str, Any]], grant: OidcGrant, reuse: str,
              client: Client, issued: str) -> None:
    """The conditional UPDATE `claim` and, only if it changed a row, the new tokens and their audit
    event (`issued`), in one transaction. A claim that changed nothing was a second use: the family is
    revoked and `Refused` raised."""
    with services.db.transaction() as tx:
        claimed = rows_changed(tx, claim)
        if claimed:
            tx.execute(OidcToken.__table__.insert(), tokens)
            record_event(tx, services.clock.now(), issued, grant.account_id, client, client_id=grant.client_id,
                         grant_id=grant.id, scope=tokens[0]["scope"])
    if not claimed:
        with services.db.transaction() as tx:
            revoke_family(tx, grant, services.clock.now(), reuse, client)
        raise Refused()


@dataclass(frozen=True, slots=True)
class LiveRefresh:
    token_id: int
    grant: OidcGrant
    scope: str


def find_refresh(services: Services, refresh: str, client_id: str, client: Client) -> LiveRefresh | None:
    """The live refresh token for this client; one already rotated revokes its family (reuse)."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        row = tx.execute(
            select(OidcToken, OidcGrant).join(OidcGrant, OidcGrant.id == OidcToken.grant_id)
            .where(OidcToken.token_hash == hash_token(refresh), OidcToken.kind == "refresh")
        ).first()
        if row is None or row[1].client_id != client_id:
            return None
        token, grant = row
        if token.used_at is not None:
            revoke_family(tx, grant, now, "refresh_reused", client)
            return None
        if token.revoked_at is not None or grant.revoked_at is not None or now >= token.expires_at:
            return None
        if not _still_entitled(tx, grant, now):
            return None
        return LiveRefresh(token.id, grant, token.scope)


def _still_entitled(tx: Tx, grant: OidcGrant, now: datetime) -> bool:
    """The account may still sign in, and an online grant's session is still live."""
    status = tx.execute(select(Account.status).where(Account.id == grant.account_id)).scalar_one_or_none()
    if status != "active":
        return False
    if grant.offline:
        return True
    session = tx.execute(select(Session.revoked_at, Session.expires_at)
                         .where(Session.id == grant.session_id)).first()
    return session is not None and session.revoked_at is None and now < session.expires_at


def rotate_refresh(services: Services, live: LiveRefresh, tokens: list[dict[str, Any]], client: Client) -> None:
    """Use the refresh token up and store its successors, atomically; `Refused` when another rotation won."""
    claim = (update(OidcToken).where(OidcToken.id == live.token_id, OidcToken.used_at.is_(None),
                                     OidcToken.revoked_at.is_(None)).values(used_at=services.clock.now()))
    _use_once(services, claim, tokens, live.grant, "refresh_reused", client, "oidc.tokens_refreshed")


def revoke_family(tx: Tx, grant: OidcGrant, now: datetime, reason: str, client: Client | None = None) -> bool:
    """End a grant and every token of it; a reuse is recorded as a security event (once)."""
    ended = rows_changed(tx, update(OidcGrant).where(OidcGrant.id == grant.id, OidcGrant.revoked_at.is_(None))
                       .values(revoked_at=now, revoke_reason=reason))
    tx.execute(update(OidcToken).where(OidcToken.grant_id == grant.id, OidcToken.revoked_at.is_(None))
               .values(revoked_at=now))
    if ended and reason.endswith("_reused"):
        record_event(tx, now, f"oidc.{reason}", grant.account_id, client, client_id=grant.client_id,
                     grant_id=grant.id)
    return bool(ended)


def revoke_grants(tx: Tx, now: datetime, reason: str, grant_ids: list[str]) -> None:
    if not grant_ids:
        return
    tx.execute(update(OidcGrant).where(OidcGrant.id.in_(grant_ids), OidcGrant.revoked_at.is_(None))
               .values(revoked_at=now, revoke_reason=reason))
    tx.execute(update(OidcToken).where(OidcToken.grant_id.in_(grant_ids), OidcToken.revoked_at.is_(None))
               .values(revoked_at=now))


@dataclass(frozen=True, slots=True)
class TokenInfo:
    kind: str
    scope: str
    created_at: datetime
    expires_at: datetime
    live: bool
    grant: OidcGrant
    email: str = ""
    email_verified: bool = False


def token_info(services: Services, token: str, hint: str | None = None) -> TokenInfo | None:
    """What a token is (with its account's email), for userinfo, introspection and revocation; None
    when unknown. One query."""
    if not token.startswith((ACCESS_PREFIX, REFRESH_PREFIX)) or len(token) > 128:
        return None
    now = services.clock.now()
    with services.db.transaction() as tx:
        row = tx.execute(select(OidcToken, OidcGrant, Account.status, Account.email, Account.email_verified_at)
                         .join(OidcGrant, OidcGrant.id == OidcToken.grant_id)
                         .join(Account, Account.id == OidcGrant.account_id)
                         .where(OidcToken.token_hash == hash_token(token))).first()
    if row is None:
        return None
    token_row, grant, status, email, verified_at = row
    live = (token_row.revoked_at is None and token_row.used_at is None and grant.revoked_at is None
            and now < token_row.expires_at and status == "active")
    return TokenInfo(token_row.kind, token_row.scope, token_row.created_at, token_row.expires_at, live, grant,
                     email, verified_at is not None)


def revoke_token(services: Services, info: TokenInfo, client: Client | None = None) -> None:
    """RFC 7009 §2.1: revoking a refresh token ends the grant with its access tokens; revoking an
    access token ends that token (it lives minutes anyway) and, here, its family too."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        if revoke_family(tx, info.grant, now, "revoked_by_client"):
            record_event(tx, now, "oidc.token_revoked", info.grant.account_id, client, client_id=info.grant.client_id,
                         grant_id=info.grant.id, token_kind=info.kind)
