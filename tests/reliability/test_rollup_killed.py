"""A Celery worker killed (``kill -9``) in the middle of a full scorecard rollup: nothing half-done
is left (the rebuild is one transaction: cells and dirty marks roll back), and after a new worker
runs the rollup the scorecard equals a clean rebuild — including the measurements recorded since.

To land the kill reliably mid-rollup, the test holds a SHARE lock on the scorecard table: the
worker's rollup claims the dirty marks, builds the whole new scorecard into a fresh table inside its
transaction and then waits to swap it in (its DROP of the old table; a rebuild in place waits on
its DELETE of the cells instead). That is the moment it is killed: the fresh table must vanish with
the transaction. Real processes: a prefork worker on Redis db /10, against the pytest test database.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.reliability.kpi_data import cells_snapshot, no_enqueue, seed_actuals, seed_kpis, seed_targets
from tests.reliability.support import (
    celery_client,
    pytest_db_url,
    shared_redis_url,
    start_worker,
    subprocess_env,
    wait_until,
    wait_worker_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_DB = 10
ROLLUP = "kpis.tasks.rollup_scorecards"
ROLLUP_KWARGS = {"full": True}


def _rollup_waiting_on_our_lock() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' "
                    "AND (query ILIKE 'DROP TABLE%%scorecard%%' OR query ILIKE 'DELETE FROM%%scorecard%%')")
        return cur.fetchone()[0] > 0


def test_worker_killed_mid_full_rollup_then_a_new_worker_gives_a_clean_rebuild(
        cast, org, functions, processes, tmp_path, monkeypatch):
    import psycopg

    from kpis.models import DirtyCell, ScorecardCell
    from kpis.services.rollup import rollup_full

    no_enqueue(monkeypatch)
    kpis = seed_kpis(functions)
    seed_targets(kpis, org)
    seed_actuals(cast["admin"], kpis, org, months=[f"2025-{m:02d}" for m in range(1, 7)])
    rollup_full()
    before = cells_snapshot()
    assert before and not DirtyCell.objects.exists()
    seed_actuals(cast["admin"], kpis, org, months=[f"2025-{m:02d}" for m in range(7, 13)])  # new, not rolled up
    dirty = DirtyCell.objects.count()
    assert dirty > 0

    redis_url = shared_redis_url(REDIS_DB)
    env = subprocess_env(database_url=pytest_db_url(), redis_url=redis_url)
    client = celery_client(redis_url)
    first = processes.add(start_worker("worker-1", env, tmp_path))
    wait_worker_ready(first)

    db = connection.settings_dict
    blocker = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                              dbname=db["NAME"])
    try:
        blocker.execute(f"LOCK TABLE {ScorecardCell._meta.db_table} IN SHARE MODE")
        client.send_task(ROLLUP, kwargs=ROLLUP_KWARGS)
        wait_until(_rollup_waiting_on_our_lock, timeout=30, interval=0.05, what="the full rollup to be mid-way")
        first.kill9()  # the worker dies inside the rollup's transaction
    finally:
        blocker.rollback()
        blocker.close()

    assert cells_snapshot() == before, "a killed rollup must leave the previous scorecard intact"
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('kpis_scorecardcell_rebuild')")
        assert cur.fetchone()[0] is None, "the half-swapped fresh table rolls back with the rebuild"
    assert DirtyCell.objects.count() == dirty, "the claimed dirty marks come back when the transaction dies"

    second = processes.add(start_worker("worker-2", env, tmp_path))
    wait_worker_ready(second)
    client.send_task(ROLLUP, kwargs=ROLLUP_KWARGS)
    wait_until(lambda: "succeeded" in second.log(1_000_000), timeout=60, what="the new worker's rollup")
    after_new_worker = cells_snapshot()
    assert after_new_worker != before and not DirtyCell.objects.exists()

    rollup_full()  # a clean rebuild, in this process
    assert cells_snapshot() == after_new_worker
    # and the new months are in: DE's December net sales rolled up to DACH
    from kpis.models import ScorecardCell as Cell

    assert Cell.objects.filter(kpi=kpis["NET_SALES"], org_unit=org["DACH"], grain="month",
                               period="2025-12-01", partnership_key=0).exists()
