"""Account storage look-ups."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, FromClause, bindparam, delete, select
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account, OneTimeToken
from bastion.store.changes import rows_changed


def normalize_email(email: str) -> str:
    """The identifier as it is stored, counted and compared: NFKC, trimmed, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


# Statements on the sign-in path are built once: building one costs more than running it from
# SQLAlchemy's compiled cache.
_BY_EMAIL = select(Account).where(Account.email == bindparam("email"))


def find_account_by_email(tx: Tx, email: str) -> Account | None:
    return tx.execute(_BY_EMAIL, {"email": normalize_email(email)}).scalar_one_or_none()


def find_account(tx: Tx, account_id: str) -> Account | None:
    return tx.get(Account, account_id)


def get_account(tx: Tx, account_id: str) -> Account:
    return tx.get_one(Account, account_id)


_LOCKED = select(Account).where(Account.id == bindparam("account_id")).with_for_update() \
    .execution_options(populate_existing=True)


def lock_account(tx: Tx, account_id: str) -> Account:
    """The account as it stands now, its row locked until the transaction ends.

    A sign-in completes under this lock: a freeze, reset or restriction (each of which writes the
    account's row) either happened before — and the sign-in sees it — or waits for the sign-in to
    commit and then ends the session it made. (SQLite's transactions are serial anyway.)
    """
    return tx.execute(_LOCKED, {"account_id": account_id}).scalar_one()


def delete_expired_tokens(tx: Tx, before: datetime) -> int:
    """Housekeeping: emailed single-use tokens that expired before `before`."""
    return rows_changed(tx, delete(OneTimeToken).where(OneTimeToken.expires_at < before))


@dataclass(frozen=True, slots=True)
class AccountColumns:
    table: FromClause
    id: ColumnElement[Any]
    email: ColumnElement[Any]
    roles: ColumnElement[Any]


_ACCOUNTS = Account.__table__
# What a validated session carries of its account, joined to it in one statement (bastion.sessions.validation).
SESSION_COLUMNS = AccountColumns(_ACCOUNTS, _ACCOUNTS.c.id, _ACCOUNTS.c.email, _ACCOUNTS.c.roles)
