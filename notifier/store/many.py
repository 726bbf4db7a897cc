"""Many rows in one statement, on both dialects.

PostgreSQL gets the rows as one JSON document, turned back into typed rows by
`json_to_recordset`, and a list of ids as one array (`= ANY`): the statement's text is the same
for 10 rows or 10,000 (compiled, parsed and cached by the driver once, one parameter instead of
one per value, and none of the escaping psycopg does for each element of an array). SQLite (the
embedded mode, small batches) gets SQLAlchemy's multi-row VALUES and `IN (…)`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import ARRAY

from notifier.store import json_codec

POSTGRESQL = "postgresql"
T = TypeVar("T")
INSERTED = "inserted"


def one_of(column_: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`column_` is one of the list given as parameter `name`."""
    if dialect == POSTGRESQL:
        return column_ == any_(bindparam(name, type_=ARRAY(column_.type)))  # type: ignore[no-any-return]
    return column_.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str]
) -> list[Any]:
    """INSERT … ON CONFLICT DO NOTHING of every row (each with the same columns) in one
    statement; the `returning` columns of the rows inserted (a conflict returns none)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    statement = insert_rows(table, tuple(rows[0]), dialect, False, tuple(returning))
    return list(session.execute(statement, rows_parameter(rows, dialect)))


@cache
def insert_rows(
    table: Table,
    columns: tuple[str, ...],
    dialect: str,
    lock_existing: bool,
    returning: tuple[str, ...] = (),
    tell_inserted: bool = False,
) -> Any:
    """INSERT of many rows (parameter: `rows_parameter`) returning the columns named (all of
    them by default); a row that conflicts is left as it is, and locked and returned when
    `lock_existing` (by id). With `tell_inserted`, on PostgreSQL each returned row also says
    whether this statement inserted it (`was_inserted`). Built once per arguments."""
    insert: Any
    if dialect != POSTGRESQL:
        insert = sqlite.insert(table).values({name: bindparam(name) for name in columns})
    else:
        insert = postgresql.insert(table).from_select(list(columns), rows_source(table, columns))
    if lock_existing:
        statement = insert.on_conflict_do_update(
            index_elements=["id"], set_={"id": insert.excluded.id}
        )
    else:
        statement = insert.on_conflict_do_nothing()
    columns_back = [table.c[name] for name in returning or table.c.keys()]
    if dialect == POSTGRESQL and tell_inserted:  # a row inserted here has no deleter yet
        return statement.returning(*columns_back, literal_column("xmax = 0").label(INSERTED))
    return statement.returning(*columns_back)


@cache
def update_rows(table: Table, names: tuple[str, ...]) -> Any:
    """UPDATE of many rows by id, each to its own values of these columns, FROM the rows given
    as one JSON parameter (`rows_parameter`, PostgreSQL)."""
    given = rows_source(table, ("id", *names)).subquery("given")
    return update(table).where(table.c.id == given.c.id).values({n: given.c[n] for n in names})


def recordset(table: Table, names: Sequence[str]) -> Any:
    """The rows of the JSON parameter `many_rows` (see `as_json`) as a FROM item whose
    columns are the table's, with their types: `json_to_recordset(…) AS many(name type, …)`."""
    document = cast(bindparam("many_rows", type_=Text()), JSON())
    columns = [column(name, table.c[name].type) for name in names]
    return (
        func.json_to_recordset(document)
        .table_valued(*columns)
        .render_derived(name="many", with_types=True)
    )


def rows_source(table: Table, columns: Sequence[str]) -> Any:
    """SELECT of the rows given as parameter `many_rows`, these columns."""
    rows = recordset(table, columns)
    return select(*[rows.c[name] for name in columns])


def rows_parameter(rows: Sequence[Mapping[str, Any]], dialect: str) -> Any:
    """The rows as `insert_rows` takes them: one JSON document on PostgreSQL, a list of
    parameter sets elsewhere."""
    if dialect != POSTGRESQL:
        return [dict(row) for row in rows]
    return {"many_rows": as_json(rows)}


def as_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as one JSON document for `recordset`: enums are their values, datetimes ISO
    8601 in UTC (a naive one is refused, as `UTCDateTime` refuses it), decimals strings."""
    return json_codec.dumps(list(rows), default=_jsonable)


def _jsonable(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def fields_of(row: Any) -> dict[str, Any]:
    """A returned row's columns, without `inserted`."""
    fields = dict(row._mapping)
    fields.pop(INSERTED, None)
    return fields


def was_inserted(row: Any) -> bool:
    """True when the statement inserted the row (PostgreSQL with `tell_inserted` only)."""
    return bool(row._mapping.get(INSERTED, False))


def as_loaded(model: type[T], values: Mapping[str, Any]) -> T:
    """An instance of `model` holding `values` as if the ORM had loaded them: the mapped
    constructor's event per attribute (the most of a batch's ORM cost) is skipped. What is
    changed afterwards is tracked as usual."""
    instance: T = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(values)
    return instance
