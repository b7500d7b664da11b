"""Set-based inserts with history, for seed data and large imports.

``bulk_create_with_history`` prepares every value of every row (and its history twin) in Python;
at tens of thousands of rows that dominates. Here the rows go in with one ``executemany`` and
their "created" history rows are copied in one ``INSERT … SELECT`` — the same history a
``bulk_create_with_history`` would write (type '+', user, date), at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, connection, models, transaction

UNIQUE_VIOLATION = "23505"


def insert_with_history(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], *,
                        user_id: int | None, now: datetime) -> int:
    """Insert ``rows`` (values for ``columns``) into ``model``'s table, then record a creation
    history row for each new row (ids above the previous maximum that have none yet)."""
    if not rows:
        return 0
    table = model._meta.db_table
    history = model.history.model
    htable = history._meta.db_table
    placeholders = ", ".join(["%s"] * len(columns))
    tracked = [f.column for f in model._meta.concrete_fields if f.column in {h.column for h in
                                                                              history._meta.concrete_fields}]
    cols = ", ".join(tracked)
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        before = cur.fetchone()[0]
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)  # noqa: S608
        cur.execute(
            f"INSERT INTO {htable} ({cols}, history_date, history_change_reason, history_type, history_user_id) "  # noqa: S608
            f"SELECT {', '.join('t.' + c for c in tracked)}, %s, NULL, '+', %s FROM {table} t "
            f"WHERE t.id > %s AND NOT EXISTS (SELECT 1 FROM {htable} h WHERE h.id = t.id)",
            [now, user_id, before],
        )
    return len(rows)


COPY_THRESHOLD = 500  # below this the ORM path (bulk_create_with_history) is as fast: no staging table


def upsert_with_history(model: type[models.Model], key: Sequence[str], columns: Sequence[str],
                        rows: Sequence[Sequence], *, user_id: int | None, now: datetime,
                        dirty_table: str | None = None, all_new: bool = False) -> tuple[int, int]:
    """PostgreSQL: write ``rows`` (values for ``columns``, which include the natural ``key``) as
    corrections of existing rows and inserts of new ones, each with its history row ('~' or '+',
    ``user_id``, ``now``, as ``bulk_update_with_history`` / ``bulk_create_with_history`` would
    write), and, given ``dirty_table``, record every key there (``ON CONFLICT DO NOTHING``).

    Set-based: the rows are streamed with COPY into a transaction-local staging table, then one
    ``INSERT … ON CONFLICT (key) DO UPDATE`` writes them (one unique-index probe per row) and, in the
    same statement (a data-modifying CTE), their history rows — '+' where the row is new
    (``xmax = 0``), '~' where it corrected one — and one more statement records the keys: a
    20,000-row import is a handful of statements. Returns ``(created, updated)``. The caller holds
    the transaction (all or nothing); rows must not repeat a key (validation rejects that).

    ``all_new``: the caller read that none of the keys is stored (a month not entered yet, the
    usual large import). The rows and the dirty keys are then first written by plain ``INSERT``s,
    each in a savepoint — a speculative insertion (``ON CONFLICT``) costs about a fifth more per
    row —, and a key written meanwhile by someone else (a unique violation) rolls that savepoint
    back and writes the same rows by the upsert above, so the outcome is the same either way.
    """
    table = model._meta.db_table
    history = model.history.model
    htable = history._meta.db_table
    tracked = [f.column for f in model._meta.concrete_fields if f.column in {h.column for h in
                                                                              history._meta.concrete_fields}]
    cols = ", ".join(columns)
    hcols = f"{', '.join(tracked)}, history_date, history_change_reason, history_type, history_user_id"
    changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.upsert_stage")
        cur.execute(f"CREATE TEMP TABLE upsert_stage ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")  # noqa: S608
        with cur.cursor.copy(f"COPY upsert_stage ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        inserted = None
        if all_new:
            inserted = _in_savepoint(
                cur, f"WITH up AS (INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM upsert_stage "  # noqa: S608
                     f"RETURNING t.*), "
                     f"hist AS (INSERT INTO {htable} ({hcols}) SELECT {', '.join('up.' + c for c in tracked)}, "
                     f"%s, NULL, '+', %s FROM up) SELECT COUNT(*), 0 FROM up", [now, user_id])
        if inserted is None:
            cur.execute(
                f"WITH up AS (INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM upsert_stage "  # noqa: S608
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {changed} RETURNING t.*, (t.xmax = 0) AS inserted), "
                f"hist AS (INSERT INTO {htable} ({hcols}) SELECT {', '.join('up.' + c for c in tracked)}, %s, NULL, "
                f"CASE WHEN up.inserted THEN '+' ELSE '~' END, %s FROM up) "
                f"SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted) FROM up",
                [now, user_id])
            inserted = cur.fetchone()
        created, updated = inserted
        if dirty_table:
            keys = ", ".join(key)
            plain = f"INSERT INTO {dirty_table} ({keys}) SELECT {keys} FROM upsert_stage"  # noqa: S608
            if not all_new or _in_savepoint(cur, plain, None) is None:
                cur.execute(plain + " ON CONFLICT DO NOTHING")
        cur.execute("DROP TABLE pg_temp.upsert_stage")
    return created, updated


def _in_savepoint(cur, sql: str, params: list | None) -> tuple | None:
    """Run ``sql`` in a savepoint: its first result row (``()`` if none), or ``None`` when a unique
    key was taken (the savepoint rolled back; anything else raises)."""
    try:
        with transaction.atomic():
            cur.execute(sql, params)
            return (cur.fetchone() or ()) if cur.description else ()
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return None
