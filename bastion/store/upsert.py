"""INSERT … ON CONFLICT on both SQLite and PostgreSQL: one statement, atomic, no read first."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Column, Insert, Table, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bastion.store.together import HeldRow, held


def _insert(tx: Session, model: type, values: dict[str, Any]) -> Any:
    dialect = postgresql if tx.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).values(**values)


def insert_ignoring_duplicates(
    tx: Session, model: type, values: dict[str, Any], conflict_column: str | None = None,
    conflict_columns: tuple[str, ...] = (),
) -> bool:
    """Insert one row unless the unique column(s) already hold its values; True when inserted."""
    columns = [conflict_column] if conflict_column else list(conflict_columns)
    key: Column[Any] = inspect(model).primary_key[0]
    statement = _insert(tx, model, values).on_conflict_do_nothing(index_elements=columns).returning(key)
    # RETURNING, not rowcount: psycopg reports no usable rowcount for ON CONFLICT DO NOTHING here.
    return tx.execute(statement).first() is not None


def insert_or_update(tx: Session, table: Table, values: dict[str, Any], conflict_columns: tuple[str, ...],
                     update_columns: tuple[str, ...]) -> None:
    """Insert one row, or copy its `update_columns` onto the row that already holds its unique column(s)."""
    statement = _upsert(tx.get_bind().dialect.name, table, conflict_columns, update_columns)
    if not held(tx, HeldRow(statement, table, values, conflict_columns, update_columns)):
        tx.execute(statement, values)


@cache
def _upsert(dialect_name: str, table: Table, conflict_columns: tuple[str, ...],
            update_columns: tuple[str, ...]) -> Insert:
    """Built once per table and dialect: the values come as parameters (the sign-in path)."""
    statement = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
    upsert: Insert = statement.on_conflict_do_update(index_elements=list(conflict_columns),
                                           set_={column: statement.excluded[column] for column in update_columns})
    return upsert
