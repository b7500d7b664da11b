"""governance/join_order.py: the decision page's reads are planned in their written join order
(``join_collapse_limit = 1`` while they run), every other query with the server's setting, and a
failed read inside a transaction leaves no setting behind."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from decisions import selectors
from decisions.models import Decision

pytestmark = pytest.mark.django_db

SETTING = RawSQL("current_setting('join_collapse_limit')", [])


def _server_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


def test_the_read_runs_in_written_order_and_the_connection_keeps_the_server_setting(log_de):
    log_de()
    default = _server_setting()
    assert default != "1"
    qs = Decision.objects.annotate(setting=SETTING).in_written_join_order()
    with CaptureQueriesContext(connection) as ctx:
        assert [d.setting for d in qs.filter(status="open")] == ["1"]  # kept through filter()
    assert len(ctx.captured_queries) == 1  # the SETs are not the request's queries
    assert _server_setting() == default
    assert [d.setting for d in Decision.objects.annotate(setting=SETTING)] == [default]


def test_a_failed_read_in_a_transaction_leaves_the_server_setting(log_de):
    log_de()
    default = _server_setting()
    failing = Decision.objects.annotate(boom=RawSQL("1 / (id - id)", [])).in_written_join_order()
    with pytest.raises(DatabaseError), transaction.atomic():
        list(failing)
    assert _server_setting() == default


def test_the_decision_page_asks_for_it_the_list_queue_and_stuck_decisions_do_not(holders, log_de, monkeypatch):
    from contextlib import contextmanager

    from governance import join_order

    decision = log_de()
    user = holders["manager_de"]
    used = []
    real = join_order.written_join_order

    @contextmanager
    def counted(using="default"):
        used.append(using)
        with real(using):
            yield

    monkeypatch.setattr(join_order, "written_join_order", counted)
    # Not the list: its best plan starts from the scope's units (at 1M decisions, written order
    # read them all: 374 ms against 6 ms planned freely).
    assert [d.pk for d in selectors.decision_list(user=user)] == [decision.pk]
    assert len(used) == 0
    assert selectors.decision_detail(user=user, pk=decision.pk).pk == decision.pk
    assert len(used) == 1
    # Nor the queue nor the stuck decisions: their best plans start from the reader's seats, requests
    # or units, or test the units last (at 1M decisions, written order read every open decision in
    # scope: 240-390 ms against 2-41 ms planned freely; docs/benchmarks.md, "Stuck decisions at 1M").
    assert selectors.queue_for(user=user).requested == [decision]
    selectors.stuck_decisions(user=user, brief=True)
    assert len(used) == 1
