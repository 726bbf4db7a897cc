"""Dialect-aware INSERTs: ignore a conflict, or create-if-missing and lock (PostgreSQL and
SQLite both have `INSERT … ON CONFLICT`)."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from notifier.store.models import Cart, Customer, Order


def insert_ignoring_conflicts(session: Session, model: type[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def upsert_locked(
    session: Session,
    model: type[Cart] | type[Customer] | type[Order],
    row_id: str,
    new: dict[str, Any] | None = None,
) -> Any:
    """One statement, safe under concurrency: INSERT … ON CONFLICT DO UPDATE locks the row
    that exists, or creates it, and returns it, as an object of the session."""
    columns = tuple(sorted(new or {}))
    dialect = session.get_bind().dialect.name
    parameters = {"row_id": row_id, **(new or {})}
    if identity_key(model, row_id) in session.identity_map:  # rare: lock, and refresh it
        statement = upsert(dialect, model, columns, as_object=True)
        options = {"populate_existing": True}
        return session.execute(statement, parameters, execution_options=options).scalar_one()
    row = session.execute(upsert(dialect, model, columns, as_object=False), parameters).one()
    found = model(**row._mapping)
    make_transient_to_detached(found)  # as if loaded: what the caller changes is flushed
    session.add(found)
    return found


@cache
def upsert(
    dialect: str,
    model: type[Cart] | type[Customer] | type[Order],
    columns: tuple[str, ...],
    as_object: bool,
) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    values: dict[str, Any] = {"id": bindparam("row_id")} | {
        name: bindparam(name) for name in columns
    }
    statement = insert(model if as_object else table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["id"], set_={"id": statement.excluded.id}
    )
    return statement.returning(model) if as_object else statement.returning(*table.c)
