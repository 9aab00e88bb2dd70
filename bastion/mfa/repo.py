"""The one statement that asks several second-factor methods at once.

Each method's repository hands over whether an account has it as an EXISTS clause on the
`account_id` parameter (`SecondFactorMethod.enrolled_clause`); this module only puts them in one
SELECT, so that the registry asks every method in one round trip (every sign-in asks). It knows
no method's table.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session as Tx


def clauses_holding(tx: Tx, clauses: Sequence[ColumnElement[bool]], account_id: str) -> list[bool]:
    """Whether each clause holds for the account, in the clauses' order."""
    row = tx.execute(select(*clauses), {"account_id": account_id}).one()
    return [bool(present) for present in row]
