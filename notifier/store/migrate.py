"""Schema migrations (alembic), run by `notifier db upgrade` and by the embedded mode itself."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from notifier.errors import DatabaseNotMigrated
from notifier.store.db import get_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An alembic Config for the given database, with our migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every migration the database has not seen yet."""
    command.upgrade(alembic_config(url), "head")


def is_current(url: str) -> bool:
    """True when the database is at the newest revision."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    with get_engine(url).connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current == head


def ensure_schema(url: str) -> None:
    """SQLite (embedded) migrates itself; any other database must be upgraded by ops."""
    if is_current(url):
        return
    if url.startswith("sqlite"):
        upgrade(url)
        return
    raise DatabaseNotMigrated("the database schema is not up to date: run `notifier db upgrade`")
