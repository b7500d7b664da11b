# ruff: noqa: S608 - SQL assembled from column names and model field types only
"""Many rows of values as one table inside one SQL statement, for set-based writes.

``rows_cte(columns, rows)`` gives ``WITH v (col, …) AS (…)`` to put in front of an ``UPDATE … FROM v``
or an ``INSERT … SELECT … FROM v``. The rows travel as ONE JSON parameter, whatever their number:

* PostgreSQL: ``json_to_recordset(%s::json) AS r(col type, …)`` with the table's own column types;
* SQLite: ``json_extract(value, '$[i]')`` over ``json_each(%s)``, each value first adapted as
  Django would save it (datetimes as UTC text, JSON as text), so the rows are stored the same.

One parameter keeps the statement short and cheap to send (psycopg would format thousands of
placeholders or array elements in Python; ``json.dumps`` runs in C) and stays under SQLite's
limit on parameters per statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from django.db import connection, models


def rows_cte(columns: Sequence[tuple[str, models.Field]], rows: Sequence[Sequence], name: str = "v"
             ) -> tuple[str, list]:
    """``(sql, params)`` of ``WITH name (col, …) AS (…)`` holding ``rows`` (one value per column,
    typed and adapted like the model field given with each column name)."""
    names = ", ".join(col for col, _ in columns)
    if connection.vendor == "postgresql":
        types = ", ".join(f"{col} {_pg_type(field)}" for col, field in columns)
        keys = [col for col, _ in columns]
        payload = json.dumps([dict(zip(keys, row, strict=True)) for row in rows],
                             default=_iso, separators=(",", ":"))
        return f"WITH {name} ({names}) AS (SELECT * FROM json_to_recordset(%s::json) AS r({types}))", [payload]
    fields = [field for _, field in columns]
    payload = json.dumps([[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                          for row in rows], default=_iso, separators=(",", ":"))
    picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    return f"WITH {name} ({names}) AS (SELECT {picks} FROM json_each(%s))", [payload]


def _pg_type(field: models.Field) -> str:
    # text, not varchar(n): a cast to varchar(n) would cut a long value where the INSERT must fail
    return "text" if isinstance(field, models.CharField) else field.db_type(connection)


def _iso(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
