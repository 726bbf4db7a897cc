"""Statements over many rows at once that stay cheap to send: on PostgreSQL the rows travel as
one JSON parameter (`json_populate_recordset`) and a list of ids as one array (`= ANY`), so the
statement's text and parameter count do not grow with the batch (the driver caches and prepares
it like any small statement); SQLite gets the portable form (VALUES rows, `IN (…)`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, any_, bindparam, cast, func, literal_column
from sqlalchemy import select as select_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import ARRAY

POSTGRESQL = "postgresql"


def one_of(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the list given as parameter `name`."""
    if dialect == POSTGRESQL:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


@cache
def insert_rows(
    table: Table,
    columns: tuple[str, ...],
    dialect: str,
    lock_existing: bool,
    returning: tuple[str, ...] = (),
) -> Any:
    """INSERT of many rows (parameter `rows`, see `rows_parameter`) returning the columns named
    (all of them by default); a row that conflicts is left as it is, and locked and returned
    when `lock_existing` (by id). On PostgreSQL each returned row also says whether this
    statement `inserted` it. Built once per arguments."""
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
    if dialect == POSTGRESQL:  # a row this statement inserted has no deleting transaction yet
        return statement.returning(*columns_back, literal_column("xmax = 0").label(INSERTED))
    return statement.returning(*columns_back)


INSERTED = "inserted"


def fields_of(row: Any) -> dict[str, Any]:
    """A returned row's columns, without `inserted`."""
    fields = dict(row._mapping)
    fields.pop(INSERTED, None)
    return fields


def was_inserted(row: Any) -> bool:
    """True when the statement inserted the row (PostgreSQL only; False elsewhere)."""
    return bool(row._mapping.get(INSERTED, False))


def rows_source(table: Table, columns: tuple[str, ...]) -> Any:
    """SELECT of the rows given as parameter `rows` (a JSON array of `table`'s rows)."""
    rows = func.json_populate_recordset(
        literal_column(f"NULL::{table.name}"), cast(bindparam("rows", type_=Text), postgresql.JSON)
    ).table_valued(*columns)
    return select_(*[rows.c[name] for name in columns])


def rows_parameter(rows: Sequence[dict[str, Any]], dialect: str) -> Any:
    """The rows as `insert_rows` takes them: one JSON text on PostgreSQL, a list elsewhere."""
    if dialect != POSTGRESQL:
        return list(rows)
    return {"rows": json.dumps(list(rows), default=_plain)}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a row")
