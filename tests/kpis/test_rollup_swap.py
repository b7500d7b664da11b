"""The full rebuild builds a fresh cell table and swaps it in (issue 22): the table keeps every name
Django's migrations gave it and later migrations refer to (indexes, constraints, sequence), its ids
keep growing, and a table with something a swap would not carry over is rebuilt in place."""

import pytest
from django.db import connection

from kpis.models import ScorecardCell
from kpis.services.rollup import FRESH_CELLS, rollup_full, rollup_incremental
from tests.kpis.conftest import cell

pytestmark = pytest.mark.django_db
C = ScorecardCell._meta.db_table


def schema() -> dict:
    """What migrations see of the cell table: Django's introspection, plus the identity sequence and
    the catalog's index and constraint definitions by name."""
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, C)
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [C])
        sequence = cur.fetchone()[0]
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [C])
        indexes = cur.fetchall()
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "ORDER BY 1", [C])
        catalog_constraints = cur.fetchall()
        cur.execute("SELECT column_name, data_type, is_nullable, column_default, is_identity, identity_generation "
                    "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position", [C])
        columns = cur.fetchall()
        cur.execute("SELECT to_regclass(%s)", [FRESH_CELLS])
        leftover = cur.fetchone()[0]
    return {"constraints": constraints, "sequence": sequence, "indexes": indexes,
            "catalog_constraints": catalog_constraints, "columns": columns, "leftover": leftover}


def cells():
    return set(ScorecardCell.objects.values_list("kpi_id", "org_unit_id", "partnership_key", "grain", "period",
                                                 "actual", "numerator", "denominator", "target", "rag", "reporting",
                                                 "expected"))


def test_the_swapped_in_table_keeps_every_name_and_the_ids_keep_growing(org, kpis, record, target):
    record(kpis["REV"], org["DE"], "2025-01", value=10)
    record(kpis["REV"], org["AT"], "2025-02", value=5)
    target(kpis["REV"], org["DACH"], "2025-01", 20)
    before = schema()
    assert before["sequence"] == f"public.{C}_id_seq"
    assert "scorecardcell_unique_key" in before["constraints"]
    rollup_full()
    first_ids = set(ScorecardCell.objects.values_list("pk", flat=True))
    rows = cells()
    assert cell(kpis["REV"], org["DACH"], "2025-01").actual == 10
    rollup_full()
    assert schema() == before
    assert cells() == rows
    assert min(ScorecardCell.objects.values_list("pk", flat=True)) > max(first_ids)
    # The incremental rollup writes into the swapped-in table by its name, with its sequence.
    record(kpis["REV"], org["DE"], "2025-03", value=4)
    rollup_incremental()
    assert cell(kpis["REV"], org["DACH"], "2025-03").actual == 4


def test_a_later_migration_finds_the_constraint_by_its_name_after_a_swap(org, kpis, record):
    record(kpis["REV"], org["DE"], "2025-01", value=10)
    rollup_full()
    (unique,) = ScorecardCell._meta.constraints
    with connection.schema_editor() as editor:  # as RemoveConstraint / AddConstraint would
        editor.remove_constraint(ScorecardCell, unique)
        editor.add_constraint(ScorecardCell, unique)
    assert "scorecardcell_unique_key" in schema()["constraints"]


def test_a_table_the_swap_cannot_carry_over_is_rebuilt_in_place(org, kpis, record):
    record(kpis["REV"], org["DE"], "2025-01", value=10)
    rollup_full()
    with connection.cursor() as cur:  # a view on the cells would be dropped with the old table
        cur.execute("CREATE VIEW bench_cells_view AS SELECT kpi_id, actual FROM kpis_scorecardcell")
    record(kpis["REV"], org["AT"], "2025-01", value=5)
    rollup_full()
    assert cell(kpis["REV"], org["DACH"], "2025-01").actual == 15
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_cells_view")
        assert cur.fetchone()[0] == ScorecardCell.objects.count()


def test_swap_and_in_place_give_the_same_cells(org, kpis, record, target):
    for month, value in (("2025-01", 3), ("2025-02", 4), ("2025-04", 6)):
        record(kpis["REV"], org["DE"], month, value=value)
        record(kpis["REV"], org["AT"], month, value=value + 1)
    target(kpis["REV"], org["DE"], "2025-03", 9)
    rollup_full(swap=False)
    in_place = cells()
    rollup_full()
    assert cells() == in_place


def test_the_swap_steps_back_while_a_reader_holds_the_old_table(org, kpis, record, monkeypatch):
    """A reader inside the old table: the swap's lock request times out, is undone (savepoint) and
    retried, so readers queued behind it are let through; the rebuild completes once the reader
    is done."""
    import threading

    import psycopg

    from kpis.services import rollup_swap

    monkeypatch.setattr(rollup_swap, "SWAP_LOCK_TIMEOUT_MS", 100)
    record(kpis["REV"], org["DE"], "2025-01", value=10)
    db = connection.settings_dict
    reader = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                             dbname=db["NAME"])
    reader.execute("SELECT count(*) FROM kpis_scorecardcell")  # holds ACCESS SHARE until its transaction ends
    done = threading.Timer(0.6, reader.rollback)
    done.start()
    try:
        waits = []
        original = rollup_swap.time.sleep
        monkeypatch.setattr(rollup_swap.time, "sleep", lambda s: (waits.append(s), original(s)))
        rollup_full()
    finally:
        done.join()
        reader.close()
    assert waits, "the swap timed out on the reader's lock at least once"
    assert cell(kpis["REV"], org["DACH"], "2025-01").actual == 10


@pytest.mark.django_db(transaction=True)
def test_statements_prepared_before_a_swap_read_the_swapped_in_table(org, kpis, record):
    """Web processes keep prepared statements on their connections (settings: server-side binding,
    prepared after five runs). A full rebuild drops the table they were planned on and renames
    the fresh one to its name; PostgreSQL plans them again against it, on the connection that
    swapped and on every other one."""
    import psycopg

    record(kpis["REV"], org["DE"], "2025-01", value=10)
    rollup_full()
    for _ in range(7):
        assert cell(kpis["REV"], org["DE"], "2025-01").actual == 10
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f'%FROM "{C}"%'])
        assert cur.fetchone()[0] >= 1  # the read above runs prepared
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    sql = 'SELECT actual FROM kpis_scorecardcell WHERE kpi_id = %s AND org_unit_id = %s AND grain = %s AND period = %s'
    key = (kpis["REV"].pk, org["DE"].pk, "month", "2025-01-01")
    with psycopg.connect(**{**params, "prepare_threshold": 0, "autocommit": True}) as other:
        assert other.execute(sql, key, prepare=True).fetchone()[0] == 10
        record(kpis["REV"], org["DE"], "2025-01", value=12)
        rollup_full()  # fresh table, swapped in: the prepared statements' table is dropped
        assert other.execute(sql, key, prepare=True).fetchone()[0] == 12
    assert cell(kpis["REV"], org["DE"], "2025-01").actual == 12
