"""Grants and their tokens in storage: the code's single exchange and a refresh token's single use
(conditional UPDATEs whose row count decides), the revocation of whole families, and the reads of
a code, a refresh token or an access token with its holder in one statement.

Every revocation takes its rows in one order, a grant's tokens before the grant: on PostgreSQL a
write holds its row locks to the commit, and two revocations of one grant taking them in opposite
orders (a refresh token's reuse and the end of its session, at the same moment) would each wait for
the other until one dies of a deadlock (tests/races/test_oidc_revocations.py). The order is kept by
`revoke_family` (one grant), `revoke_grants` (a list of them) and `delete_grants_of_client` (a
client's deletion) here, and by bastion.oidc.grants `_use_once`, whose lost claim gives back the
token's or the code's lock before it revokes.

The holder's columns are handed over by their owners (the account's by bastion.accounts.repo, the
session's by bastion.sessions.repo), only to be read in the same round trip; every change to those
rows goes through the owners' functions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, FromClause, Row, and_, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session as Tx

from bastion.oidc.models import OidcGrant, OidcToken
from bastion.oidc.people import ACCOUNT
from bastion.sessions import repo as sessions
from bastion.store.changes import rows_changed


class SessionColumns(Protocol):
    """What a grant's holder reads of the session it came from (bastion.sessions.repo)."""

    @property
    def table(self) -> FromClause: ...

    @property
    def id(self) -> ColumnElement[Any]: ...

    @property
    def expires_at(self) -> ColumnElement[Any]: ...

    @property
    def revoked_at(self) -> ColumnElement[Any]: ...


SESSION: SessionColumns = sessions.COLUMNS
# The account and the session, read with the code or refresh token in one statement: the account's
# status, email and email_verified_at, the session's expires_at and revoked_at (None when it is gone).
_HOLDER = (ACCOUNT.status, ACCOUNT.email, ACCOUNT.email_verified_at, SESSION.expires_at, SESSION.revoked_at)
HolderColumns = tuple[str, str, datetime | None, datetime | None, datetime | None]


def add_grant(tx: Tx, grant: OidcGrant) -> None:
    tx.add(grant)


def code_with_holder(tx: Tx, code_hash: str) -> Row[OidcGrant, *HolderColumns] | None:
    """The grant of a code, then its holder's columns."""
    return tx.execute(select(OidcGrant, *_HOLDER).join(ACCOUNT.table, ACCOUNT.id == OidcGrant.account_id)
                      .outerjoin(SESSION.table, SESSION.id == OidcGrant.session_id)
                      .where(OidcGrant.code_hash == code_hash)).first()


def claim_code(tx: Tx, grant_id: str, now: datetime) -> bool:
    """The code's one exchange: of any number at once, exactly one changes the row."""
    return bool(rows_changed(tx, update(OidcGrant).where(OidcGrant.id == grant_id, OidcGrant.code_used_at.is_(None),
                                                         OidcGrant.revoked_at.is_(None)).values(code_used_at=now)))


def refresh_with_holder(tx: Tx, token_hash: str) -> Row[OidcToken, OidcGrant, *HolderColumns] | None:
    """A refresh token, its grant, then its holder's columns."""
    return tx.execute(
        select(OidcToken, OidcGrant, *_HOLDER).join(OidcGrant, OidcGrant.id == OidcToken.grant_id)
        .join(ACCOUNT.table, ACCOUNT.id == OidcGrant.account_id)
        .outerjoin(SESSION.table, SESSION.id == OidcGrant.session_id)
        .where(OidcToken.token_hash == token_hash, OidcToken.kind == "refresh")
    ).first()


def use_refresh_token(tx: Tx, token_id: int, now: datetime) -> bool:
    """The refresh token's one rotation: of any number at once, exactly one changes the row."""
    return bool(rows_changed(tx, update(OidcToken).where(OidcToken.id == token_id, OidcToken.used_at.is_(None),
                                                         OidcToken.revoked_at.is_(None)).values(used_at=now)))


def add_tokens(tx: Tx, tokens: list[dict[str, Any]]) -> None:
    tx.execute(OidcToken.__table__.insert(), tokens)


def revoke_family(tx: Tx, grant_id: str, now: datetime, reason: str) -> bool:
    """End the grant and every token of it; False when it had already ended."""
    # Its tokens, then the grant: the lock order of every revocation (this module's docstring).
    tx.execute(update(OidcToken).where(OidcToken.grant_id == grant_id, OidcToken.revoked_at.is_(None))
               .values(revoked_at=now))
    return bool(rows_changed(tx, update(OidcGrant).where(OidcGrant.id == grant_id, OidcGrant.revoked_at.is_(None))
                             .values(revoked_at=now, revoke_reason=reason)))


def revoke_grants(tx: Tx, grant_ids: Collection[str], now: datetime, reason: str) -> None:
    """End every token of these grants, then the grants."""
    # Tokens first, as revoke_family: the lock order of every revocation (this module's docstring).
    tx.execute(update(OidcToken).where(OidcToken.grant_id.in_(grant_ids), OidcToken.revoked_at.is_(None))
               .values(revoked_at=now))
    tx.execute(update(OidcGrant).where(OidcGrant.id.in_(grant_ids), OidcGrant.revoked_at.is_(None))
               .values(revoked_at=now, revoke_reason=reason))


def delete_grants_of_client(tx: Tx, client_id: str) -> None:
    """Every grant of the client and every token of them, before the client goes: its deletion's
    cascade would take the grants before their tokens, against the lock order of every revocation
    (this module's docstring)."""
    tx.execute(delete(OidcToken).where(OidcToken.grant_id.in_(select(OidcGrant.id)
                                                              .where(OidcGrant.client_id == client_id))))
    tx.execute(delete(OidcGrant).where(OidcGrant.client_id == client_id))


def live_grants_of_app(tx: Tx, account_id: str, client_id: str) -> list[str]:
    """The ids of the account's grants to this client that have not ended."""
    return list(tx.execute(select(OidcGrant.id).where(OidcGrant.account_id == account_id,
                                                      OidcGrant.client_id == client_id,
                                                      OidcGrant.revoked_at.is_(None))).scalars())


def live_grants_of_account(tx: Tx, account_id: str, keep: str | None) -> list[str]:
    """The ids of every grant of the account that has not ended, offline ones too, but those of the
    session `keep`."""
    return list(tx.execute(select(OidcGrant.id).where(
        OidcGrant.account_id == account_id, OidcGrant.revoked_at.is_(None),
        or_(OidcGrant.session_id.is_(None), OidcGrant.session_id != (keep or "")))).scalars())


def live_online_grants_of_sessions(tx: Tx, account_id: str, session_ids: Collection[str]) -> list[str]:
    """The ids of the grants these sessions of the account gave that have not ended, offline ones aside."""
    return list(tx.execute(select(OidcGrant.id).where(
        OidcGrant.account_id == account_id, OidcGrant.revoked_at.is_(None),
        OidcGrant.session_id.in_(session_ids), OidcGrant.offline.is_(False))).scalars())


_T, _G = OidcToken.__table__, OidcGrant.__table__
# Built once (every token validation): building a statement costs more than running it from the compiled cache.
_TOKENS = (select(_T.c.token_hash, _T.c.kind, _T.c.scope, _T.c.created_at, _T.c.expires_at, _T.c.used_at,
                  _T.c.revoked_at, _G.c.id, _G.c.client_id, _G.c.account_id, _G.c.session_id, _G.c.acr,
                  _G.c.revoked_at, ACCOUNT.status, ACCOUNT.email, ACCOUNT.email_verified_at)
           .join_from(_T, _G, _G.c.id == _T.c.grant_id).join(ACCOUNT.table, ACCOUNT.id == _G.c.account_id)
           .where(_T.c.token_hash.in_(bindparam("hashes", expanding=True))))


def tokens_with_holders(reader: Connection, token_hashes: list[str]) -> Sequence[Row[*tuple[Any, ...]]]:
    """Each known token among the hashes: its hash, kind, scope, created_at, expires_at, used_at and
    revoked_at; its grant's id, client_id, account_id, session_id, acr and revoked_at; its account's
    status, email and email_verified_at."""
    return reader.execute(_TOKENS, {"hashes": token_hashes}).all()


def delete_expired_tokens(tx: Tx, before: datetime) -> int:
    return rows_changed(tx, delete(OidcToken).where(OidcToken.expires_at < before))


def delete_ended_grants(tx: Tx, unexchanged_before: datetime, revoked_before: datetime) -> int:
    """Grants whose code was never exchanged and expired before `unexchanged_before`, and those revoked
    before `revoked_before` (their tokens are gone with them)."""
    return rows_changed(tx, delete(OidcGrant).where(or_(
        and_(OidcGrant.code_used_at.is_(None), OidcGrant.code_expires_at < unexchanged_before),
        OidcGrant.revoked_at < revoked_before)))
