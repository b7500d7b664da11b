"""The dashboard's data version: two counters PostgreSQL keeps in the same transactions as the data,
so a kept dashboard (``kpis.dashboard_page``) is used only while nothing it was built from changed.

* ``cells``: the scorecard cells. The rollup is their only writer (``kpis.services.rollup``), and it
  calls ``cells_changed`` inside its transaction. The cell table has no trigger on purpose: the full
  rebuild swaps in a fresh table and keeps the old one's shape only when it has none
  (``rollup_swap.table_shape``).
* ``reference``: every other table the dashboard reads (the KPI catalogue and its owners, objectives,
  the org tree and who is assigned where, partnerships with their units and sharing, groups and
  permissions; the list is in the migrations that install the triggers, ``kpis/migrations/0009_…``).
  Triggers on each bump it, once, when a transaction that inserted, updated, deleted or truncated
  there commits, whoever sent it (ORM, bulk writes, raw SQL, the admin, a replica-mode bulk load:
  the triggers fire ``ALWAYS``). The bump is deferred to the commit, and goes to one of 32 stripes
  that no other transaction holds (``FOR UPDATE SKIP LOCKED``; ``reference`` is their sum), so a
  writer never waits for the counter while it holds rows another writer waits for (migrations 0009,
  0010: an attacker's review made two writers deadlock on a single row twice).

Both are bumped inside the writing transaction (``reference`` as it commits) and become visible when
it has committed, together with what changed. A reader reads the versions *before* the data, so what
it builds is at least as new as the versions it stores it under.
``tests/kpis/test_dashboard_cache.py`` fails when the dashboard reads a table that has no such
trigger (other than the cells): a new table read needs a migration adding its trigger (``TRIGGER``,
``FUNCTION``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

TABLE = "kpis_dashboard_version"
FUNCTION = "kpis_dashboard_reference_changed"  # bumps ``reference``; the triggers calling it are named:
TRIGGER = "kpis_dashboard_reference"
# The function's note (a setting local to the transaction) that this transaction bumped already.
BUMPED = "accord.dashboard_reference_bumped"  # holds the id of the transaction that bumped

# The counters, and which database they count: a database dropped and restored (or a new cluster)
# starts them again from 0, so the key also holds its oid, the counters' table's (a restore with
# ``--clean`` makes it anew) and the server's start.
_READ = (f"SELECT name, sum(version)::bigint FROM {TABLE} GROUP BY name "  # noqa: S608 - constant
         "UNION ALL SELECT 'database oid', oid::bigint FROM pg_database WHERE datname = current_database() "
         f"UNION ALL SELECT 'counters oid', '{TABLE}'::regclass::oid::bigint "
         "UNION ALL SELECT 'server started', extract(epoch FROM pg_postmaster_start_time())::bigint "
         "ORDER BY name")
_BUMP = f"UPDATE {TABLE} SET version = version + 1 WHERE name = %s AND stripe = 0"  # noqa: S608 - constant


def _fire_pending() -> None:
    """Tests run in one transaction that never commits, so the bumps deferred to its commit would
    never happen: with ``ACCORD_DASHBOARD_VERSIONS_AT_ONCE`` (the test settings) the reader fires
    those of its own transaction first, as a commit would, and forgets that it bumped (a
    transaction bumps once), so that the next write bumps again. Sent to the driver's connection
    directly: tests count the page's queries as in production."""
    raw = connection.connection
    raw.execute(f"SET CONSTRAINTS {TRIGGER} IMMEDIATE")
    raw.execute(f"SELECT set_config('{BUMPED}', '', true)")


def versions() -> tuple[tuple[str, int], ...] | None:
    """``(("cells", n), ("counters oid", o), ("database oid", d), ("reference", m), ("server started", t))``
    as committed now (one query); ``None`` inside a transaction, whose own writes are not in them
    (what it reads must not be kept under them). With ``ACCORD_DASHBOARD_VERSIONS_AT_ONCE`` (tests)
    a transaction's writes are counted as if committed (``_fire_pending``)."""
    in_transaction = connection.in_atomic_block
    if in_transaction and not getattr(settings, "ACCORD_DASHBOARD_VERSIONS_AT_ONCE", False):
        return None
    with connection.cursor() as cursor:
        if in_transaction:
            _fire_pending()
        cursor.execute(_READ)
        return tuple(cursor.fetchall())


def cells_changed(cursor) -> None:
    """The rollup wrote cells: bump ``cells`` in its transaction (``cursor``'s)."""
    cursor.execute(_BUMP, ["cells"])
