"""Pages: the leaders' dashboard, a KPI's trend, the catalogue, CSV import/export."""

from __future__ import annotations

import csv
from datetime import date
from html import escape  # Django's escape() adds a lazy-string wrapper: ~3× slower in these loops
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from governance.models import OrgUnit
from kpis import selectors
from kpis.models import KPI, Aggregation, Category, Grain, Measurement
from kpis.services.measurements import CSV_COLUMNS, BulkValidationError, csv_safe, measurements_import_csv, parse_period
from kpis.templatetags.kpis_tags import kpi_value, pct
from partners.models import Partnership


def _internal_only(request) -> None:
    if request.user.is_partner:
        raise Http404


def _visible_partnership_ids(user) -> set[int]:
    """Partnerships the user may see by name: co-owner chips of others read "a partner"."""
    return set(Partnership.objects.visible_to(user).values_list("pk", flat=True))


def _period(request) -> date | None:
    try:
        return parse_period(request.GET.get("period", "")) if request.GET.get("period") else None
    except ValueError:
        return None


def unit_options(scope) -> str:
    """The scope picker's ``<option>`` list, indented by depth. Built here rather than in the
    template: an admin's picker lists every org unit (a thousand at scale)."""
    return mark_safe("".join(  # noqa: S308 - every interpolated value is escaped
        f'<option value="{escape(u.code)}"{" selected" if u.pk == scope.unit.pk else ""}>'
        f'{"&nbsp;&nbsp;" * u.indent}{escape(u.name)}</option>' for u in scope.units))


def heat_row(row, *, detail_url: str) -> str:
    """One heat-map row (KPI name, the unit's total, each child) as HTML. Built here rather than in
    the template: a cluster's map is KPIs × markets (4,000 cells at scale) and the template engine
    costs ~40 µs a cell, this a few. Same markup and wording as the template had; ``detail_url``
    is the KPI page with a ``{code}`` placeholder and the unit/period query."""
    kpi = row.kpi
    plain = escape(kpi.unit or "") == (kpi.unit or "")  # formatted values need escaping only for such units

    def value(v) -> str:
        text = kpi_value(v, kpi)
        return text if plain else escape(text)

    code = escape(kpi.code)
    lower = (' <i class="bi bi-arrow-down-short text-body-secondary" title="Lower is better"></i>'
             if kpi.direction == "lower" else "")
    target = f" · target {value(row.cell.target)}" if row.cell is not None and row.cell.target is not None else ""
    out = [f'<tr><td class="kpi-name"><a href="{detail_url.replace("{code}", quote(kpi.code))}">{escape(kpi.name)}</a>'
           f'{lower}<div class="small text-body-secondary">{code}{target}</div></td>']
    for i, c in enumerate([row.cell, *row.children]):
        td = '<td class="hm total-col">' if i == 0 else '<td class="hm">'
        if c is None:
            out.append(f'{td}<span class="hm-none" title="No data">—</span></td>')
            continue
        title = f"Target {value(c.target)} · attainment {pct(c.attainment)}"
        if i == 0:
            title += f" · {c.reporting}/{c.expected} reported"
        out.append(f'{td}<span class="hm-{c.rag or "none"}" title="{title}">{value(c.actual)}</span></td>')
    out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or formatted by us


@login_required
def index(request):
    return redirect("kpis:partnerships" if request.user.is_partner else "kpis:dashboard")


@login_required
def dashboard(request):
    """Shared KPIs for a scope and period: RAG heat-map with drill-down, tiles, benchmarking. Partner
    chips and cards name only partnerships the user may see that work in the chosen unit (the
    selector reads them already scoped, capped, with "+N more" counts)."""
    _internal_only(request)
    grain = request.GET.get("grain") if request.GET.get("grain") in Grain.values else Grain.MONTH
    data = selectors.dashboard(request.user, unit_code=request.GET.get("unit"), period=_period(request), grain=grain)
    context = {"d": data, "grains": Grain.choices}
    if data is not None:
        # KPI links: reversed once (a {% url %} per row costs more than the rest of the row).
        detail = reverse("kpis:detail", args=["{code}"]).replace(quote("{code}"), "{code}")
        context["kpi_link"] = detail.replace("{code}/", "")
        context["kpi_query"] = f"?unit={quote(data.scope.unit.code)}&period={data.period:%Y-%m}"
        for row in data.rows:
            row.html = heat_row(row, detail_url=detail + escape(context["kpi_query"]))
        context["unit_options"] = unit_options(data.scope)
    return render(request, "kpis/dashboard.html", context)


@login_required
def kpi_detail(request, code: str):
    """One KPI: 24-month trend (actual vs target) at a unit, its children and partnerships."""
    _internal_only(request)
    kpi = get_object_or_404(KPI.objects.visible_to(request.user).prefetch_related("ownerships__function",
                                                                                   "ownerships__partnership",
                                                                                   "objectives"), code=code)
    detail = selectors.kpi_detail(request.user, kpi=kpi, unit_code=request.GET.get("unit"), period=_period(request))
    chart = None
    if detail:
        chart = {
            "labels": [m.strftime("%b %y") for m in detail.months],
            "actual": [float(c.actual) if c and c.actual is not None else None for c in detail.series],
            "target": [float(c.target) if c and c.target is not None else None for c in detail.series],
            "percent": kpi.unit == "%" and kpi.aggregation == Aggregation.RATIO,
        }
    return render(request, "kpis/kpi_detail.html", {"kpi": kpi, "detail": detail, "chart": chart,
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
    """Upload a CSV of measurements: all or nothing, per-row errors, template downloads."""
    result = errors = None
    if request.method == "POST":
        if not (request.user.is_admin or request.user.role in ("leader", "manager", "partner")):
            raise Http404
        upload = request.FILES.get("file")
        if upload is None:
            errors = [{"row": 0, "field": "file", "message": "Choose a CSV file."}]
        else:
            try:
                result = measurements_import_csv(actor=request.user, upload=upload, now=timezone.now())
            except BulkValidationError as exc:
                errors = exc.public_errors()
        if result is not None and not request.htmx:
            messages.success(request, f"Imported {result.created} new and {result.updated} corrected measurements. "
                                      "Scorecards refresh in a moment.")
            return redirect("kpis:import")
    categories = [(value, label) for value, label in Category.choices]
    status = 400 if errors else 200
    template = "kpis/_import_result.html" if request.htmx else "kpis/import.html"
    return render(request, template, {"errors": errors, "result": result, "categories": categories,
                                      "columns": ",".join(CSV_COLUMNS)}, status=status)


@login_required
def import_template(request):
    """A CSV template for a KPI set (``?category=``): one example row per KPI, for the user's
    first market (and partnership, for partner users), last month."""
    kpis = KPI.objects.visible_to(request.user).order_by("code")
    category = request.GET.get("category")
    if category in Category.values:
        kpis = kpis.filter(category=category)
    unit = (OrgUnit.objects.visible_to(request.user).filter(level="market").order_by("code").first()
            or OrgUnit.objects.visible_to(request.user).order_by("code").first())
    partnership = (Partnership.objects.visible_to(request.user).order_by("pk").first()
                   if request.user.is_partner else None)
    period = selectors.month_shift(timezone.now().date().replace(day=1), -1).strftime("%Y-%m")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accord-measurements-{category or "all"}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for kpi in kpis:
        ratio = kpi.aggregation == Aggregation.RATIO
        writer.writerow([kpi.code, unit.code if unit else "", partnership.pk if partnership else "", period,
                         "" if ratio else "", "" if not ratio else "", "" if not ratio else ""])
    return response


class _Echo:
    def write(self, value):
        return value


@login_required
def export_csv(request):
    """The measurements the user may see (filters: kpi, org_unit, from, to), streamed; text cells
    that a spreadsheet would run as a formula are escaped."""
    qs = Measurement.objects.visible_to(request.user).select_related("kpi", "org_unit", "entered_by")
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


@login_required
def my_partnerships(request):
    """Partner users: their partnerships' shared KPIs (the same tag the partners page uses)."""
    partnerships = Partnership.objects.visible_to(request.user).select_related("partner").order_by("name")[:50]
    return render(request, "kpis/my_partnerships.html", {"partnerships": partnerships})
