"""Issue 22, the leader dashboard's request cost: the reads made cheaper keep what the page shows
(the objectives' KPIs in the catalogue's order, function owners of visible KPIs only) and the
statements they save stay saved. The stuck decisions panel's brief read: tests/decisions/test_stuck.py."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import KPI, StrategicObjective
from kpis.selectors import dashboard_kpis, dashboard_objectives

pytestmark = pytest.mark.django_db


def test_an_objectives_kpis_are_listed_in_the_catalogues_order_whatever_the_links_order(cast, kpis):
    KPI.objects.filter(code="SHARE").update(category="access")  # before "adoption": first, whatever its code
    objective = StrategicObjective.objects.create(code="WIN", title="Win the launch")
    objective.kpis.set([kpis["SHARE"], kpis["REV"], kpis["NPS"], kpis["ACCTS"]])
    StrategicObjective.objects.create(code="ALONE", title="Nothing linked")
    rows, _owners = dashboard_kpis(cast["leader"])
    got = [(o.code, [k.code for k in linked]) for o, linked in dashboard_objectives(cast["leader"],
                                                                                     {k.pk: k for k in rows})]
    catalogue = list(KPI.objects.order_by("category", "code").values_list("code", flat=True))
    expected = [c for c in catalogue if c in {"SHARE", "REV", "NPS", "ACCTS"}]
    assert expected == ["SHARE", "ACCTS", "NPS", "REV"]
    assert got == [("ALONE", []), ("WIN", expected)]


def test_the_objectives_query_does_not_join_the_kpi_table(cast, kpis):
    rows, _owners = dashboard_kpis(cast["leader"])
    with CaptureQueriesContext(connection) as ctx:
        dashboard_objectives(cast["leader"], {k.pk: k for k in rows})
    *scope, objectives = ctx.captured_queries  # (the leader's assignment units, read once per user object)
    assert len(scope) <= 1 and "kpis_strategicobjective" in objectives["sql"]
    assert '"kpis_kpi"' not in objectives["sql"]


def test_function_owners_are_those_of_the_kpis_the_user_may_see(cast, kpis, partner_a, functions):
    from kpis.models import KPIOwnership

    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_a, weight=1)
    partner = cast["partner"]
    rows, owners = dashboard_kpis(partner)
    assert [k.code for k in rows] == ["REV"]  # the KPI its partnership co-owns
    assert set(owners) == {kpis["REV"].pk}
    assert sorted(f.code for f, _w in owners[kpis["REV"].pk]) == ["MKT", "SALES"]
    rows, owners = dashboard_kpis(cast["leader"])
    assert set(owners) == {k.pk for k in rows}
    with CaptureQueriesContext(connection) as ctx:
        dashboard_kpis(cast["leader"])
    assert len(ctx.captured_queries) == 2
    assert '"kpis_kpi"' not in ctx.captured_queries[1]["sql"]  # no scope subquery: the first read's KPIs


def test_figures_read_as_before_the_faster_blank_test():
    """``value_formatter`` and ``pct`` tell a missing figure by ``isinstance(v, str)`` rather than
    ``v == ""`` (issue 22): the same text for every kind of figure a page passes them."""
    from decimal import Decimal
    from types import SimpleNamespace

    from django.utils.safestring import mark_safe

    from kpis.templatetags.kpis_tags import pct
    from kpis.values import _compact, value_formatter

    def old_formatter(kpi):
        if kpi.kind == "percent":
            return lambda v: "—" if v is None or v == "" else f"{float(v) * 100:.1f}%"
        if kpi.unit in ("EUR", "USD", "GBP", "JPY"):
            symbol = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}[kpi.unit]
            return lambda v: "—" if v is None or v == "" else symbol + _compact(float(v))
        return lambda v: "—" if v is None or v == "" else _compact(float(v)) + (f" {kpi.unit}" if kpi.unit else "")

    def old_pct(v):
        return "—" if v is None or v == "" else f"{float(v) * 100:.0f}%"

    figures = [None, "", mark_safe(""), 0, 0.0, Decimal("0"), Decimal("-0.000001"), Decimal("0.637"), 1, 12.5,
               Decimal("99.95"), Decimal("12345.678"), -4_200_000, Decimal("1.5E+9"), "3.25", mark_safe("7")]
    kpis = [SimpleNamespace(kind=kind, unit=unit) for kind, unit in
            [("percent", "%"), ("currency", "EUR"), ("currency", "JPY"), ("duration", "days"), ("number", ""),
             ("count", None)]]
    for kpi in kpis:
        new, old = value_formatter(kpi), old_formatter(kpi)
        assert [new(v) for v in figures] == [old(v) for v in figures]
    assert [pct(v) for v in figures] == [old_pct(v) for v in figures]
