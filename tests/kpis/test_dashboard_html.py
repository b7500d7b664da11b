"""Issue 22: parts of the leaders' dashboard are written in Python rather than by the template
engine (``kpis.views``: ``tile_html`` and the other builders). Their output must be what the
template markup they replace wrote, character for character, for every kind of figure, change,
chip and for names with markup characters (escaped)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.template import Context, Template

from governance.models import Function
from kpis.selectors import KPIRow, PartnerChip, Tile
from kpis.views import tile_html

# The tile markup of kpis/dashboard.html before issue 22: one iteration of ``{% for t in d.tiles %}``
# (the {% load %} tag renders nothing; the newline after it is the loop body's first character).
TILE_TEMPLATE = """{% load kpis_tags %}
  <div class="col-sm-6 col-xl-3">
    <a class="card kpi-tile border-{{ t.cell|rag_of }} text-decoration-none text-body" href="{{ kpi_link }}{{ t.kpi.code|urlencode }}/{{ kpi_query }}">
      <div class="card-body">
        <div class="d-flex justify-content-between gap-2"><div class="name">{{ t.kpi.name }}</div><span class="rag rag-{{ t.cell|rag_of }}" style="min-width:3.2rem">{{ t.cell.attainment|pct }}</span></div>
        <div class="d-flex align-items-baseline gap-2 mt-1"><span class="value">{{ t.cell.actual|kpi_value:t.kpi }}</span><span class="small text-body-secondary">target {{ t.cell.target|kpi_value:t.kpi }}</span></div>
        {% if t.changes %}<div class="tile-changes small mt-1">{% for c in t.changes %}<span class="me-2 {% if c.better %}text-success-emphasis{% elif c.better is False %}text-danger-emphasis{% else %}text-body-secondary{% endif %}" data-change="{{ c.kind }}" title="{% if c.better %}Better{% elif c.better is False %}Worse{% else %}No change{% endif %} than {{ c.month|date:'F Y' }}"><span aria-hidden="true">{% if c.diff > 0 %}▲{% elif c.diff < 0 %}▼{% else %}■{% endif %}</span> {{ c.diff|kpi_change:t.kpi }} <span class="text-body-secondary">vs {% if c.kind == 'prior' %}{{ c.month|date:'M' }}{% else %}{{ c.month|date:'M Y' }}{% endif %}</span><span class="visually-hidden"> ({% if c.better %}better{% elif c.better is False %}worse{% else %}unchanged{% endif %})</span></span>{% endfor %}</div>{% endif %}
        {% with s=t.sparkline %}{% if s %}<svg viewBox="0 0 120 32" preserveAspectRatio="none" aria-label="12-month trend"><polyline class="t" points="{{ s.target }}"/><polyline class="a" points="{{ s.actual }}"/></svg>{% endif %}{% endwith %}
        <div class="owners mt-1">{% for f in t.functions %}<span class="chip">{{ f.name }}</span>{% endfor %}{% for p in t.partners %}<span class="chip partner" title="{{ p.name }} · {% if p.rag == 'none' %}no data{% else %}{{ p.rag }}{% endif %} in {{ unit.name }}"><span class="rag-dot {{ p.rag }}" style="width:.45rem;height:.45rem"></span> {{ p.name }}</span>{% endfor %}{% if t.more_partners %}<span class="chip partner" title="More partnerships in {{ unit.name }} co-own this KPI">+{{ t.more_partners }} more</span>{% endif %}</div>
      </div>
    </a>
  </div>
  """  # noqa: E501 - the template's lines as they were


def _kpi(code="REV", name="Revenue", unit="EUR", direction="higher", kind="sum"):
    return KPIRow(pk=1, code=code, name=name, unit=unit, direction=direction, aggregation="sum", category="financial",
                  kind=kind, is_shared=True)


def _cell(actual, target, attainment, rag):
    return SimpleNamespace(actual=actual, target=target, attainment=attainment, rag=rag)


NOV, OCT, NOV_BEFORE = date(2026, 11, 1), date(2026, 10, 1), date(2025, 11, 1)
POINTS = [(float(i), 10.0) for i in range(12)]

TILES = [
    # better against the prior month, worse against last year, chips of every RAG and a "+N more"
    Tile(kpi=_kpi(), cell=_cell(Decimal("1234567.8"), Decimal("1000000"), Decimal("1.2345"), "green"),
         points=POINTS, functions=[Function(pk=1, code="SAL", name="Sales & Marketing")],
         partners=[PartnerChip(pk=1, name="Acme <GmbH>", rag="red"), PartnerChip(pk=2, name="O'Neil", rag="none")],
         more_partners=4, prior=(OCT, 1000000.0), year_ago=(NOV_BEFORE, 2000000.0)),
    # lower is better, unchanged against the prior month, a percent KPI
    Tile(kpi=_kpi(code="A&B", name="Days <late>", unit="%", direction="lower", kind="percent"),
         cell=_cell(Decimal("0.25"), Decimal("0.3"), Decimal("0.9"), "amber"), points=[(0.2, None), (None, 0.3)],
         prior=(OCT, 0.25), year_ago=(NOV_BEFORE, 0.2)),
    # a unit with markup characters, a missing figure a year before, no sparkline
    Tile(kpi=_kpi(unit="<b>u</b>"), cell=_cell(Decimal("5"), None, None, None), points=[(1.0, None)],
         prior=(OCT, None), year_ago=(NOV_BEFORE, 7.0)),
    # no cell at the unit, no changes (quarter view), no owners
    Tile(kpi=_kpi(name="Nothing yet"), cell=None),
    # a figure, no prior/year comparison at all
    Tile(kpi=_kpi(unit="days"), cell=_cell(Decimal("12.5"), Decimal("10"), Decimal("0.8"), "red"),
         points=POINTS[:3], prior=(OCT, None), year_ago=(NOV_BEFORE, None)),
]


@pytest.mark.parametrize("tile", TILES, ids=range(len(TILES)))
@pytest.mark.parametrize("unit_name", ["Europe, Middle East & Africa", "Germany"])
def test_tiles_are_what_the_template_wrote(tile, unit_name):
    kpi_link, kpi_query = "/kpis/kpi/", "?unit=EMEA&period=2026-11"
    expected = Template(TILE_TEMPLATE).render(Context({
        "t": tile, "kpi_link": kpi_link, "kpi_query": kpi_query, "unit": SimpleNamespace(name=unit_name)}))
    href = f"{escape(kpi_link)}{escape(quote(tile.kpi.code))}/{escape(kpi_query)}"
    ours = tile_html(tile, href=href, unit_name=escape(unit_name))
    assert ours == expected
    assert "<GmbH>" not in ours and "<late>" not in ours and "<b>u</b>" not in ours
