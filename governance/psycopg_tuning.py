"""Two costs psycopg charges on every read that Django's setup leaves in pure Python (issue 22).

* **Instants.** Django loads every ``timestamptz`` through a subclass of psycopg's *pure-Python*
  loader (``django.db.backends.postgresql.psycopg_any.BaseTzLoader``), so with psycopg's C
  extension installed each instant is still parsed by a regular expression in Python (~4 µs; the
  decisions API's first page reads ~600). ``TimestamptzLoader`` below gives the same result —
  an aware ``datetime`` in the connection's zone, its ``tzinfo`` replaced by Django's, exactly as
  Django's loader does — with the parsing done by psycopg's C loader (~1.5 µs). It keeps the
  ``timezone`` attribute Django's ``create_cursor`` compares, so Django never swaps it back.
* **Statement text.** psycopg converts each query's ``%s`` placeholders by scanning its text, and
  caches the result only for statements up to 4,096 bytes. Scoped page queries (a decision with
  its ten related rows, the scope's unit ids written in) are longer, so they were scanned again on
  every run. ``STATEMENT_CACHE_BYTES`` raises that bound; the cache itself stays psycopg's
  (128 statements, least recently used).

``install()`` is called once when the app is ready; ``register_loader`` runs for each new
database connection. ``tests/governance/test_psycopg_tuning.py`` pins both: results equal to
Django's loader's, and a long statement's conversion found in the cache.
"""

from __future__ import annotations

import datetime
import functools

import psycopg
from django.db.backends.signals import connection_created
from psycopg import _queries
from psycopg.adapt import Loader
from psycopg.pq import Format

_TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
# psycopg's own loader for timestamptz text: its C version when psycopg[binary] is installed.
_FAST_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)

STATEMENT_CACHE_BYTES = 32_768


class TimestamptzLoader(Loader):
    """Django's timestamptz loader (``BaseTzLoader``) with psycopg's C parser underneath."""

    timezone: datetime.tzinfo | None = None  # compared by Django's DatabaseWrapper.create_cursor

    def __init__(self, oid: int, context=None):
        super().__init__(oid, context)
        self._parse = _FAST_LOADER(oid, context).load  # type: ignore[misc]  # the class is found at run time

    def load(self, data):
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.cache
def _loader_for(tz: datetime.tzinfo | None) -> type[TimestamptzLoader]:
    return type("SpecificTimestamptzLoader", (TimestamptzLoader,), {"timezone": tz})


def register_loader(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection, load instants as Django does, parsed in C."""
    if connection.vendor != "postgresql":
        return
    connection.connection.adapters.register_loader("timestamptz", _loader_for(connection.timezone))


def install() -> None:
    # A private name of psycopg's (3.1-3.3): should a release drop it, start without the raise (the
    # test of the cache's hits then fails) rather than fail to start.
    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, STATEMENT_CACHE_BYTES)
    connection_created.connect(register_loader, dispatch_uid="accord-fast-timestamptz")
