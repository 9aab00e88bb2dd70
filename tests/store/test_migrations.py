"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bastion.store import Base, Database


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()


def test_upgrade_is_idempotent(database_url: str) -> None:
    database = Database(database_url)
    try:
        database.upgrade()
        database.upgrade()
    finally:
        database.dispose()
