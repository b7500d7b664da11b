"""The request-cost benchmark (``python -m bench.request_cost``) on the demo data, a few requests
each, so it cannot rot: every request type answers 200 for its user, and the fixed per-request
queries stay where they are (budgets are CPU figures: they live in the benchmark, not here)."""

import io

import pytest
from django.core.management import call_command

from bench import request_cost

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # seeds the demo: 40 s


def test_every_request_type_answers_and_reports_cost_and_queries():
    call_command("seed_demo", force=True, stdout=io.StringIO())
    specs = request_cost._requests()
    names = [s["name"] for s in specs]
    assert names[:len(request_cost.BUDGETS)] == list(request_cost.BUDGETS)
    # then the load test's mix, writes included (each answers its own status: measure() checks it)
    assert {"load: API agree (POST)", "load: API post measurement (POST)", "load: partnership page (partner)",
            "load: page /kpis/dashboard/"} <= set(names)
    rows = {s["name"]: request_cost.measure(s, requests_n=2, warmup=1) for s in specs}
    for row in rows.values():
        assert row["cpu_ms"] > 0 and row["bytes"] > 0, row
    # Token lookup, the caller's units, the page's rows (a first page shorter than a page is its own
    # count: governance.api.pagination): nothing else per API call.
    assert rows["trivial API call (/api/v1/org-units/)"]["queries"] == 3
    # Pages: session, user, units, unread-notification badge, then the page's own queries.
    # The decision page: whether it is in the reader's view first, then its rows by key (governance.prepared).
    assert rows["decision page"]["queries"] <= 9
    # The dashboard from the cache: session, user, the data version, the stuck-decisions panel (with the
    # reader's units) and the badge; built anew after a rollup, with the heat-map's changes against last
    # month and year (kpis.dashboard_page).
    assert rows["leader dashboard"]["queries"] <= 6
    assert rows["leader dashboard, after a rollup (built anew)"]["queries"] <= 13
    # The log form and the matrix editor at today's counts (the page's share above, then their own
    # reads): a read added per option, row or cell shows here before it shows in the budgets.
    assert rows["log-decision form (GET)"]["queries"] <= 7
    assert rows["matrix editor"]["queries"] <= 11
    # The decisions API's first page: token, units, the page's rows, participants and KPIs.
    assert rows["decisions API, first page"]["queries"] <= 5
    table = request_cost.markdown(list(rows.values()))
    assert "| leader dashboard |" in table and "≤ 12" in table
