"""Durable state: the shared declarative base, the database handle, Alembic migrations.

The tables themselves belong to the features (each package's `models.py`); `bastion/schema.py` gathers them.
Beside the database: the cache of validated sessions that follows its commits (`cache.py`,
`invalidation.py`), and what an expiring row is (`expiry.py`, swept by the worker).
"""

from bastion.store.base import Base
from bastion.store.db import Database

__all__ = ["Base", "Database"]
