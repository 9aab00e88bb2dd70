"""The migrations build exactly the schema the features' models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bastion.schema import metadata
from bastion.store import Database
from bastion.store.db import alembic_config


def _differences(database: Database) -> list[object]:
    """What `alembic check` would report: every table, column, index, constraint and type that differs."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        tables = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
        assert tables == set(metadata.tables)
        assert _differences(database) == []
    finally:
        database.dispose()


def test_upgrade_is_idempotent_and_ends_at_the_newest_migration(database_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    database = Database(database_url)
    try:
        database.upgrade()
        database.upgrade()
        with database.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head
        assert _differences(database) == []
    finally:
        database.dispose()
