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
from django.utils.safestring import mark_safe

from governance.models import Function
from kpis.presenters import (
    function_cards_html,
    gaps_html,
    heat_body,
    heat_row,
    objectives_html,
    partner_cards_html,
    scope_html,
    tile_html,
)
from kpis.selectors import HeatRow, KPIRow, PartnerChip, Tile, Unit
from kpis.selectors.heatmap import heat_changes, months_before
from kpis.templatetags.kpis_tags import pct, value_formatter

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
    return KPIRow(pk=1, code=code, name=name, unit=unit, direction=direction, aggregation="sum", category="launch",
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


# --- the heat-map rows: ``heat_row`` as it was before issue 22 (per-cell change dicts), the reference ---

def _escaped(format_value):
    """``format_value`` with its text HTML-escaped (for KPIs whose unit has markup characters)."""
    return lambda v: escape(format_value(v))


def _ref_change_words(changes: list[dict], value) -> tuple[str, str]:
    """The heat-map cell's changes (``heatmap.heat_changes``) for its title (" · +€2 vs Nov 2025,
    better · …") and an arrow against the prior month (▲ up, ▼ down; the words say better or worse)."""
    if not changes:
        return "", ""
    words = "".join(f" · {'+' if c['diff'] >= 0 else '−'}{value(abs(c['diff']))} vs {c['month']:%b %Y}, "
                    f"{'better' if c['better'] else 'unchanged' if c['better'] is None else 'worse'}" for c in changes)
    prior = next((c for c in changes if c["kind"] == "prior"), None)
    if prior is None or prior["better"] is None:
        return words, ""
    arrow = "▲" if prior["diff"] > 0 else "▼"
    return words, (f' <span class="hm-delta" aria-hidden="true">{arrow}</span>'
                   f'<span class="visually-hidden">, {"better" if prior["better"] else "worse"} than last month</span>')


def _ref_heat_cell(cell, value, *, total: bool = False, as_of: date | None = None, period: date | None = None,
               changes: list[dict] | None = None) -> str:
    """One heat-map ``<td>``: the figure coloured by RAG, target and attainment in its title (and,
    for the unit's total, how many units reported); a grey dash when there is no cell. ``as_of``: a
    year-to-date figure up to an earlier month (the unit has not reported ``period``), marked †.
    ``changes`` (month view): against the prior month and a year before, in the title, and an arrow."""
    col = " total-col" if total else ""
    if cell is None:
        return f'<td class="hm-none{col}" title="No data">—</td>'
    words, arrow = _ref_change_words(changes or [], value)
    reported = (f" · {cell.reporting}/{cell.expected} reported" if total else "") + words
    if as_of is not None:
        label = f"YTD to {as_of:%b %Y} (no YTD figure for {period:%b %Y})"
        return (f'<td class="hm-{cell.rag or "none"}{col} hm-asof" title="{label} · target {value(cell.target)} · '
                f'attainment {pct(cell.attainment)}{reported}">{value(cell.actual)}<sup>†</sup>'
                f'<span class="visually-hidden"> {label}</span></td>')
    return (f'<td class="hm-{cell.rag or "none"}{col}" title="Target {value(cell.target)} · attainment '
            f'{pct(cell.attainment)}{reported}">{value(cell.actual)}{arrow}</td>')


def _ref_changes(row, cell, months: tuple[date, date] | None) -> list[dict]:
    if cell is None or months is None or not row.before:
        return []
    return heat_changes(cell, row.before.get(cell.org_unit_id), direction=row.kpi.direction, months=months)


def ref_heat_row(row, *, detail_url: str, period: date | None = None) -> str:
    """One heat-map row as HTML: the KPI (a row header: name, code, target) and a cell per column,
    the unit's total first then each child. Built here rather than in the template: a cluster's
    map is KPIs × markets (4,000 cells at scale), the template engine costs ~40 µs a cell and this
    ~2 µs. ``detail_url`` is the KPI page with a ``{code}`` placeholder and the unit/period query."""
    kpi = row.kpi
    value = value_formatter(kpi)
    if escape(kpi.unit or "") != (kpi.unit or ""):  # formatted values need escaping only for such units
        value = _escaped(value)
    lower = (' <i class="bi bi-arrow-down-short text-body-secondary" title="Lower is better"></i>'
             if kpi.direction == "lower" else "")
    total = row.cell
    months = months_before(period) if period is not None and row.before else None
    target = f" · target {value(total.target)}" if total is not None and total.target is not None else ""
    out = [f'<tr><th class="kpi-name" scope="row"><a href="{detail_url.replace("{code}", quote(kpi.code))}">'
           f'{escape(kpi.name)}</a>{lower}<small>{escape(kpi.code)}{target}</small></th>',
           _ref_heat_cell(total, value, total=True, as_of=row.as_of.get(total.org_unit_id) if total else None,
                      period=period, changes=_ref_changes(row, total, months))]
    as_of = row.as_of
    out.extend(_ref_heat_cell(c, value, as_of=as_of.get(c.org_unit_id) if c is not None and as_of else None,
                          period=period, changes=_ref_changes(row, c, months)) for c in row.children)
    out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or formatted by us


def _hcell(unit_id, actual, target=Decimal("100"), attainment=Decimal("0.95"), rag="amber", reporting=3, expected=4):
    return SimpleNamespace(org_unit_id=unit_id, actual=actual, target=target, attainment=attainment, rag=rag,
                           reporting=reporting, expected=expected)


HEAT_ROWS = [
    # month view: changes better, worse, unchanged, a missing figure on either side, a cell without an actual
    HeatRow(kpi=_kpi(), cell=_hcell(1, Decimal("1200")),
            children=[_hcell(2, Decimal("50")), None, _hcell(3, Decimal("7")), _hcell(4, None, rag=None),
                      _hcell(5, Decimal("0"), target=None, attainment=None, rag="green")],
            before={1: (Decimal("1100"), Decimal("1300")), 2: (Decimal("50"), None), 3: (None, Decimal("9")),
                    5: (Decimal("0"), Decimal("0"))}),
    # lower is better, percent, a unit with markup characters, a name to escape
    HeatRow(kpi=_kpi(code="A&B", name="Days <late>", unit="%", direction="lower", kind="percent"),
            cell=_hcell(1, Decimal("0.25")), children=[_hcell(2, Decimal("0.5"))],
            before={1: (Decimal("0.3"), Decimal("0.2")), 2: (Decimal("0.5"), Decimal("0.6"))}),
    HeatRow(kpi=_kpi(unit="<b>u</b>", direction="lower"), cell=_hcell(1, Decimal("5")), children=[],
            before={1: (Decimal("6"), Decimal("4"))}),
    # year to date up to an earlier month (no changes there), and no cell at the unit
    HeatRow(kpi=_kpi(), cell=None, children=[_hcell(2, Decimal("10")), _hcell(3, Decimal("11"))],
            as_of={2: date(2025, 10, 1)}),
    HeatRow(kpi=_kpi(), cell=_hcell(1, Decimal("10")), children=[_hcell(2, Decimal("3"))], as_of={1: date(2025, 9, 1)}),
    HeatRow(kpi=_kpi(), cell=None, children=[None]),
]


CASES = [(row, date(2025, 11, 1)) for row in HEAT_ROWS] + [(row, None) for row in HEAT_ROWS if not row.as_of]


@pytest.mark.parametrize(("row", "period"), CASES, ids=range(len(CASES)))
def test_heat_rows_are_what_the_per_cell_version_wrote(row, period):
    url = "/kpis/kpi/{code}/?unit=EMEA&amp;period=2025-11"
    assert heat_row(row, detail_url=url, period=period) == ref_heat_row(row, detail_url=url, period=period)


# --- the heat-map's body, the objectives, the coverage warnings and the scorecards: the template's loops before
# issue 22 (verbatim), rendered beside the Python that replaced them ---

BODY_TEMPLATE = """{% load kpis_tags %}{% regroup d.rows by kpi.get_category_display as groups %}
      {% for g in groups %}
        <tr class="cat-row"><th colspan="{{ d.scope.children|length|add:2 }}">{{ g.grouper }}</th></tr>
        {% for r in g.list %}{{ r.html }}
        {% endfor %}
      {% endfor %}"""  # noqa: E501
FUNCTIONS_TEMPLATE = """{% load kpis_tags %}{% for card in d.function_cards %}
        <div class="bench-row">
          <div class="text-truncate"><span class="rag-dot {{ card.status }}"></span> <span class="fw-semibold">{{ card.owner.name }}</span><div class="small text-body-secondary">{{ card.kpis }} KPIs{% if card.counts.red %} · {{ card.counts.red }} red{% endif %}</div></div>
          <div class="bench-bar"><div class="bg-{{ card.status }}" style="width: {{ card.score|bar_width }}%"></div><span class="goal"></span></div>
          <div class="text-end fw-semibold">{{ card.score|pct }}</div>
        </div>
        {% empty %}<p class="text-body-secondary mb-0">No KPI is owned by a function yet.</p>{% endfor %}"""  # noqa: E501
PARTNERS_TEMPLATE = """{% load kpis_tags %}{% for card in d.partners.cards %}
        <div class="bench-row">
          <div class="text-truncate"><span class="rag-dot {{ card.status }}"></span> <span class="fw-semibold">{{ card.owner.name }}</span><div class="small text-body-secondary text-truncate">{{ card.owner.partner.name }} · {{ card.kpis }} KPIs</div></div>
          <div class="bench-bar"><div class="bg-{{ card.status }}" style="width: {{ card.score|bar_width }}%"></div><span class="goal"></span></div>
          <div class="text-end fw-semibold">{{ card.score|pct }}</div>
        </div>
        {% empty %}<p class="text-body-secondary mb-0">No partnership reported KPIs in this scope and period.</p>{% endfor %}"""  # noqa: E501
OBJECTIVES_TEMPLATE = """{% load kpis_tags %}{% for objective, rows in d.objectives %}
        <div class="objective py-3">
          <div class="fw-semibold">{{ objective.title }}</div>
          {% if objective.description %}<div class="small text-body-secondary mb-2">{{ objective.description }}</div>{% endif %}
          <div class="d-flex flex-wrap gap-2">
            {% for r in rows %}<a class="text-decoration-none" href="{{ kpi_link }}{{ r.kpi.code|urlencode }}/{{ kpi_query }}"><span class="rag rag-{{ r.cell|rag_of }}" style="min-width:0">{{ r.kpi.name }} · {{ r.cell.attainment|pct }}</span></a>{% empty %}<span class="small text-body-secondary">No KPIs linked yet.</span>{% endfor %}
          </div>
        </div>
        {% empty %}<p class="text-body-secondary py-3 mb-0">No strategic objectives defined yet.</p>{% endfor %}"""  # noqa: E501
GAPS_TEMPLATE = """{% load kpis_tags %}{% for r in d.gaps|slice:":10" %}
        <li class="list-group-item d-flex justify-content-between align-items-center">
          <a class="text-decoration-none text-body" href="{{ kpi_link }}{{ r.kpi.code|urlencode }}/{{ kpi_query }}">{{ r.kpi.name }}</a>
          <span class="badge text-bg-warning">{{ r.cell.reporting }}/{{ r.cell.expected }} reported</span>
        </li>
        {% endfor %}"""  # noqa: E501


def _render(template: str, **context) -> str:
    context = {"kpi_link": "/kpis/kpi/", "kpi_query": "?unit=EMEA&period=2026-11", **context}
    return Template(template).render(Context(context))


def _href(code: str) -> str:
    return f"/kpis/kpi/{escape(quote(code))}/{escape('?unit=EMEA&period=2026-11')}"


def _card(name, score, status, kpis=3, red=0, partner=None):
    owner = SimpleNamespace(name=name, partner=SimpleNamespace(name=partner))
    return SimpleNamespace(owner=owner, score=score, status=status, kpis=kpis,
                           counts={"green": 1, "amber": 0, "red": red, "none": 0})


CARDS = [_card("Sales & <Marketing>", Decimal("0.93"), "amber", red=2, partner="Acme <GmbH>"),
         _card("Finance", Decimal("1.8"), "green", partner="O'Neil"), _card("Legal", None, "none", kpis=0, partner="X")]


@pytest.mark.parametrize("cards", [CARDS, CARDS[:1], []], ids=["three", "one", "none"])
def test_scorecards_are_what_the_template_wrote(cards):
    d = SimpleNamespace(function_cards=cards, partners=SimpleNamespace(cards=cards))
    assert function_cards_html(cards) == _render(FUNCTIONS_TEMPLATE, d=d)
    assert partner_cards_html(cards) == _render(PARTNERS_TEMPLATE, d=d)


def _row(code, name, category, cell):
    kpi = KPIRow(pk=1, code=code, name=name, unit="EUR", direction="higher", aggregation="sum", category=category,
                 kind="sum", is_shared=False)
    return HeatRow(kpi=kpi, cell=cell, children=[])


ROWS = [_row("REV", "Revenue", "launch", _hcell(1, Decimal("5"), reporting=3, expected=4)),
        _row("A&B", "Days <late>", "launch", None),
        _row("NPS", "Promoters", "access", _hcell(1, Decimal("5"), rag=None, attainment=None, reporting=0)),
        _row("REV2", "Revenue again", "launch", _hcell(1, Decimal("5"), rag="red", reporting=1, expected=9))]


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []], ids=["runs", "one", "none"])
def test_the_heat_maps_body_is_what_the_template_wrote(rows):
    for row in rows:
        row.html = mark_safe(f"<tr>{escape(row.kpi.code)}</tr>")  # noqa: S308 - escaped
    children = [object(), object()]
    d = SimpleNamespace(rows=rows, scope=SimpleNamespace(children=children))
    assert heat_body(rows, columns=len(children) + 2) == _render(BODY_TEMPLATE, d=d)


@pytest.mark.parametrize("objectives", [
    [(SimpleNamespace(title="Grow & <win>", description="In every market"), ROWS[:3]),
     (SimpleNamespace(title="Second", description=""), [])], []], ids=["two", "none"])
def test_objectives_are_what_the_template_wrote(objectives):
    assert objectives_html(objectives, href=_href) == _render(OBJECTIVES_TEMPLATE, d=SimpleNamespace(
        objectives=objectives))


@pytest.mark.parametrize("count", [0, 1, 10, 12])
def test_coverage_warnings_are_what_the_template_wrote(count):
    gaps = [ROWS[i % 2 * 3] for i in range(count)]  # rows with a cell: REV and REV2
    assert gaps_html(gaps, href=_href) == _render(GAPS_TEMPLATE, d=SimpleNamespace(gaps=gaps))


TRAIL_TEMPLATE = """{% for u in d.scope.trail %}<li class="breadcrumb-item{% if forloop.last %} active{% endif %}"{% if forloop.last %} aria-current="page"{% endif %}>{% if forloop.last %}{{ u.name }}{% else %}<a href="?unit={{ u.code }}&period={{ d.period|date:'Y-m' }}&grain={{ d.grain }}">{{ u.name }}</a>{% endif %}</li>{% endfor %}"""  # noqa: E501
DRILL_TEMPLATE = """{% for c in d.scope.children %}<a href="?unit={{ c.code|urlencode }}&amp;period={{ d.period|date:'Y-m' }}&amp;grain={{ d.grain }}">{{ c.name }}</a>{% if not forloop.last %}<span class="text-body-tertiary" aria-hidden="true"> · </span>{% endif %}{% endfor %}"""  # noqa: E501
HEADS_TEMPLATE = """{% for c in d.scope.children %}<th scope="col" class="unit-col"><a href="?unit={{ c.code }}&period={{ d.period|date:'Y-m' }}&grain={{ d.grain }}" title="Drill down to {{ c.name }}">{{ c.code }} <i class="bi bi-chevron-down small"></i></a></th>{% endfor %}"""  # noqa: E501


def _unit(code, name):
    return Unit(pk=1, code=code, name=name, level="market", parent_id=None)


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("children", [0, 1, 3])
def test_scope_links_are_what_the_template_wrote(depth, children):
    trail = [_unit("GLOBAL", "Global"), _unit("E&M", "Europe, Middle East & Africa"), _unit("D A", "<DACH>")][:depth]
    kids = [_unit("DE", "Germany"), _unit("A/T", "Austria & <more>"), _unit("CH", "O'Swiss")][:children]
    d = SimpleNamespace(scope=SimpleNamespace(trail=trail, children=kids), period=date(2026, 11, 1), grain="month")
    ours = scope_html(d)
    assert ours["trail_html"] == _render(TRAIL_TEMPLATE, d=d)
    assert ours["drill_html"] == _render(DRILL_TEMPLATE, d=d)
    assert ours["heads_html"] == _render(HEADS_TEMPLATE, d=d)
