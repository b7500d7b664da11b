"""Issue 16, "deltas against the prior period and the same period last year on tiles and heat-map
cells": a tile shows the change of the unit's actual against the month before and the same month a
year before, signed in the KPI's unit, better or worse by the KPI's direction, at no query more; a
heat-map cell says the same in its title and an arrow against last month, at one query more (since
issue 22 none: the heat-map reads the three months in its one query)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import KPIOwnership
from kpis.services.rollup import rollup_incremental

pytestmark = pytest.mark.django_db


@pytest.fixture
def months(org, kpis, record, target, partner_a):
    for period, value in (("2024-01", 100), ("2024-12", 130), ("2025-01", 120)):
        record(kpis["REV"], org["DE"], period, value=value)
        target(kpis["REV"], org["DE"], period, 100)
    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_a, weight=1)
    rollup_incremental()


def _tile(html: str, name: str) -> str:
    start = html.index(f'<div class="name">{name}</div>')
    return html[start:html.index("</a>", start)]


def test_a_tile_shows_the_change_against_the_prior_month_and_last_year(client, cast, kpis, months):
    client.force_login(cast["leader"])
    response = client.get("/kpis/dashboard/?unit=DE&period=2025-01")
    rev = next(t for t in response.context["d"].tiles if t.kpi.code == "REV")
    assert [(c["kind"], c["diff"], c["better"]) for c in rev.changes] == [("prior", -10.0, False),
                                                                         ("year", 20.0, True)]
    tile = _tile(response.content.decode(), rev.kpi.name)
    prior = re.search(r'data-change="prior"[^>]*>(.*?)</span></span>', tile, re.S).group(1)
    year = re.search(r'data-change="year"[^>]*>(.*?)</span></span>', tile, re.S).group(1)
    assert "▼" in prior and "−10" in prior and "vs Dec" in prior and "(worse)" in prior
    assert "▲" in year and "+20" in year and "vs Jan 2024" in year and "(better)" in year


def test_no_change_is_shown_without_the_earlier_figure_or_outside_the_month_view(client, cast, kpis, months):
    client.force_login(cast["leader"])
    d = client.get("/kpis/dashboard/?unit=DE&period=2024-12").context["d"]
    rev = next(t for t in d.tiles if t.kpi.code == "REV")
    assert rev.changes == []  # nothing in Nov 2024 nor Dec 2023
    d = client.get("/kpis/dashboard/?unit=DE&period=2025-01&grain=quarter").context["d"]
    assert all(t.changes == [] for t in d.tiles)  # a quarter is not compared with months


def test_a_heat_map_cell_shows_its_change_against_last_month_and_last_year(client, cast, kpis, months):
    client.force_login(cast["leader"])
    html = client.get("/kpis/dashboard/?unit=DACH&period=2025-01").content.decode()
    row = html[html.index(f">{kpis['REV'].name}</a>"):]
    row = row[:row.index("</tr>")]
    de = re.findall(r"<td [^>]*>.*?</td>", row, re.S)[2]  # DACH total, then AT, DE
    assert "120 u" in de and '<span class="hm-delta" aria-hidden="true">▼</span>' in de
    assert "worse than last month" in de
    assert "−10 u vs Dec 2024, worse" in de and "+20 u vs Jan 2024, better" in de
    quarter = client.get("/kpis/dashboard/?unit=DACH&period=2025-01&grain=quarter").content.decode()
    assert "hm-delta" not in quarter and " vs Dec 2024" not in quarter


def test_tile_and_heat_map_changes_cost_no_query(client, cast, kpis, months):
    client.force_login(cast["leader"])
    with CaptureQueriesContext(connection) as q:
        client.get("/kpis/dashboard/?unit=DE&period=2025-01")
    # 12 with the data version read first (kpis.dashboard_page); 12 before issue 22 without it: the
    # heat-map's changes had a query of their own
    assert len(q.captured_queries) == 12
    with CaptureQueriesContext(connection) as q:
        client.get("/kpis/dashboard/?unit=DE&period=2025-01&grain=quarter")
    assert len(q.captured_queries) == 12  # no changes outside the month view, the same queries
