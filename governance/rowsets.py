# ruff: noqa: S608 - SQL assembled from column names and model field types only
"""Many rows of values as one table inside one SQL statement, for set-based writes.

``rows_cte(columns, rows)`` gives ``WITH v (col, …) AS (…)`` to put in front of an ``UPDATE … FROM v``
or an ``INSERT … SELECT … FROM v``: ``json_to_recordset(%s::json) AS r(col type, …)`` with the
table's own column types. The rows travel as ONE JSON parameter, whatever their number: the
statement stays short and cheap to send (psycopg would format thousands of placeholders or array
elements in Python; ``json.dumps`` runs in C).
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Sequence
from datetime import date, datetime

from django.db import connection, models


def rows_cte(columns: Sequence[tuple[str, models.Field]], rows: Sequence[Sequence], name: str = "v"
             ) -> tuple[str, list]:
    """``(sql, params)`` of ``WITH name (col, …) AS (…)`` holding ``rows`` (one value per column,
    typed like the model field given with each column name)."""
    names = ", ".join(col for col, _ in columns)
    types = ", ".join(f"{col} {_pg_type(field)}" for col, field in columns)
    keys = [col for col, _ in columns]
    payload = json.dumps([dict(zip(keys, row, strict=True)) for row in rows], default=_iso, separators=(",", ":"))
    return f"WITH {name} ({names}) AS (SELECT * FROM json_to_recordset(%s::json) AS r({types}))", [payload]


def _pg_type(field: models.Field) -> str:
    # text, not varchar(n): a cast to varchar(n) would cut a long value where the INSERT must fail
    return "text" if isinstance(field, models.CharField) else field.db_type(connection)


def _iso(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def named_rows(cursor, name: str = "Row") -> list:
    """The rows of ``cursor``'s last statement as named tuples whose fields are the statement's
    column names (``cursor.description``): raw SQL results read by name (``row.kpi_id``), never by
    position. Name every selected column (``AS``) so the names are valid identifiers."""
    row = namedtuple(name, [col.name for col in cursor.description])  # noqa: PYI024 - fields known at run time only
    return [row._make(r) for r in cursor.fetchall()]
