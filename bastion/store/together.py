"""Rows a unit of work writes, held back and sent together: on PostgreSQL in one statement.

A completed sign-in writes five or six rows to five tables (its flow, its session, the device, its
events, its attempt), each an INSERT of its own: a round trip each, and each one's Python work
beside the password hash on the same core (issue 19). Inside `written_together(tx)`, `append_row`,
`add_now` and `insert_or_update` hold their rows back; they go when the block ends — or before
any other statement the transaction's connection runs, whoever runs it (the ORM, Core, raw SQL, a
flush, a SAVEPOINT: `bastion.store.db`), so nothing reads or writes around them. The rows keep
the transaction's meaning:

- Inside a savepoint nothing is held: its rows are written at once, so rolling it back takes
  exactly them and a failure shows where the savepoint is there to catch it (the rows held
  before it go ahead of its SAVEPOINT). Holding them and dropping them on a rollback would keep
  the failure for later, outside the savepoint.
- Rows of one table go in one INSERT, in the order each table first came — unless a row names,
  by a foreign key, a row of a table first held after its own: then it begins another INSERT
  after that row's, so every row still follows the rows it names.
- On PostgreSQL they go as one statement: the INSERTs in a WITH chain, each one's rows as one
  JSON parameter (`json_populate_recordset`: the values are converted as the columns' own types
  convert them, and the rows keep their order). The chain's INSERTs run on one snapshot, none
  seeing another's rows (foreign keys are checked as the statement ends), so an upsert never
  shares a chain with another INSERT into its table: it begins the next statement. On SQLite,
  where a statement costs no round trip, each INSERT goes on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Executable, Table, TextClause, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session as Tx

from bastion.store.db import HELD_ROWS

_HELD = "bastion.written_together"  # tx.info: the open block's `_Held`


@dataclass(frozen=True, slots=True)
class HeldRow:
    statement: Executable  # what writes it alone (its values as parameters)
    table: Table
    values: dict[str, Any]
    conflict_columns: tuple[str, ...] = ()  # an upsert: on these, copy `update_columns` onto the row
    update_columns: tuple[str, ...] = ()


class _Held:
    """The rows a block holds back, and the transaction's connection, which sends them first
    (`bastion.store.db.HELD_ROWS`) once they are named to it."""

    __slots__ = ("connection", "rows")

    def __init__(self) -> None:
        self.rows: list[HeldRow] = []
        self.connection: Connection | None = None

    def send(self, connection: Connection) -> None:
        rows, self.rows = self.rows, []  # emptied first: the statements below pass the same hook
        if rows:
            _send(connection, rows)


@contextmanager
def written_together(tx: Tx) -> Iterator[None]:
    """Rows written inside the block are held back and sent together when it ends (dropped if it
    raises). Inside another such block, its rows join the outer one's."""
    if _HELD in tx.info:
        yield
        return
    block = tx.info[_HELD] = _Held()
    try:
        yield
        if block.connection is not None:
            block.send(block.connection)
    finally:
        block.rows = []
        tx.info.pop(_HELD, None)


def held(tx: Tx, row: HeldRow) -> bool:
    """Hold `row` back when `tx` is inside `written_together`; False (write it now) when not, inside a
    savepoint, or when its table has a default only the database computes."""
    block: _Held | None = tx.info.get(_HELD)
    defaults = _python_defaults(row.table)
    if block is None or defaults is None:
        return False
    if block.connection is None:
        block.connection = tx.connection().execution_options(**{HELD_ROWS: block})
    if tx.in_nested_transaction() or block.connection.in_nested_transaction():  # the Session's or the connection's
        # A savepoint is there to catch a statement's failure where it happens, and rolling it back takes
        # exactly the rows written inside it: those go now, as without the block (the rows held before
        # it went ahead of its SAVEPOINT, as before any statement).
        return False
    if tx.autoflush and (tx.new or tx.dirty or tx.deleted):
        # Its INSERT would first flush the ORM's pending changes: the rows held so far go, then those
        # changes and this row as ever — every row keeps its place among the transaction's writes.
        return False
    missing = [(key, default) for key, default in defaults if key not in row.values]
    if missing:  # computed now, as the INSERT would have: every row of a shape names the same columns
        values = {**row.values, **{key: python_default(default) for key, default in missing}}
        row = HeldRow(row.statement, row.table, values, row.conflict_columns, row.update_columns)
    block.rows.append(row)
    return True


def python_default(default: Any) -> Any:
    """The value a column's Python-side default gives a row, as an INSERT would compute it."""
    return default.arg if default.is_scalar else default.arg(None)


@cache
def _python_defaults(table: Table) -> tuple[tuple[str, Any], ...] | None:
    """The table's column defaults computed in Python; None when one is computed by the database."""
    defaults = [(column.key, column.default) for column in table.c if column.default is not None]
    if any(not (default.is_scalar or default.is_callable) for _, default in defaults):
        return None
    return tuple(defaults)


def _send(connection: Connection, rows: list[HeldRow]) -> None:
    # On the transaction's connection, not through the ORM: held rows were written, as far as the caller
    # knows, before the ORM objects still pending (e.g. a device challenge naming the flow held here),
    # which follow at the next flush as before — and the ORM's execute costs more Python besides.
    dialect = connection.dialect
    groups = _grouped(rows)
    for statement in _statements(groups) if dialect.name == "postgresql" else [[group] for group in groups]:
        parameters = _as_json(dialect, statement) if len(statement) > 1 else None
        if parameters is not None:
            connection.execute(_chained(dialect, tuple(_shape(group) for group in statement)), parameters)
            continue
        for group in statement:
            connection.execute(group[0].statement,
                               group[0].values if len(group) == 1 else [row.values for row in group])


def _shape(group: list[HeldRow]) -> tuple[Table, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    first = group[0]
    return first.table, tuple(first.values), first.conflict_columns, first.update_columns


def _grouped(rows: list[HeldRow]) -> list[list[HeldRow]]:
    """Rows of one shape (table, columns) together, in the order each shape first came — unless a row
    names (by a foreign key) a row of a group begun after its shape's: then it begins a group of its
    own shape there, so every row still goes after the rows it names. An upsert goes alone (two in one
    statement could meet the same row)."""
    groups: list[list[HeldRow]] = []
    latest: dict[tuple[Any, ...], int] = {}  # shape → index of its latest group
    for row in rows:
        shape = _shape([row])
        index = None if row.conflict_columns else latest.get(shape)
        if index is None or _names_any(row, groups[index + 1:]):
            latest[shape] = len(groups)
            groups.append([row])
        else:
            groups[index].append(row)
    return groups


@cache
def _foreign_keys(table: Table) -> tuple[tuple[Table, tuple[str, ...], tuple[str, ...]], ...]:
    """Each foreign key of the table: the table it names, its own columns and the ones they name there."""
    return tuple((key.referred_table, tuple(column.key for column in key.columns),
                  tuple(element.column.key for element in key.elements)) for key in table.foreign_key_constraints)


def _names_any(row: HeldRow, groups: list[list[HeldRow]]) -> bool:
    for referred, columns, referred_columns in _foreign_keys(row.table):
        named = tuple(row.values.get(column) for column in columns)
        if None in named:
            continue
        if any(group[0].table is referred and any(tuple(other.values.get(column) for column in referred_columns)
                                                  == named for other in group) for group in groups):
            return True
    return False


def _statements(groups: list[list[HeldRow]]) -> list[list[list[HeldRow]]]:
    """Groups in runs that can share one statement (PostgreSQL: a WITH chain). Its INSERTs all run on
    one snapshot, none seeing another's rows, so an upsert never shares one with another INSERT into
    its table: it could meet a row that INSERT writes. Foreign keys are checked as the statement ends."""
    statements: list[list[list[HeldRow]]] = [[]]
    upserted: dict[Table, bool] = {}  # each table the current statement writes: whether by an upsert
    for group in groups:
        table, upsert = group[0].table, bool(group[0].conflict_columns)
        if table in upserted and (upsert or upserted[table]):
            statements.append([])
            upserted = {}
        upserted[table] = upserted.get(table, False) or upsert
        statements[-1].append(group)
    return statements


def _plain(value: Any) -> str:
    if isinstance(value, date):  # datetimes too: naive UTC once the column's type has converted them
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _as_json(dialect: Dialect, groups: list[list[HeldRow]]) -> dict[str, str] | None:
    """Each group's rows as one JSON array, converted by the columns' types; None when a value has
    no JSON form (then each group goes as a statement of its own)."""
    parameters = {}
    for index, group in enumerate(groups):
        converters = _converters(dialect, group[0].table)
        converted = [{key: (convert(value) if (convert := converters[key]) else value)
                      for key, value in row.values.items()} for row in group]
        try:
            parameters[f"rows{index}"] = json.dumps(converted, default=_plain)
        except (TypeError, ValueError):
            return None
    return parameters


@cache
def _converters(dialect: Dialect, table: Table) -> dict[str, Any]:
    return {column.key: column.type.bind_processor(dialect) for column in table.c}


@cache
def _chained(dialect: Dialect, shapes: tuple[tuple[Table, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]
             ) -> TextClause:
    """One INSERT per group's shape, in a WITH chain (built once per combination)."""
    quote = dialect.identifier_preparer.quote
    inserts = []
    for index, (table, keys, conflict, update) in enumerate(shapes):
        name = dialect.identifier_preparer.format_table(table)
        columns = ", ".join(quote(key) for key in keys)
        # Names quoted by the dialect, values only as parameters.
        insert = (f"INSERT INTO {name} ({columns}) SELECT {columns} "  # noqa: S608
                  f"FROM json_populate_recordset(CAST(NULL AS {name}), CAST(:rows{index} AS json))")
        if conflict:
            insert += (f" ON CONFLICT ({', '.join(quote(key) for key in conflict)}) DO UPDATE SET "
                       + ", ".join(f"{quote(key)} = excluded.{quote(key)}" for key in update))
        inserts.append(insert)
    *first, last = inserts
    return text("WITH " + ", ".join(f"written{index} AS ({insert})" for index, insert in enumerate(first))
                + " " + last)
