"""Alembic environment: the URL and the connection come from notifier.store.migrate."""

from __future__ import annotations

from alembic import context

from notifier.store.db import Base, get_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "notifier.store.migrate sets sqlalchemy.url"

with get_engine(url).connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
