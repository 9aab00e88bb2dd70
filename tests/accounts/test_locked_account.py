"""The account read with its lock in Core (`lock_account_reading`) is the account's row, value for value."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import literal

from bastion.accounts.models import Account
from bastion.accounts.repo import LOCKED_COLUMNS, LockedAccount, get_account, lock_account_reading


def test_its_fields_are_the_tables_columns_in_order() -> None:
    assert [field.name for field in fields(LockedAccount)] == [column.key for column in LOCKED_COLUMNS]
    assert [column.key for column in LOCKED_COLUMNS] == [column.key for column in Account.__table__.c]


def test_it_reads_what_the_orm_reads_and_the_looks_ups_asked_with_it(services, account_factory) -> None:
    made = account_factory(roles=["support"])
    asked = (literal(7).label("seven"),)
    with services.db.transaction() as tx:
        locked, row = lock_account_reading(tx, made["id"], asked)
        orm = get_account(tx, made["id"])
        assert row.seven == 7
        for column in LOCKED_COLUMNS:
            assert getattr(locked, column.key) == getattr(orm, column.key), column.key
        assert locked.role_set == orm.role_set == frozenset({"support"})
