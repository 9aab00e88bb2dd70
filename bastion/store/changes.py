"""How many rows a conditional UPDATE or DELETE changed: what a one-time consume checks."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session as Tx


def rows_changed(tx: Tx, statement: Executable) -> int:
    """Run `statement` in `tx` and count the rows it changed.

    An UPDATE or DELETE answers with a cursor result, whose `rowcount` this reads; the session's
    `execute` is typed for any statement, so it does not say so itself.
    """
    return cast(CursorResult[Any], tx.execute(statement)).rowcount
