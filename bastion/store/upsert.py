"""INSERT … ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    tx: Session, model: type, values: dict[str, Any], conflict_column: str | None = None,
    conflict_columns: tuple[str, ...] = (),
) -> bool:
    """Insert one row unless the unique column(s) already hold its values; True when inserted."""
    columns = [conflict_column] if conflict_column else list(conflict_columns)
    dialect = postgresql if tx.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=columns)
    return tx.execute(statement).rowcount == 1
