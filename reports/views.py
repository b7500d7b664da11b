"""Exports: each page's figures as XLSX or PDF, for the scope and period on screen.

Each view reads its parameters with the page's own helper (``kpis.views.dashboard_params``,
``decisions.views.analytics.analytics_params``, ``decisions.views.pages.list_params``), calls
the page's selector, which reads through ``restrict(user, "view")``, and renders the document
(``reports.builders``). Who may export is who may open the page: the same 404s.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from decisions import selectors as decision_selectors
from decisions.views.analytics import GROUPING_LABELS, PERIOD_LABELS, analytics_params
from decisions.views.pages import list_params
from kpis import selectors as kpi_selectors
from kpis.models import KPI, KPIOwnership
from kpis.views import dashboard_params, kpi_detail_params
from partners.models import Partnership
from reports import builders
from reports.document import Document
from reports.pdf import document_pdf
from reports.xlsx import document_xlsx

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}


def render_document(doc: Document, fmt: str) -> HttpResponse:
    body = document_xlsx(doc) if fmt == "xlsx" else document_pdf(doc)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{doc.filename}.{fmt}"'
    return response


def _internal_only(request) -> None:
    if request.user.is_partner:
        raise Http404


@login_required
def dashboard(request, fmt: str):
    _internal_only(request)
    data = kpi_selectors.dashboard(request.user, **dashboard_params(request))
    if data is None:
        raise Http404
    return render_document(builders.dashboard_document(request.user, data), fmt)


@login_required
def kpi(request, code: str, fmt: str):
    _internal_only(request)
    owners = KPIOwnership.objects.restrict(request.user, "view").select_related("function", "partnership")
    kpi = get_object_or_404(KPI.objects.restrict(request.user, "view").prefetch_related(
        Prefetch("ownerships", queryset=owners)), code=code)
    detail = kpi_selectors.kpi_detail(request.user, kpi=kpi, **kpi_detail_params(request))
    if detail is None:
        raise Http404
    return render_document(builders.kpi_document(request.user, kpi, detail), fmt)


@login_required
def partnership_scorecard(request, pk: int, fmt: str):
    partnership = get_object_or_404(Partnership.objects.restrict(request.user, "view").select_related("partner"),
                                    pk=pk)
    items = kpi_selectors.partnership_kpi_cells(request.user, partnership)
    return render_document(builders.partnership_scorecard_document(request.user, partnership, items), fmt)


@login_required
def latency(request, fmt: str):
    _internal_only(request)
    params = analytics_params(request)
    data = decision_selectors.latency_analytics(user=request.user, group_by=params["group_by"],
                                                org_unit=params["unit"], since=params["since"])
    doc = builders.latency_document(request.user, data, grouping_label=GROUPING_LABELS[data["group_by"]],
                                    unit=params["unit"], period_label=PERIOD_LABELS[params["period"]])
    return render_document(doc, fmt)


@login_required
def decision_list(request, fmt: str):
    chosen, data, form, filters = list_params(request)
    qs = decision_selectors.decision_list(user=request.user, filters=filters, sort=filters.get("sort") or "newest")
    label = _filters_label(form, filters, chosen)
    return render_document(builders.decision_list_document(request.user, qs, filters_label=label), fmt)


@login_required
def forum_agenda(request, pk: int, fmt: str):
    _internal_only(request)
    agenda = decision_selectors.forum_agenda(user=request.user, pk=pk)
    return render_document(builders.forum_agenda_document(request.user, agenda), fmt)


def _filters_label(form, filters: dict, chosen) -> str:
    """The filters in words, as the reader set them ("Search: price · Overdue: yes")."""
    parts = [f"Saved filter: {chosen.name}"] if chosen else []
    for name, value in filters.items():
        if value in (None, "", False) or name == "sort":
            continue
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        if value is True:
            value = "yes"
        elif hasattr(form.fields[name], "choices") and not hasattr(value, "pk"):
            value = dict(form.fields[name].choices).get(value, value)
        parts.append(f"{label}: {value}")
    return " · ".join(parts) or "All decisions I may see"
