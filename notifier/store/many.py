"""Many rows in one statement, on both dialects.

PostgreSQL gets the rows as one JSON document, turned back into typed rows by
`json_to_recordset`: the statement's text is the same for 10 rows or 10,000 (compiled and parsed
once, one parameter instead of one per value, and none of the escaping psycopg does for each
element of an array). SQLite (the embedded mode, small batches) gets SQLAlchemy's multi-row
VALUES."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, cast, column, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str]
) -> list[Any]:
    """INSERT … ON CONFLICT DO NOTHING of every row (each with the same columns) in one
    statement; the `returning` columns of the rows inserted (a conflict returns none)."""
    if not rows:
        return []
    names = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        statement = _recordset_insert(table, names, tuple(returning))
        return list(session.execute(statement, {"many_rows": as_json(rows)}))
    return list(session.execute(_sqlite_insert(table, tuple(returning)), list(rows)))


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


def as_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as one JSON document for `recordset`: enums are their values, datetimes ISO
    8601 in UTC (a naive one is refused, as `UTCDateTime` refuses it)."""
    return json.dumps(list(rows), default=_jsonable, separators=(",", ":"))


def _jsonable(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@cache
def _recordset_insert(table: Table, names: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    source = recordset(table, names)
    return (
        postgresql.insert(table)
        .from_select(list(names), select(*[source.c[name] for name in names]))
        .on_conflict_do_nothing()
        .returning(*[table.c[name] for name in returning])
    )


@cache
def _sqlite_insert(table: Table, returning: tuple[str, ...]) -> Any:
    statement = sqlite.insert(table).on_conflict_do_nothing()
    return statement.returning(*[table.c[name] for name in returning])
