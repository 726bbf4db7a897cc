"""A PostgreSQL database of its own for one benchmark run: made, migrated, and dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from notifier.store import migrate
from notifier.store.db import get_engine

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_database(server_url: str = SERVER) -> Iterator[str]:
    """The URL of a new, migrated database on the server, dropped when the block ends."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"notifier_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
