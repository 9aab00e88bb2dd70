"""The accounts' statements: look-ups, and the changes other features ask of an account."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, Label, Row, Select, bindparam, delete, or_, select, update
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


@dataclass(frozen=True, slots=True)
class LockedAccount:
    """The account's row as `lock_account_reading` read it: its values, no ORM object to build or track.
    Changes go through the functions of this module (e.g. `replace_password_hash`)."""

    id: str
    email: str
    password_hash: str | None
    email_verified_at: datetime | None
    status: str
    status_reason: str | None
    status_until: datetime | None
    status_changed_at: datetime | None
    ip_allowlist: list[str]
    roles: str
    anti_phishing_code: str | None
    created_at: datetime
    password_changed_at: datetime | None
    security_changed_at: datetime | None
    language: str | None
    time_zone: str | None

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(role for role in self.roles.split(",") if role)


# Built from the row by position: the fields are the table's columns, in its order (a test holds them so).
LOCKED_COLUMNS = tuple(Account.__table__.c)


_LOCKING = select(*LOCKED_COLUMNS).where(Account.id == bindparam("account_id")).with_for_update()


@lru_cache(maxsize=8)  # one entry per set of stages' look-ups: a handful
def _locking_with(reads: tuple[Label[Any], ...]) -> tuple[Select[Any], Select[Any]]:
    """The lock with the look-ups, if the row is free now; the look-ups alone, for after a wait."""
    together = (select(*LOCKED_COLUMNS, *reads).where(Account.id == bindparam("account_id"))
                .with_for_update(skip_locked=True))
    return together, select(*reads)


def lock_account_reading(tx: Tx, account_id: str, reads: tuple[Label[Any], ...] = (),
                         parameters: Mapping[str, Any] | None = None) -> tuple[LockedAccount, Row[Any]]:
    """`lock_account` in Core, with other look-ups in the same statement: `reads`, labelled columns
    (built once: the statement is cached by them) on the `account_id` parameter and `parameters`.
    The account's values, and a row holding the `reads` by label. Sent on the transaction's
    connection: a Core statement needs none of the ORM's execute (nor its autoflush).

    Together only when the row is free (SKIP LOCKED): a statement that waits for a lock on
    PostgreSQL sees the row as the holder left it but its look-ups as they were before the wait
    (one snapshot a statement), and would miss what that holder wrote (another sign-in's history,
    a second factor removed). After a wait, the look-ups are read again, on their own."""
    values = {**(parameters or {}), "account_id": account_id}
    connection = tx.connection()
    if not reads:
        alone_row = connection.execute(_LOCKING, values).one()
        return LockedAccount(*alone_row), alone_row
    together, alone = _locking_with(reads)
    row = connection.execute(together, values).one_or_none()
    if row is not None:
        return LockedAccount(*row[:len(LOCKED_COLUMNS)]), row
    account = LockedAccount(*connection.execute(_LOCKING, values).one())  # waits for the holder
    return account, connection.execute(alone, values).one()


def replace_password_hash(tx: Tx, account_id: str, password_hash: str) -> None:
    """The same password's hash at today's parameters (a rehash at sign-in: not a password change)."""
    table = Account.__table__
    tx.execute(update(table).where(table.c.id == account_id).values(password_hash=password_hash))


def roles_of(reader: Tx | Connection, account_id: str) -> str | None:
    """The account's roles as stored ("" for a customer); None when there is no such account."""
    return reader.execute(select(Account.roles).where(Account.id == account_id)).scalar_one_or_none()


def emails_of(tx: Tx, account_ids: Collection[str]) -> dict[str, str]:
    """Account ids → email addresses."""
    return dict(tx.execute(select(Account.id, Account.email).where(Account.id.in_(list(account_ids)))).all())


def find_accounts(tx: Tx, account_ids: Collection[str]) -> list[Account]:
    return list(tx.execute(select(Account).where(Account.id.in_(list(account_ids)))).scalars())


def accounts_matching(tx: Tx, text: str, limit: int) -> list[Account]:
    """The account with this id, or those whose email address holds `text`, newest first."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(tx.execute(select(Account).where(or_(Account.id == text, Account.email.like(pattern, escape="\\")))
                           .order_by(Account.created_at.desc()).limit(limit)).scalars())


def set_password(tx: Tx, account_id: str, password_hash: str, now: datetime) -> None:
    """A new password (its hash, computed in the guard's hash gate): a change or a reset."""
    account = get_account(tx, account_id)
    account.password_hash, account.password_changed_at = password_hash, now


def empty_allowlist(tx: Tx, account_id: str) -> list[str]:
    """Sign-in is allowed from anywhere again; returns the networks that were on the list."""
    account = get_account(tx, account_id)
    removed = list(account.ip_allowlist)
    account.ip_allowlist = []
    return removed


def delete_expired_tokens(tx: Tx, before: datetime) -> int:
    """Housekeeping: emailed single-use tokens that expired before `before`."""
    return rows_changed(tx, delete(OneTimeToken).where(OneTimeToken.expires_at < before))


@dataclass(frozen=True, slots=True)
class AccountColumns:
    """The account's columns another feature may read in its own statement, joined by id, where one
    round trip matters (a session's validation, an OpenID token's, the support queue's page). Only
    read: changes go through the functions above."""

    table: FromClause
    id: ColumnElement[Any]
    email: ColumnElement[Any]
    roles: ColumnElement[Any]
    status: ColumnElement[Any]
    email_verified_at: ColumnElement[Any]

    def aliased(self, name: str) -> AccountColumns:
        """The same columns of the table under another name, to join it twice in one statement (a
        case's owner and the agent holding it)."""
        return _columns_of(self.table.alias(name))


def _columns_of(table: FromClause) -> AccountColumns:
    return AccountColumns(table, table.c.id, table.c.email, table.c.roles, table.c.status, table.c.email_verified_at)


COLUMNS = _columns_of(Account.__table__)
