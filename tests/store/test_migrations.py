"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from notifier.errors import DatabaseNotMigrated
from notifier.store import migrate
from notifier.store.db import Base, get_engine
from notifier.workers.runtime import build_runtime
from tests.conftest import fresh_postgres_database, settings_for


def drift(url: str) -> list[object]:
    with get_engine(url).connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_sqlite_migrations_match_the_models(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    assert drift(sqlite_url) == []
    assert migrate.is_current(sqlite_url)


def test_postgres_migrations_match_the_models(postgres_url: str) -> None:
    assert migrate.is_current(postgres_url)
    assert drift(postgres_url) == []


def test_embedded_mode_creates_its_sqlite_file_by_itself(sqlite_url: str) -> None:
    build_runtime(settings_for(sqlite_url))
    tables = set(inspect(get_engine(sqlite_url)).get_table_names())
    assert {"customers", "orders", "events", "notifications"} <= tables


def test_an_unmigrated_postgres_is_refused_with_the_command_to_run() -> None:
    with fresh_postgres_database() as empty:
        with pytest.raises(DatabaseNotMigrated, match="notifier db upgrade"):
            build_runtime(settings_for(empty))
        migrate.upgrade(empty)
        build_runtime(settings_for(empty))
