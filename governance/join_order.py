"""Queries PostgreSQL plans in the order they are written: ``qs.in_written_join_order()``.

A page's read of decisions with their type, unit, decider, partnership, requester… joined in
(``select_related``) spends more of PostgreSQL's time *planning* than running: the planner tries
every order of up to ``join_collapse_limit`` (8) joined tables, and the decision page's one-row read
of ten joined tables planned for 13–22 ms to execute in 0.5 ms. The order Django writes — the
decisions first, each table it points at after — is already the plan one wants for such reads
(each joined row found by its primary key), so for them the planner is told to keep it:
``join_collapse_limit = 1`` around the query, and back to the server's setting after
(docs/benchmarks.md, "Planning time").

Only for querysets whose joins are to-one lookups from the queryset's own model: a query whose
best plan starts from a joined table or a semi-join (the reader's units, seats or requests) must
keep the default. Only the decision page's reads by key use it now: the decision list, the queue
and the stuck decisions each read every open decision in scope in the written order at 1M
decisions (240-390 ms against 2-41 ms planned freely; docs/benchmarks.md).

The two ``SET`` statements go to the driver's connection directly, so they do not count as the
request's queries (tests pin query counts of the reads themselves). A ``SET`` inside a transaction
belongs to it: if the read fails and the transaction is rolled back, the rollback restores the
setting too (the ``RESET`` in between then fails and is ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from django.db import connections, models


@contextmanager
def written_join_order(using: str = "default") -> Iterator[None]:
    """PostgreSQL joins the tables of the queries run inside in the order they are written."""
    connection = connections[using]
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("SET join_collapse_limit = 1")
    try:
        yield
    finally:
        with suppress(psycopg.Error):  # the transaction failed: its rollback restores the setting
            raw.execute("RESET join_collapse_limit")


class WrittenJoinOrderQuerySet(models.QuerySet):
    """A queryset that can ask to be planned in its written join order (``in_written_join_order``)."""

    _written_join_order = False

    def in_written_join_order(self):
        """This queryset, evaluated with ``written_join_order`` (the module docstring says when)."""
        clone = self._chain()
        clone._written_join_order = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._written_join_order = self._written_join_order
        return clone

    def _fetch_all(self) -> None:
        if self._written_join_order and self._result_cache is None:
            with written_join_order(self.db):
                super()._fetch_all()
        else:
            super()._fetch_all()
