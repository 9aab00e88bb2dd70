"""Rows a feature deletes some time after they expire; the worker sweeps them (`bastion.worker`).

Each kind is kept a while after it expires, so a late request still gets the precise answer
(`flow.expired`, `token.expired`) rather than "not found". Deleting is idempotent, so every node may
sweep. A feature declares its kinds in its own `jobs.py` (`EXPIRIES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as Tx


@dataclass(frozen=True, slots=True)
class Expiry:
    table: str
    keep: timedelta  # after its expiry
    delete: Callable[[Tx, datetime], int]  # (transaction, expired before) → how many rows went
