"""Pages: the leaders' dashboard, a KPI's trend, the catalogue, CSV import/export."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from governance.models import OrgUnit, Role
from governance.periods import last_month, parse_period
from kpis import expected, selectors
from kpis.dashboard_page import dashboard_page
from kpis.files import INFO_COLUMNS, check_shape, read_bytes, write_xlsx
from kpis.models import KPI, Aggregation, Category, Grain, ImportJob, KPIOwnership, Measurement, StrategicObjective
from kpis.rows import CSV_COLUMNS, BulkValidationError
from kpis.selectors.cascade import objective_cascade
from kpis.services.imports import INLINE_MAX_ROWS, import_job_request, runs_inline
from kpis.services.measurements import (
    MeasurementConflict,
    PlausibilityWarning,
    csv_safe,
    measurements_import_csv,
)
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
    """Shared KPIs for a scope and period (``kpis.dashboard_page``: built from the database, or
    from the cache while nothing under it has changed). Internal users only."""
    _internal_only(request)
    page = dashboard_page(request.user, **dashboard_params(request))
    return render(request, "kpis/dashboard.html", {"page": page})


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
                                   csv_safe(m.entered_by_seen_by(request.user) or ""),
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
