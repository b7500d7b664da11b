"""Marking cells dirty and enqueueing the rollup after commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection

from governance.jobs import enqueue_coalesced_on_commit
from kpis.models import DirtyCell, Measurement, Target

Key = tuple[int, int, int, date]  # (kpi_id, org_unit_id, partnership_key, period)


ROLLUP_TASK = "kpis.tasks.rollup_scorecards"
# The writes of this many seconds share one incremental rollup (a partner system posting a month's
# actuals one by one; fifty people at once): the scorecard shows a write this much later.
ROLLUP_COALESCE_SECONDS = 1.0


def enqueue_rollup() -> None:
    """Run the incremental rollup once the current transaction has committed, together with the
    other writes of the next second (the database row, not the broker, is the truth: the beat
    schedule picks up anything a lost message missed; a broker outage is logged, never fails the
    user's write)."""
    enqueue_coalesced_on_commit(ROLLUP_TASK, delay=ROLLUP_COALESCE_SECONDS)


def mark_dirty(keys: Iterable[Key]) -> int:
    """Record leaf keys for the next incremental rollup (idempotent) and enqueue it."""
    rows = [DirtyCell(kpi_id=k, org_unit_id=u, partnership_key=p, period=m) for k, u, p, m in set(keys)]
    if rows:
        DirtyCell.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
        enqueue_rollup()
    return len(rows)


def mark_kpi_dirty(kpi_id: int) -> None:
    """Every key of a KPI (after its aggregation or direction changed), set-based."""
    d = DirtyCell._meta.db_table
    with connection.cursor() as cur:
        for table in (Measurement._meta.db_table, Target._meta.db_table):
            cur.execute(
                f"INSERT INTO {d} (kpi_id, org_unit_id, partnership_key, period) "  # noqa: S608
                f"SELECT DISTINCT kpi_id, org_unit_id, partnership_key, period FROM {table} WHERE kpi_id = %s "
                f"ON CONFLICT DO NOTHING",
                [kpi_id],
            )
    enqueue_rollup()
