"""HTML the KPI pages write in Python rather than through template loops (issue 22: the template
engine's per-tag cost on the dashboard's 41 × 7 heat-map cells, tiles and cards): the heat-map rows,
the tiles, the objectives, gaps and scorecard cards, the scope links. Each builder's output is checked
character for character against the template markup it replaced (tests/kpis/test_dashboard_html.py).
Values are escaped with ``html.escape``; what is returned is ``mark_safe``.
"""

from __future__ import annotations

from datetime import date
from html import escape  # Django's escape() adds a lazy-string wrapper, slower in these loops (docs/benchmarks.md)
from itertools import groupby
from urllib.parse import quote

from django.utils.safestring import mark_safe

from kpis.selectors.heatmap import change_better, months_before
from kpis.templatetags.kpis_tags import bar_width, pct, value_formatter


def _escaped(format_value):
    """``format_value`` with its text HTML-escaped (for KPIs whose unit has markup characters)."""
    return lambda v: escape(format_value(v))


def _as_of_label(as_of: date, period: date | None) -> str:
    return f"YTD to {as_of:%b %Y} (no YTD figure for {period:%b %Y})"


def heat_row(row, *, detail_url: str, period: date | None = None) -> str:
    """One heat-map row as HTML: the KPI (a row header: name, code, target) and a cell per column,
    the unit's total first then each child. Built here rather than in the template: a cluster's
    map is KPIs × markets (4,000 cells at scale), the template engine costs ~40 µs a cell and this
    ~2 µs. ``detail_url`` is the KPI page with a ``{code}`` placeholder and the unit/period query.

    A cell (a grey dash when there is none) shows the figure coloured by RAG, target and attainment
    in its title (and, for the unit's total, how many units reported). ``row.as_of``: a year-to-date
    figure up to an earlier month (the unit has not reported ``period``), marked †. ``row.before``
    (month view): the change against the prior month and a year before (``heatmap.heat_changes``'s
    rule, ``change_better``) in the title — " · +€2 vs Nov 2025, better" — and an arrow against the
    prior month (▲ up, ▼ down; the words say better or worse). The months' words are formatted once
    per row, not per cell (docs/benchmarks.md, "Request cost")."""
    kpi = row.kpi
    value = value_formatter(kpi)
    if escape(kpi.unit or "") != (kpi.unit or ""):  # formatted values need escaping only for such units
        value = _escaped(value)
    lower = (' <i class="bi bi-arrow-down-short text-body-secondary" title="Lower is better"></i>'
             if kpi.direction == "lower" else "")
    total = row.cell
    before = row.before if period is not None else None
    against: tuple[str, str] = ("", "")
    if before and period is not None:
        prior, year_ago = months_before(period)
        against = (f" vs {prior:%b %Y}, ", f" vs {year_ago:%b %Y}, ")
    direction = kpi.direction
    as_of = row.as_of

    def cell_html(cell, col: str, reported: str) -> str:
        if cell is None:
            return f'<td class="hm-none{col}" title="No data">—</td>'
        arrow = ""
        figures = before.get(cell.org_unit_id) if before else None
        if figures is not None and cell.actual is not None:
            now = float(cell.actual)
            words = []
            for i, figure in enumerate(figures):
                if figure is None:
                    continue
                diff = now - float(figure)
                better = change_better(diff, direction)
                words.append(f" · {'+' if diff >= 0 else '−'}{value(abs(diff))}{against[i]}"
                             f"{'better' if better else 'unchanged' if better is None else 'worse'}")
                if i == 0 and better is not None:
                    arrow = (f' <span class="hm-delta" aria-hidden="true">{"▲" if diff > 0 else "▼"}</span>'
                             f'<span class="visually-hidden">, {"better" if better else "worse"}'
                             ' than last month</span>')
            reported += "".join(words)
        month = as_of.get(cell.org_unit_id) if as_of else None
        if month is not None:
            label = _as_of_label(month, period)
            return (f'<td class="hm-{cell.rag or "none"}{col} hm-asof" title="{label} · target {value(cell.target)} · '
                    f'attainment {pct(cell.attainment)}{reported}">{value(cell.actual)}<sup>†</sup>'
                    f'<span class="visually-hidden"> {label}</span></td>')
        return (f'<td class="hm-{cell.rag or "none"}{col}" title="Target {value(cell.target)} · attainment '
                f'{pct(cell.attainment)}{reported}">{value(cell.actual)}{arrow}</td>')

    target = f" · target {value(total.target)}" if total is not None and total.target is not None else ""
    out = [f'<tr><th class="kpi-name" scope="row"><a href="{detail_url.replace("{code}", quote(kpi.code))}">'
           f'{escape(kpi.name)}</a>{lower}<small>{escape(kpi.code)}{target}</small></th>',
           cell_html(total, " total-col", f" · {total.reporting}/{total.expected} reported" if total else "")]
    out.extend(cell_html(c, "", "") for c in row.children)
    out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or formatted by us


def _tile_change(c: dict, value) -> str:
    """One change of a tile (``Tile.changes``): arrow, signed figure, the month compared with."""
    better = c["better"]
    tone, title, word = (("text-success-emphasis", "Better", "better") if better else
                         ("text-danger-emphasis", "Worse", "worse") if better is False else
                         ("text-body-secondary", "No change", "unchanged"))
    diff = c["diff"]
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "■"
    month = c["month"]
    against = f"{month:%b}" if c["kind"] == "prior" else f"{month:%b %Y}"
    return (f'<span class="me-2 {tone}" data-change="{escape(c["kind"])}" title="{title} than {month:%B %Y}">'
            f'<span aria-hidden="true">{arrow}</span> {"+" if diff >= 0 else "−"}{value(abs(diff))} '
            f'<span class="text-body-secondary">vs {against}</span>'
            f'<span class="visually-hidden"> ({word})</span></span>')


def tile_html(tile, *, href: str, unit_name: str) -> str:
    """One shared-KPI tile (the ``<div class="col…">`` with its card) as HTML, the template's markup
    written in Python as ``heat_row`` does for the heat-map: the template engine's per-tag work on
    eight tiles (their changes, sparklines and chips) was ~7% of the page's instructions
    (docs/benchmarks.md, "Request cost"). ``href``: the KPI's page, escaped; ``unit_name``: the
    chosen unit's name, escaped."""
    kpi, cell = tile.kpi, tile.cell
    value = value_formatter(kpi)
    if escape(kpi.unit or "") != (kpi.unit or ""):
        value = _escaped(value)
    rag = (cell.rag if cell is not None else None) or "none"
    attainment, actual, target = (None, None, None) if cell is None else (cell.attainment, cell.actual, cell.target)
    changes = tile.changes
    spark = tile.sparkline
    out = [f'\n  <div class="col-sm-6 col-xl-3">\n'
           f'    <a class="card kpi-tile border-{rag} text-decoration-none text-body" href="{href}">\n'
           f'      <div class="card-body">\n'
           f'        <div class="d-flex justify-content-between gap-2"><div class="name">{escape(kpi.name)}</div>'
           f'<span class="rag rag-{rag}" style="min-width:3.2rem">{pct(attainment)}</span></div>\n'
           f'        <div class="d-flex align-items-baseline gap-2 mt-1"><span class="value">{value(actual)}</span>'
           f'<span class="small text-body-secondary">target {value(target)}</span></div>\n        ']
    if changes:
        out.append('<div class="tile-changes small mt-1">')
        out.extend(_tile_change(c, value) for c in changes)
        out.append("</div>")
    out.append("\n        ")
    if spark:
        out.append(f'<svg viewBox="0 0 120 32" preserveAspectRatio="none" aria-label="12-month trend">'
                   f'<polyline class="t" points="{spark["target"]}"/>'
                   f'<polyline class="a" points="{spark["actual"]}"/></svg>')
    out.append('\n        <div class="owners mt-1">')
    out.extend(f'<span class="chip">{escape(f.name)}</span>' for f in tile.functions)
    for p in tile.partners:
        name = escape(p.name)
        out.append(f'<span class="chip partner" title="{name} · {"no data" if p.rag == "none" else escape(p.rag)} in '
                   f'{unit_name}"><span class="rag-dot {escape(p.rag)}" style="width:.45rem;height:.45rem"></span> '
                   f'{name}</span>')
    if tile.more_partners:
        out.append(f'<span class="chip partner" title="More partnerships in {unit_name} co-own this KPI">'
                   f'+{tile.more_partners} more</span>')
    out.append("</div>\n      </div>\n    </a>\n  </div>\n  ")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or formatted by us


def heat_body(rows, *, columns: int) -> str:
    """The heat-map's ``<tbody>`` content: a category row (``columns`` wide) before each run of rows of
    one category (as ``{% regroup %}`` groups: consecutive rows), then their ``row.html``."""
    out = ["\n      "]
    for category, group in groupby(rows, key=lambda r: r.kpi.get_category_display()):
        out.append(f'\n        <tr class="cat-row"><th colspan="{columns}">{escape(str(category))}</th></tr>\n        ')
        out.extend(f"{r.html}\n        " for r in group)
        out.append("\n      ")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or ours


def _kpi_chip(row, href: str) -> str:
    cell = row.cell
    rag = (cell.rag if cell is not None else None) or "none"
    return (f'<a class="text-decoration-none" href="{href}"><span class="rag rag-{rag}" style="min-width:0">'
            f'{escape(row.kpi.name)} · {pct(cell.attainment if cell is not None else None)}</span></a>')


def objectives_html(objectives, *, href) -> str:
    """The strategic objectives card's body: each objective with its KPIs as RAG chips. ``href``
    gives a KPI code's page link (escaped)."""
    if not objectives:
        return mark_safe('<p class="text-body-secondary py-3 mb-0">No strategic objectives defined yet.</p>')
    out = []
    for objective, rows in objectives:
        description = (f'<div class="small text-body-secondary mb-2">{escape(objective.description)}</div>'
                       if objective.description else "")
        chips = ("".join(_kpi_chip(r, href(r.kpi.code)) for r in rows)
                 or '<span class="small text-body-secondary">No KPIs linked yet.</span>')
        out.append(f'\n        <div class="objective py-3">\n          <div class="fw-semibold">'
                   f'{escape(objective.title)}</div>\n          {description}\n'
                   f'          <div class="d-flex flex-wrap gap-2">\n            {chips}\n          </div>\n'
                   '        </div>\n        ')
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or ours


def gaps_html(gaps, *, href) -> str:
    """The first ten coverage warnings: KPIs whose units have not all reported."""
    return mark_safe("".join(  # noqa: S308 - every interpolated value is escaped or ours
        f'\n        <li class="list-group-item d-flex justify-content-between align-items-center">\n'
        f'          <a class="text-decoration-none text-body" href="{href(r.kpi.code)}">{escape(r.kpi.name)}</a>\n'
        f'          <span class="badge text-bg-warning">{r.cell.reporting}/{r.cell.expected} reported</span>\n'
        f'        </li>\n        ' for r in gaps[:10]))


def _bench_row(card, detail: str) -> str:
    return (f'\n        <div class="bench-row">\n          <div class="text-truncate"><span class="rag-dot '
            f'{escape(card.status)}"></span> <span class="fw-semibold">{escape(card.owner.name)}</span>{detail}</div>\n'
            f'          <div class="bench-bar"><div class="bg-{escape(card.status)}" style="width: '
            f'{bar_width(card.score)}%"></div><span class="goal"></span></div>\n'
            f'          <div class="text-end fw-semibold">{pct(card.score)}</div>\n        </div>\n        ')


def function_cards_html(cards) -> str:
    """The function scorecards (weighted attainment of the KPIs each co-owns)."""
    if not cards:
        return mark_safe('<p class="text-body-secondary mb-0">No KPI is owned by a function yet.</p>')
    out = []
    for card in cards:
        red = card.counts["red"]
        out.append(_bench_row(card, f'<div class="small text-body-secondary">{card.kpis} KPIs'
                                    f'{f" · {red} red" if red else ""}</div>'))
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or ours


def partner_cards_html(cards) -> str:
    """The partner scorecards shown (the weakest first)."""
    if not cards:
        return mark_safe('<p class="text-body-secondary mb-0">No partnership reported KPIs in this scope and period.'
                         '</p>')
    return mark_safe("".join(  # noqa: S308 - every interpolated value is escaped or ours
        _bench_row(card, f'<div class="small text-body-secondary text-truncate">{escape(card.owner.partner.name)} · '
                         f'{card.kpis} KPIs</div>') for card in cards))


def scope_html(data) -> dict[str, str]:
    """The dashboard's links through the org tree, written once here: the breadcrumb trail, the
    "Drill down" links and the heat-map's column heads (a unit each, a template loop each before)."""
    month, grain = f"{data.period:%Y-%m}", escape(data.grain)
    trail = data.scope.trail
    crumbs = [f'<li class="breadcrumb-item"><a href="?unit={escape(u.code)}&period={month}&grain={grain}">'
              f'{escape(u.name)}</a></li>' for u in trail[:-1]]
    crumbs.append(f'<li class="breadcrumb-item active" aria-current="page">{escape(trail[-1].name)}</li>')
    children = data.scope.children
    drill = '<span class="text-body-tertiary" aria-hidden="true"> · </span>'.join(
        f'<a href="?unit={escape(quote(c.code))}&amp;period={month}&amp;grain={grain}">{escape(c.name)}</a>'
        for c in children)
    heads = "".join(f'<th scope="col" class="unit-col"><a href="?unit={escape(c.code)}&period={month}&grain={grain}" '
                    f'title="Drill down to {escape(c.name)}">{escape(c.code)} <i class="bi bi-chevron-down small"></i>'
                    f'</a></th>' for c in children)
    return {"trail_html": mark_safe("".join(crumbs)), "drill_html": mark_safe(drill),  # noqa: S308 - escaped
            "heads_html": mark_safe(heads)}  # noqa: S308 - every interpolated value is escaped
