"""INSERT … ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    tx: Session, model: type, values: dict[str, Any], conflict_column: str | None = None,
    conflict_columns: tuple[str, ...] = (),
) -> bool:
    """Insert one row unless the unique column(s) already hold its values; True when inserted."""
    columns = [conflict_column] if conflict_column else list(conflict_columns)
    dialect = postgresql if tx.get_bind().dialect.name == "postgresql" else sqlite
    key = inspect(model).primary_key[0]
    statement = (dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=columns)
                 .returning(key))
    # RETURNING, not rowcount: psycopg reports no usable rowcount for ON CONFLICT DO NOTHING here.
    return tx.execute(statement).first() is not None
