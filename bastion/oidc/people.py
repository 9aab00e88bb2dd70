"""The account as the provider describes it to apps: `sub` (the account's id: random, stable and
meaningless outside Bastion), email, and the restrictions a withdrawal service must respect."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, FromClause

from bastion.accounts import repo as accounts
from bastion.services import Services
from bastion.sessions.holds import Restriction


class AccountColumns(Protocol):
    """What the provider reads of the account in its own statements (a token's or a grant's holder)."""

    @property
    def table(self) -> FromClause: ...

    @property
    def id(self) -> ColumnElement[Any]: ...

    @property
    def email(self) -> ColumnElement[Any]: ...

    @property
    def status(self) -> ColumnElement[Any]: ...

    @property
    def email_verified_at(self) -> ColumnElement[Any]: ...


ACCOUNT: AccountColumns = accounts.COLUMNS


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    email: str
    email_verified: bool
    status: str


def load_person(services: Services, account_id: str) -> Person | None:
    """The account, while it may still sign in (a frozen, suspended or banned account gets nothing)."""
    with services.db.transaction() as tx:
        account = accounts.find_account(tx, account_id)
        if account is None or account.status != "active":
            return None
        return Person(account.id, account.email, account.email_verified_at is not None, account.status)


def restrictions_claim(person: Person, holds: Iterable[Restriction], now: datetime) -> dict[str, Any]:
    """The `bastion` claim: the account's status and its security holds running at `now`, e.g.
    `{"kind": "withdrawal", "reason": "password_reset", "until": 1767225600}`."""
    running = [hold for hold in holds if hold.until > now]
    return {"status": person.status,
            "restrictions": [{"kind": hold.kind, "reason": hold.reason, "until": int(hold.until.timestamp())}
                             for hold in running],
            "withdrawals_allowed": not any(hold.kind == "withdrawal" for hold in running)}
