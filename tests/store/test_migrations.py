"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_a_message_sending_before_0008_is_taken_for_called_at_its_last_touch() -> None:
    with fresh_postgres_database() as url:
        command.upgrade(migrate.alembic_config(url), "0007")
        with get_engine(url).begin() as connection:
            connection.execute(text(
                "INSERT INTO notifications (dedup_key, kind, event_id, status, due_at, attempts,"
                " context, history, created_at, updated_at) VALUES ('k1', 'order_confirmed',"
                " 'e1', 'sending', now(), 1, '{}', '[]', now(), '2026-12-01 10:00:00+00')"
            ))  # fmt: skip
        migrate.upgrade(url)
        with get_engine(url).connect() as connection:
            row = connection.execute(
                text("SELECT claim_token, provider_called_at, updated_at FROM notifications")
            ).one()
    assert row.claim_token == 0 and row.provider_called_at == row.updated_at
