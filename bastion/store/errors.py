"""The database's failures as the web layer tells them apart: unreachable (a 503) or not."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# What the database driver and the pool raise; the web layer registers its handler for each.
DATABASE_ERRORS = (DBAPIError, PoolTimeout)


def is_unreachable(error: BaseException) -> bool:
    """The server or the pool could not be reached (as opposed to a failing statement)."""
    return isinstance(error, (OperationalError, InterfaceError, PoolTimeout)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)
