"""Durable state: the shared declarative base, the database handle, Alembic migrations.

The tables themselves belong to the features (each package's `models.py`); `bastion/schema.py` gathers them.
"""

from bastion.store.base import Base
from bastion.store.db import Database

__all__ = ["Base", "Database"]
