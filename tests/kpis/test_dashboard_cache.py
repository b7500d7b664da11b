"""The leaders' dashboard kept in the cache (``kpis.dashboard_page``, issue 22): the same page as built
anew, never another reader's, and never older than the data under it — every table it reads moves
the data version it is keyed on (``kpis.services.data_version``), whoever writes it and how."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from governance.models import Assignment
from kpis import dashboard_page as page_module
from kpis.dashboard_page import build_page
from kpis.models import KPI
from kpis.services.data_version import TRIGGER, versions
from kpis.services.rollup import rollup_full, rollup_incremental
from partners import services as partner_services

pytestmark = pytest.mark.django_db
URL = "/kpis/dashboard/?unit=DE&period=2025-01"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')  # masked anew per request


@pytest.fixture
def reported(org, kpis, record, target):
    record(kpis["REV"], org["DE"], "2025-01", value=100)
    target(kpis["REV"], org["DE"], "2025-01", 120)
    rollup_incremental()


def _rev(response):
    return next(r for r in response.context["d"].rows if r.kpi.code == "REV")


def _version(name: str) -> int:
    return dict(versions())[name]


def _triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s", [TRIGGER])
        return {table.strip('"') for (table,) in cursor.fetchall()}


def test_the_page_from_the_cache_is_the_page_built_anew(client, cast, reported):
    client.force_login(cast["leader"])
    with CaptureQueriesContext(connection) as built:
        first = client.get(URL)
    with CaptureQueriesContext(connection) as cached:
        second = client.get(URL)
    assert first.status_code == second.status_code == 200
    assert "d" in first.context and "d" not in second.context  # the second was not built
    assert len(cached.captured_queries) <= 6 < len(built.captured_queries)
    assert CSRF.sub("", first.content.decode()) == CSRF.sub("", second.content.decode())
    assert 'id="stuck-decisions"' in second.content.decode()


def test_a_rollup_shows_its_figures_at_once(client, cast, org, kpis, record, reported):
    client.force_login(cast["leader"])
    assert float(_rev(client.get(URL)).cell.actual) == 100
    client.get(URL)  # now cached
    record(kpis["REV"], org["DE"], "2025-01", value=150)  # a correction
    rollup_incremental()
    assert float(_rev(client.get(URL)).cell.actual) == 150


def test_a_renamed_kpi_is_shown_renamed_however_it_was_written(client, cast, kpis, reported):
    client.force_login(cast["leader"])
    client.get(URL)
    KPI.objects.filter(pk=kpis["REV"].pk).update(name="Net revenue")  # no model signal
    assert "Net revenue" in client.get(URL).content.decode()
    with connection.cursor() as cursor:  # nor any ORM at all
        cursor.execute("UPDATE kpis_kpi SET name = 'Gross revenue' WHERE id = %s", [kpis["REV"].pk])
    assert "Gross revenue" in client.get(URL).content.decode()


def test_an_assignment_taken_away_takes_the_page_with_it(client, cast, reported):
    manager = cast["manager_de"]
    client.force_login(manager)
    assert client.get(URL).context["d"] is not None
    client.get(URL)
    Assignment.objects.filter(user=manager).delete()
    response = client.get(URL)
    assert response.context["d"] is None and "no org unit in scope" in response.content.decode()


def test_readers_never_share_a_page(client, cast, reported, monkeypatch):
    """The key holds the reader: two people with the same role and units still get pages of their own
    (a partnership shared with one of them is in neither's key)."""
    keys = {page_module._key(user, versions(), unit_code="DE", period=None, grain="month")
            for user in (cast["leader"], cast["manager_de"], cast["manager_jp"], cast["admin"])}
    assert len(keys) == 4
    leader = cast["leader"]
    before = page_module._key(leader, versions(), unit_code="DE", period=None, grain="month")
    leader.role = "manager"
    assert page_module._key(leader, versions(), unit_code="DE", period=None, grain="month") != before


def test_sharing_a_partnership_moves_the_version(cast, partner_a):
    before = _version("reference")
    partner_services.partnership_share(actor=cast["manager_de"], partnership=partner_a, user=cast["manager_jp"])
    assert _version("reference") > before


def test_without_a_month_the_page_follows_the_clock(cast, monkeypatch):
    """The default month is the last closed one: a page opened without ``?period`` is kept for the quarter
    hour it was built in at most (a month closes at midnight in every unit's zone)."""
    leader, noon = cast["leader"], datetime(2025, 1, 31, 12, 0, tzinfo=UTC)

    def key_at(moment, period=None):
        monkeypatch.setattr(page_module.timezone, "now", lambda: moment)
        return page_module._key(leader, versions(), unit_code="DE", period=period, grain="month")

    assert key_at(noon) == key_at(noon + timedelta(minutes=14)) != key_at(noon + timedelta(minutes=15))
    month = noon.date().replace(day=1)
    assert key_at(noon, month) == key_at(noon + timedelta(hours=5), month)


def test_every_table_the_dashboard_reads_moves_its_version(cast, reported, dach_partnership, org):
    """What the page is built from is read from the cells (moved by the rollup) and from tables whose
    trigger moves ``reference``: a new table read without a trigger fails here."""
    partner_services.partnership_share(actor=cast["admin"], partnership=dach_partnership, user=cast["manager_jp"])
    real = set(connection.introspection.table_names())
    read: set[str] = set()
    for user in (cast["leader"], cast["admin"], cast["manager_de"], cast["manager_jp"]):
        for unit, period, grain in (("DE", None, "month"), ("DACH", None, "ytd"), (None, None, "quarter")):
            with CaptureQueriesContext(connection) as queries:
                build_page(user, unit_code=unit, period=period, grain=grain)
            for q in queries.captured_queries:
                read |= set(re.findall(r'(?:FROM|JOIN)\s+"?([a-z_0-9]+)"?', q["sql"])) & real
    triggered = _triggered_tables()
    assert {"kpis_scorecardcell", "kpis_kpi", "governance_assignment", "partners_partnership"} <= read
    assert read - triggered == {"kpis_scorecardcell"}
    written = 0
    for table in sorted(triggered):  # a row written there, however, moves the version
        with connection.cursor() as cursor:
            before = _version("reference")
            cursor.execute(f'UPDATE "{table}" SET id = id WHERE false')  # noqa: S608 - names from pg_trigger
            assert _version("reference") == before, table  # nothing written, nothing to show
            cursor.execute(f'UPDATE "{table}" SET id = id WHERE id = (SELECT min(id) FROM "{table}")')  # noqa: S608
            if cursor.rowcount:
                written += 1
                assert _version("reference") == before + 1, table
    assert written >= 12  # the fixture's data fills most of them


def test_the_rollup_moves_the_cells_version(org, kpis, record):
    before = _version("cells")
    record(kpis["REV"], org["DE"], "2025-02", value=10)
    rollup_incremental()
    after_incremental = _version("cells")
    assert after_incremental == before + 1
    rollup_full()  # a fresh table swapped in: no trigger there, the rebuild moves it itself
    assert _version("cells") == after_incremental + 1


def test_the_cached_page_carries_this_requests_csrf_token(cast, reported):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["leader"])
    client.get(URL)
    html = client.get(URL).content.decode()  # from the cache
    token = re.search(r'action="/reports/packs/region/"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken" '
                      r'value="([^"]+)"', html).group(1)
    response = client.post("/reports/packs/region/", {"csrfmiddlewaretoken": token, "unit": "DE"})
    assert response.status_code != 403


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_the_same_tables_never_deadlock_on_the_version():
    """The bump waits for the commit: a writer never holds the counter's row while it goes on writing.
    (Bumped at each statement, A held it after its first update and B, holding f2, waited for it,
    while A waited for f2: PostgreSQL then aborted one of them.)"""
    import threading

    import psycopg

    from governance.models import Function

    f1, f2 = (Function.objects.create(code=code, name=code.title()).pk for code in ("SALES", "MKT"))
    dsn = {k: v for k, v in connection.get_connection_params().items() if k in ("host", "port", "user", "dbname")}
    before = _version("reference")
    a, b = psycopg.connect(**dsn), psycopg.connect(**dsn)
    errors: list[str] = []
    update = "UPDATE governance_function SET name = name || '.' WHERE id = %s"
    try:
        a.execute(update, [f1])
        b.execute(update, [f2])

        def b_commits_later():
            try:
                threading.Event().wait(0.5)  # while A waits for f2
                b.commit()
            except psycopg.Error as exc:
                errors.append(f"B: {exc}")

        thread = threading.Thread(target=b_commits_later)
        thread.start()
        try:
            a.execute(update, [f2])  # waits for B's row, then goes on
            a.commit()
        except psycopg.Error as exc:
            errors.append(f"A: {exc}")
        thread.join(10)
    finally:
        a.close()
        b.close()
    assert errors == []
    assert _version("reference") == before + 2  # one bump per committed transaction
    assert Function.objects.get(pk=f2).name == "Mkt.."


def test_a_bulk_load_in_replica_mode_still_moves_the_version(kpis):
    """``session_replication_role = replica`` (the scale-data generator, ``pg_restore
    --disable-triggers``) switches ordinary triggers off; these fire ``ALWAYS``."""
    before = _version("reference")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE kpis_kpi SET name = 'Renamed in bulk' WHERE id = %s", [kpis["REV"].pk])
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert _version("reference") == before + 1


def test_a_reader_holds_a_bounded_number_of_pages(cast, reported):
    """Any text as ``?unit=`` or any month gives a key of its own; the cache keeps at most ``SLOTS``
    pages per reader however many are asked for."""
    from django.core.cache import cache

    leader = cast["leader"]
    for i in range(40):
        page_module.dashboard_page(leader, unit_code=f"junk-{i}", period=None, grain="month")
    kept = [i for i in range(64) if cache.get(f"dashboard-page:{page_module.FINGERPRINT[:16]}:{leader.pk}:{i}")]
    assert 1 <= len(kept) <= page_module.SLOTS


def test_cells_cannot_be_deleted_in_the_admin(client, cast, reported):
    """The cells' only writer is the rollup (which moves their version): the admin lists them, nothing more."""
    from kpis.models import ScorecardCell

    client.force_login(type(cast["admin"]).objects.create_superuser("root", "root@example.com", "pw-root"))
    pk = ScorecardCell.objects.values_list("pk", flat=True).first()
    assert client.get(f"/admin/kpis/scorecardcell/{pk}/delete/").status_code == 403
    assert client.post(f"/admin/kpis/scorecardcell/{pk}/delete/", {"post": "yes"}).status_code == 403
    assert ScorecardCell.objects.filter(pk=pk).exists()


def test_a_kept_page_that_no_longer_loads_is_built_anew(client, cast, reported, monkeypatch):
    """An entry another release wrote, or a full Redis: the page is built, not a 500."""
    class Broken:
        def get(self, *args, **kwargs):
            raise AttributeError("'Unit' object has no attribute 'old_field'")

        set = get

    client.force_login(cast["leader"])
    monkeypatch.setattr(page_module, "cache", Broken())
    response = client.get(URL)
    assert response.status_code == 200 and "d" in response.context


def test_every_trigger_fires_always_at_the_commit():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text, tgname, tgenabled, tgdeferrable, tginitdeferred "
                       "FROM pg_trigger WHERE tgname LIKE %s", [f"{TRIGGER}%"])
        rows = cursor.fetchall()
    assert len(rows) == 2 * len(_triggered_tables()) >= 34
    assert {(name, enabled, deferrable, deferred) for _table, name, enabled, deferrable, deferred in rows} == {
        (TRIGGER, "A", True, True), (f"{TRIGGER}_truncate", "A", False, False)}


def _two_connections():
    import psycopg

    dsn = {k: v for k, v in connection.get_connection_params().items() if k in ("host", "port", "user", "dbname")}
    return psycopg.connect(**dsn), psycopg.connect(**dsn)


@pytest.mark.django_db(transaction=True)
def test_a_writer_checking_a_key_another_writer_holds_does_not_deadlock_on_the_version(org, partner_a):
    """T1 changes a partnership and links it to a unit; T2 locks that unit and changes it. At T1's
    commit its bump comes before its foreign-key check of the unit, which waits for T2; T2's commit
    bumps too. On one counter row T2 waited for T1's bump and T1 for T2's unit: PostgreSQL aborted
    one. Each bump now takes a stripe nobody holds."""
    import threading

    import psycopg

    partnership, unit = partner_a, org["AT"].pk  # Partnership A works in Germany, not yet in Austria
    before = _version("reference")
    t1, t2 = _two_connections()
    errors: list[str] = []
    try:
        t2.execute("SELECT id FROM governance_orgunit WHERE id = %s FOR UPDATE", [unit])
        t1.execute("UPDATE partners_partnership SET name = name WHERE id = %s", [partnership.pk])
        t1.execute("INSERT INTO partners_partnership_org_units (partnership_id, orgunit_id) VALUES (%s, %s)",
                   [partnership.pk, unit])

        def t1_commits():
            try:
                t1.commit()  # bumps, then checks the unit: waits for T2
            except psycopg.Error as exc:
                errors.append(f"T1: {exc}")

        thread = threading.Thread(target=t1_commits)
        thread.start()
        threading.Event().wait(0.5)
        try:
            t2.execute("UPDATE governance_orgunit SET name = name WHERE id = %s", [unit])
            t2.commit()
        except psycopg.Error as exc:
            errors.append(f"T2: {exc}")
        thread.join(10)
    finally:
        t1.close()
        t2.close()
    assert errors == []
    assert _version("reference") == before + 2


@pytest.mark.django_db(transaction=True)
def test_a_transaction_bumps_once_however_much_it_writes(org):
    from django.db import transaction

    from governance.models import Function

    before = _version("reference")
    with transaction.atomic():
        for code in ("A1", "A2", "A3"):
            Function.objects.create(code=code, name=code)
        Function.objects.filter(code="A1").update(name="a1")
    assert _version("reference") == before + 1
