"""The store's own table: the changes to cached sessions, for nodes that have no Redis (invalidation.py)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base


class CacheChange(Base):
    """One committed change to cached sessions: the groups it concerns (account ids, session ids, ...).

    Written in the transaction that makes the change, so its id orders it among commits; ids never
    go back (AUTOINCREMENT), so a reader that saw id N has seen every change before it."""

    __tablename__ = "cache_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    groups: Mapped[str] = mapped_column(String(2000))
