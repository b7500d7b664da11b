"""Pages: the leaders' dashboard, a KPI's trend, the catalogue, CSV import/export."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from html import escape  # Django's escape() adds a lazy-string wrapper, slower in these loops (docs/benchmarks.md)
from itertools import groupby
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from governance.models import OrgUnit, Role
from governance.periods import last_month
from kpis import expected, selectors
from kpis.files import INFO_COLUMNS, check_shape, read_bytes, write_xlsx
from kpis.models import KPI, Aggregation, Category, Grain, ImportJob, KPIOwnership, Measurement, StrategicObjective
from kpis.rows import CSV_COLUMNS, BulkValidationError
from kpis.selectors.cascade import objective_cascade
from kpis.selectors.heatmap import change_better, months_before
from kpis.services.imports import INLINE_MAX_ROWS, import_job_request, runs_inline
from kpis.services.measurements import (
    MeasurementConflict,
    PlausibilityWarning,
    csv_safe,
    measurements_import_csv,
    parse_period,
)
from kpis.templatetags.kpis_tags import bar_width, pct, value_formatter
from kpis.values import plain
from partners.models import Partnership

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _internal_only(request) -> None:
    if request.user.is_partner:
        raise Http404


def _visible_partnership_ids(user) -> set[int]:
    """Partnerships the user may see by name: co-owner chips of others read "a partner"."""
    return set(Partnership.objects.restrict(user, "view").values_list("pk", flat=True))


def _period(request) -> date | None:
    """The ``period`` of the query string (``YYYY-MM``), or None (the page picks the latest month)."""
    try:
        return parse_period(request.GET.get("period", "")) if request.GET.get("period") else None
    except ValueError:
        return None


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


UNIT_MATCHES = 20  # units the scope search lists; the rest is a count ("refine the search")


def _scope_links(request) -> tuple[str, dict[str, str]]:
    """Where a unit picked in the scope search leads, as a URL to which ``unit=<code>`` is appended,
    and the hidden fields that carry it: the dashboard (keeping month and grain), or a KPI's page
    when ``kpi`` names one the user may see. Only well-formed values are carried over."""
    keep: dict[str, str] = {}
    period = _period(request)
    if period is not None:
        keep["period"] = f"{period:%Y-%m}"
    code = request.GET.get("kpi", "")
    if code and KPI.objects.restrict(request.user, "view").filter(code=code).exists():
        keep["kpi"] = code
        base = reverse("kpis:detail", args=[code])
    else:
        if request.GET.get("grain") in Grain.values:
            keep["grain"] = request.GET["grain"]
        base = reverse("kpis:dashboard")
    query = urlencode({k: v for k, v in keep.items() if k != "kpi"})
    return f"{base}?{query}&unit=" if query else f"{base}?unit=", keep


@login_required
def unit_search(request):
    """Find an org unit the user may see by code or name (``?q=``, ``&page=``): ``UNIT_MATCHES``
    links at a time, with how many match in all. htmx asks for the list alone (the scope picker's
    dropdown, which links here for the rest); without JavaScript the picker's form opens this page."""
    _internal_only(request)
    query = request.GET.get("q", "").strip()[:80]
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    page = min(max(page, 1), 10_000)
    offset = (page - 1) * UNIT_MATCHES
    matches, total = (selectors.unit_search(request.user, query, limit=UNIT_MATCHES, offset=offset)
                      if query else ([], 0))
    link, keep = _scope_links(request)
    context = {"query": query, "matches": [(link + quote(m.code), m) for m in matches], "total": total,
               "first": offset + 1, "last": offset + len(matches), "more": total - offset - len(matches),
               "page": page, "keep": keep}
    return render(request, "kpis/_unit_results.html" if request.htmx else "kpis/unit_search.html", context)


@login_required
def index(request):
    return redirect("kpis:partnerships" if request.user.is_partner else "kpis:dashboard")


def dashboard_params(request) -> dict:
    """The dashboard's scope and period from the query string: the page and its exports
    (``reports``) read them alike, so an export holds what the screen shows."""
    grain = request.GET.get("grain") if request.GET.get("grain") in Grain.values else Grain.MONTH
    return {"unit_code": request.GET.get("unit"), "period": _period(request), "grain": grain}


def kpi_detail_params(request) -> dict:
    """A KPI page's unit and month from the query string (the page and its exports)."""
    return {"unit_code": request.GET.get("unit"), "period": _period(request)}


@login_required
def dashboard(request):
    """Shared KPIs for a scope and period: RAG heat-map with drill-down, tiles, benchmarking. Partner
    chips and cards name only partnerships the user may see that work in the chosen unit (the
    selector reads them already scoped, capped, with "+N more" counts)."""
    _internal_only(request)
    data = selectors.dashboard(request.user, **dashboard_params(request))
    context = {"d": data, "grains": Grain.choices}
    if data is not None:
        # KPI links: reversed once (a {% url %} per row costs more than the rest of the row).
        detail = reverse("kpis:detail", args=["{code}"]).replace(quote("{code}"), "{code}")
        context["kpi_link"] = detail.replace("{code}/", "")
        context["kpi_query"] = f"?unit={quote(data.scope.unit.code)}&period={data.period:%Y-%m}"
        context["export_query"] = f"{context['kpi_query'][1:]}&grain={data.grain}"  # what is on screen
        for row in data.rows:
            row.html = heat_row(row, detail_url=detail + escape(context["kpi_query"]), period=data.period)
        link, query, unit_name = escape(context["kpi_link"]), escape(context["kpi_query"]), escape(data.scope.unit.name)
        for tile in data.tiles:
            tile.html = tile_html(tile, href=f"{link}{escape(quote(tile.kpi.code))}/{query}", unit_name=unit_name)

        def href(code: str) -> str:
            return f"{link}{escape(quote(code))}/{query}"

        context.update(scope_html(data))
        context["heat_body"] = heat_body(data.rows, columns=len(data.scope.children) + 2)
        context["objectives_html"] = objectives_html(data.objectives, href=href)
        context["gaps_html"] = gaps_html(data.gaps, href=href)
        context["function_cards_html"] = function_cards_html(data.function_cards)
        context["partner_cards_html"] = partner_cards_html(data.partners.cards)
    return render(request, "kpis/dashboard.html", context)


def _period_or_last_month(request) -> date | HttpResponse:
    """``?period=YYYY-MM``, by default the last closed month; a 400 answer for anything else."""
    raw = request.GET.get("period", "")
    try:
        return parse_period(raw) if raw else last_month()
    except ValueError:
        return HttpResponse("period: expected a month as YYYY-MM.", status=400, content_type="text/plain")


@login_required
def alignment(request):
    """Alignment gaps of ``?unit=`` for ``?period=`` (default: the last closed month): objectives no
    KPI measures and KPIs in use there with no target at the unit or below. Internal users only."""
    _internal_only(request)
    period = _period_or_last_month(request)
    if isinstance(period, HttpResponse):
        return period
    data = selectors.alignment_gaps(request.user, unit_code=request.GET.get("unit"), period=period)
    if data is None:
        raise Http404
    return render(request, "kpis/alignment.html", {"a": data, "unit": data.scope.unit, "period": period})


@login_required
def objectives(request):
    """The objectives cascade as a tree (objective → children → KPIs) with each objective's gaps for
    ``?period=`` (default: the last closed month). Internal users only; each sees the objectives of
    their line and scope (``StrategicObjective.objects.restrict``)."""
    _internal_only(request)
    period = _period_or_last_month(request)
    if isinstance(period, HttpResponse):
        return period
    cascade = objective_cascade(request.user, period=period)
    nodes = cascade.nodes()
    return render(request, "kpis/objectives.html", {
        "cascade": cascade, "period": period, "objective_count": len(nodes),
        "gap_count": sum(n.gap_count for n in nodes),
        "can_add": request.user.is_admin or request.user.role in (Role.LEADER, Role.MANAGER),
    })


@login_required
def kpi_detail(request, code: str):
    """One KPI: 24-month trend (actual vs target) at a unit, its children and partnerships."""
    _internal_only(request)
    owners = KPIOwnership.objects.restrict(request.user, "view").select_related("function", "partnership")
    kpi = get_object_or_404(KPI.objects.restrict(request.user, "view").prefetch_related(
        Prefetch("ownerships", queryset=owners),
        Prefetch("objectives", queryset=StrategicObjective.objects.restrict(request.user, "view"))), code=code)
    detail = selectors.kpi_detail(request.user, kpi=kpi, **kpi_detail_params(request))
    chart = None
    if detail:
        chart = {
            "labels": [m.strftime("%b %y") for m in detail.months],
            "actual": [float(c.actual) if c and c.actual is not None else None for c in detail.series],
            "target": [float(c.target) if c and c.target is not None else None for c in detail.series],
            "percent": kpi.is_percent,
        }
    export_query = f"unit={quote(detail.scope.unit.code)}&period={detail.period:%Y-%m}" if detail else ""
    return render(request, "kpis/kpi_detail.html", {"kpi": kpi, "detail": detail, "chart": chart,
                                                    "export_query": export_query,
                                                    "visible_partnership_ids": _visible_partnership_ids(request.user)})


@login_required
def kpi_list(request):
    """The KPI catalogue: definitions, co-owners, shared or not."""
    kpis = selectors.kpi_catalogue(request.user)
    groups = {label: [k for k in kpis if k.category == value] for value, label in Category.choices}
    return render(request, "kpis/kpi_list.html", {"groups": {k: v for k, v in groups.items() if v},
                                                  "total": len(kpis),
                                                  "visible_partnership_ids": _visible_partnership_ids(request.user)})


@login_required
def import_page(request):
    """Upload a CSV or XLSX file of measurements: all or nothing, per-row errors, template downloads.
    The file's shape is checked at once (400); a file of more than ``INLINE_MAX_ROWS`` rows becomes an
    import job and the page sends the uploader to it (``kpis.import_jobs``), smaller ones are imported
    while the page waits."""
    result = errors = warnings = None
    error_count = 0
    if request.method == "POST":
        if not (request.user.is_admin or request.user.role in (Role.LEADER, Role.MANAGER, Role.PARTNER)):
            raise Http404
        upload = request.FILES.get("file")
        if upload is None:
            errors = [{"row": 0, "field": "file", "message": "Choose a CSV or XLSX file."}]
            error_count = 1
        else:
            decimal = request.POST.get("decimal", "")
            try:
                raw = read_bytes(upload)
                shape = check_shape(raw, decimal=decimal)
                if not runs_inline(shape):
                    job = import_job_request(actor=request.user, raw=raw, filename=upload.name or "", shape=shape,
                                             decimal=decimal)
                    return _to_job(request, job)
                upload.seek(0)
                result = measurements_import_csv(actor=request.user, upload=upload, now=timezone.now(),
                                                 confirm=request.POST.get("confirm") in ("on", "true", "1"),
                                                 decimal=decimal)
            except BulkValidationError as exc:
                errors, error_count = exc.public_errors(), exc.error_count
            except PlausibilityWarning as exc:
                warnings = exc.payload()
            except MeasurementConflict:
                errors = [{"row": 0, "field": "file", "message": "Someone else recorded some of these measurements "
                                                                 "at the same moment: upload the file again."}]
        if result is not None and not request.htmx:
            messages.success(request, f"Imported {result.created} new and {result.updated} corrected measurements. "
                                      "Scorecards refresh in a moment.")
            return redirect("kpis:import")
    categories = [(value, label) for value, label in Category.choices]
    status = 400 if errors else 409 if warnings else 200
    template = "kpis/_import_result.html" if request.htmx else "kpis/import.html"
    error_count = max(error_count, len(errors or []))
    units = OrgUnit.objects.restrict(request.user, "log").order_by("level", "code").only("code", "name", "level")
    return render(request, template, {"errors": errors, "error_count": error_count, "warnings": warnings,
                                      "template_units": units[:300], "last_month": last_month(),
                                      "jobs": ImportJob.objects.restrict(request.user).defer("content")[:5],
                                      "inline_max_rows": INLINE_MAX_ROWS,
                                      "result": result, "categories": categories,
                                      "columns": ",".join(CSV_COLUMNS)}, status=status)


@login_required
def import_template(request):
    """A CSV template for a KPI set (``?category=``): one example row per KPI, for the user's
    first market (and partnership, for partner users), last month."""
    kpis = KPI.objects.restrict(request.user, "view").order_by("code")
    category = request.GET.get("category")
    if category in Category.values:
        kpis = kpis.filter(category=category)
    unit = (OrgUnit.objects.restrict(request.user, "view").filter(level="market").order_by("code").first()
            or OrgUnit.objects.restrict(request.user, "view").order_by("code").first())
    partnership = (Partnership.objects.restrict(request.user, "view").order_by("pk").first()
                   if request.user.is_partner else None)
    period = last_month().strftime("%Y-%m")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accord-measurements-{category or "all"}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for kpi in kpis:
        ratio = kpi.aggregation == Aggregation.RATIO
        writer.writerow([kpi.code, unit.code if unit else "", partnership.pk if partnership else "", period,
                         "" if ratio else "", "" if not ratio else "", "" if not ratio else ""])
    return response


def _to_job(request, job: ImportJob) -> HttpResponse:
    url = reverse("kpis:import-job", args=[job.pk])
    if request.htmx:  # the upload script follows HX-Redirect (a 302 would be followed inside the XHR)
        return HttpResponse(status=202, headers={"HX-Redirect": url})
    return redirect(url)


TEMPLATE_HEADER = CSV_COLUMNS + INFO_COLUMNS


@login_required
def unit_template(request):
    """The rows a unit owes for a month (``?unit=&period=``, default: the user's first unit, last
    month) as ``?format=xlsx`` or CSV, with figures already entered filled in — fill in the rest and
    upload it back (``kpis.expected``; ``kpi_name``, ``unit``, ``previous`` are for people and
    ignored on import). Percent cells are formatted as % in the workbook (the stored fraction)."""
    unit = (OrgUnit.objects.restrict(request.user, "log").filter(code=request.GET.get("unit", "")).first()
            or OrgUnit.objects.restrict(request.user, "log").order_by("level", "code").first())
    if unit is None:
        raise Http404
    period = _period(request) or last_month()
    rows = []
    owed_rows = expected.owed(request.user, expected.units_under(request.user, unit), period)
    for o in owed_rows:
        ratio = o.kpi.is_ratio
        m = o.current
        rows.append([o.kpi.code, o.org_unit.code, o.partnership_id or None, f"{period:%Y-%m}",
                     None if ratio or m is None else m.value, m.numerator if ratio and m else None,
                     m.denominator if ratio and m else None, o.kpi.name, "%" if o.kpi.is_percent else o.kpi.unit,
                     o.previous_value])
    name = f"accord-{unit.code}-{period:%Y-%m}"
    if request.GET.get("format") == "xlsx":
        percent = [o.kpi.is_percent and not o.kpi.is_ratio for o in owed_rows]
        formats = [[None, None, None, None, "0.0%" if p else None, None, None, None, None, "0.0%" if p else None]
                   for p in percent]
        body = write_xlsx(TEMPLATE_HEADER, rows, title=f"{unit.code} {period:%Y-%m}",
                          widths={"kpi": 14, "kpi_name": 36, "period": 10}, row_formats=formats)
        response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(TEMPLATE_HEADER)
    for row in rows:
        writer.writerow([csv_safe(plain(v) if isinstance(v, Decimal) else ("" if v is None else v)) for v in row])
    return response


class _Echo:
    def write(self, value):
        return value


@login_required
def export_csv(request):
    """The measurements the user may see (filters: kpi, org_unit, from, to), streamed; text cells
    that a spreadsheet would run as a formula are escaped."""
    qs = _export_queryset(request)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS + ["source", "entered_by", "entered_at"])
        for m in qs.order_by("period", "kpi__code", "org_unit__code", "pk").iterator(chunk_size=2000):
            yield writer.writerow([csv_safe(m.kpi.code), csv_safe(m.org_unit.code), m.partnership_id or "",
                                   m.period.strftime("%Y-%m"), csv_safe(m.value), csv_safe(m.numerator),
                                   csv_safe(m.denominator), csv_safe(m.source),
                                   csv_safe(m.entered_by.username if m.entered_by else ""),
                                   m.entered_at.isoformat()])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accord-measurements.csv"'
    return response


def _export_queryset(request):
    """The measurements the user may see, filtered by ``kpi``, ``org_unit``, ``from``, ``to``."""
    qs = Measurement.objects.restrict(request.user, "view").select_related("kpi", "org_unit", "entered_by")
    if request.GET.get("kpi"):
        qs = qs.filter(kpi__code=request.GET["kpi"])
    if request.GET.get("org_unit"):
        qs = qs.filter(org_unit__code=request.GET["org_unit"])
    for name, lookup in (("from", "period__gte"), ("to", "period__lte")):
        try:
            if request.GET.get(name):
                qs = qs.filter(**{lookup: parse_period(request.GET[name])})
        except ValueError:
            pass
    return qs


@login_required
def export_xlsx(request):
    """The measurements the user may see as a workbook (same filters as the CSV; at most
    ``XLSX_EXPORT_MAX`` rows — the CSV streams any number). Importable back as it is."""
    qs = _export_queryset(request)
    rows, formats = [], []
    for m in qs.order_by("period", "kpi__code", "org_unit__code", "pk")[:XLSX_EXPORT_MAX]:
        rows.append([m.kpi.code, m.org_unit.code, m.partnership_id, f"{m.period:%Y-%m}",
                     None if m.kpi.is_ratio else m.value, m.numerator, m.denominator])
        formats.append([None, None, None, None, "0.0%" if m.kpi.is_percent and not m.kpi.is_ratio else None])
    response = HttpResponse(write_xlsx(CSV_COLUMNS, rows, title="Measurements", row_formats=formats),
                            content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="accord-measurements.xlsx"'
    return response


XLSX_EXPORT_MAX = 100_000


@login_required
def my_partnerships(request):
    """Partner users: their partnerships' shared KPIs (the same tag the partners page uses)."""
    partnerships = Partnership.objects.restrict(request.user, "view").select_related("partner").order_by("name")[:50]
    return render(request, "kpis/my_partnerships.html", {"partnerships": partnerships})
