"""Durable state: SQLAlchemy models, the database handle, Alembic migrations."""

from bastion.store.db import Database
from bastion.store.models import Base

__all__ = ["Base", "Database"]
