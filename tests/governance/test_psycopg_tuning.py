"""``governance.psycopg_tuning``: instants loaded by psycopg's C parser give exactly what Django's
own loader gives, on plain and server-side (``iterator()``) cursors; long statements' conversion is
cached."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import _queries
from psycopg.pq import Format

from governance import psycopg_tuning
from governance.models import User

pytestmark = pytest.mark.django_db

INSTANTS = ["2026-12-07 10:00:00+00", "2026-03-29 01:59:59.999999+00", "1999-12-31 23:00:00-05:30",
            "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.5+00", "2026-10-25 00:30:00.000001+02"]


def _load(loader_class) -> list:
    connection.connection.adapters.register_loader("timestamptz", loader_class)  # before the cursor copies them
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT x::timestamptz FROM unnest(%s::text[]) AS x", [INSTANTS])
            assert cursor.cursor.adapters.get_loader(psycopg_tuning._TIMESTAMPTZ_OID, Format.TEXT) is loader_class
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.connection.adapters.register_loader("timestamptz", psycopg_tuning._loader_for(connection.timezone))


def test_instants_load_as_django_loads_them():
    connection.ensure_connection()
    in_force = connection.connection.adapters.get_loader(psycopg_tuning._TIMESTAMPTZ_OID, Format.TEXT)
    assert issubclass(in_force, psycopg_tuning.TimestamptzLoader)  # registered on the connection
    assert in_force.timezone is connection.timezone

    class Djangos(BaseTzLoader):
        timezone = connection.timezone

    ours, djangos = _load(in_force), _load(Djangos)
    assert ours == djangos
    assert [v.tzinfo for v in ours] == [v.tzinfo for v in djangos] == [datetime.UTC] * len(INSTANTS)
    assert ours[2] == datetime.datetime(2000, 1, 1, 4, 30, tzinfo=datetime.UTC)


def test_server_side_cursors_keep_working(cast):
    joined = sorted(User.objects.order_by("pk").values_list("date_joined", flat=True).iterator(chunk_size=2))
    assert joined and all(v.tzinfo is datetime.UTC for v in joined)
    assert joined == sorted(User.objects.values_list("date_joined", flat=True))


def test_long_statements_conversion_is_cached():
    """A 10 KB statement run three times is converted once (psycopg's cache stops at 4 KB unraised)."""
    long_statement = "SELECT %s::int AS x" + " " * 10_000 + "-- padding"
    before = _queries._query2pg.cache_info().hits
    with connection.cursor() as cursor:
        for value in (1, 2, 3):
            cursor.execute(long_statement, [value])
            assert cursor.fetchone() == (value,)
    assert _queries._query2pg.cache_info().hits - before >= 2
