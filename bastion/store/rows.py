"""New rows written at once with one Core INSERT, for the sign-in path.

The ORM's unit of work costs more Python than the INSERT it sends (it sorts, batches and asks
for generated keys); on the sign-in path that work shares the core with the password hash
(issue 10, benchmark 2). Rows whose key is set in Python go through `add_now`, which keeps the
object usable as if it had been read; log rows nobody reads back go through `append_row`. Inside
`bastion.store.together.written_together` both hold their rows back, to be sent with the others.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm import Session as Tx

from bastion.store.together import HeldRow, held, python_default


@cache
def _insert(table: Table) -> Insert:
    return insert(table)  # built once per table: building a statement costs more than running it


def append_row(tx: Tx, table: Table, values: dict[str, Any]) -> None:
    """INSERT one row now, in `tx`, without an object or a generated key read back."""
    statement = _insert(table)
    if not held(tx, HeldRow(statement, table, values)):
        tx.execute(statement, values)


def add_now(tx: Tx, row: DeclarativeBase) -> None:
    """INSERT a new object (its primary key set) now, then keep it in `tx` as a persistent object.

    Columns left unset take their Python default or NULL, on the object as in the row, so
    nothing on it needs a reload; later changes to it are flushed as UPDATEs.
    """
    mapper = inspect(row).mapper
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key not in row.__dict__:
            default = column.default
            value = None if default is None else python_default(default)
            setattr(row, prop.key, value)
        values[column.key] = row.__dict__[prop.key]
    statement, table = _insert(mapper.local_table), mapper.local_table
    if not held(tx, HeldRow(statement, table, values)):  # type: ignore[arg-type]
        tx.execute(statement, values)
    make_transient_to_detached(row)
    tx.add(row)
