"""Pages: decision latency analytics and the notification inbox."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from decisions import party_analytics, selectors
from decisions.schedule import ANALYTICS_SNAPSHOT_SECONDS
from decisions.services import analytics_snapshots
from decisions.views.pages import _internal_only
from governance.models import Function, Notification, OrgUnit
from governance.notifications import notification_mark_read

PERIODS = {k: int(k) for k in selectors.LOGGED_WITHIN}
DEFAULT_PERIOD = str(analytics_snapshots.DEFAULT_DAYS)  # the default view, which the snapshots precompute


GROUPING_LABELS = {"decision_type": "Decision type", "org_unit": "Org unit", "function": "Deciding function"}
SPLIT_LABELS = [("decision_type", "by decision type"), ("org_unit", "by org unit"), ("month", "by month")]
PERIOD_LABELS = selectors.LOGGED_WITHIN


def analytics_params(request) -> dict:
    """The analytics page's grouping, org unit (a non-market unit in scope, else all of it) and
    period from the query string: the page and its exports (``reports``) read them alike."""
    group_by = request.GET.get("group_by") if request.GET.get("group_by") in selectors.GROUPINGS else "decision_type"
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else DEFAULT_PERIOD
    units = OrgUnit.objects.restrict(request.user, "view").exclude(level="market").order_by("code")
    unit = units.filter(code=request.GET.get("org_unit") or "").first()
    return {"group_by": group_by, "period": period, "units": units, "unit": unit,
            "since": timezone.now() - timedelta(days=PERIODS[period])}


def figure_links(*, group_by: str, unit: OrgUnit | None, period: str, code: str | None = None) -> dict[str, str]:
    """The decision list showing the decisions behind each figure of the analytics (overall, or
    the row of ``code`` in the ``group_by`` grouping): same scope, same window, same selection
    (``selectors.decision_list`` reads these filters)."""
    base = {"logged_within": period, **({"org_unit": unit.code} if unit else {})}
    if code is not None:
        base[selectors.GROUP_FILTERS[group_by]] = code
    url = reverse("decisions:list")

    def link(**extra) -> str:
        return f"{url}?{urlencode({**base, **extra, 'sort': 'due'})}"

    return {"decided": link(status="decided"), "open": link(status="open"), "overdue": link(overdue="on"),
            "within_sla": link(sla="met"), "breached": link(sla="breached")}


@login_required
def analytics(request):
    """Decision latency for leaders: where decisions wait, by type, org unit and function. The
    default view (no grouping, unit, split; the last 180 days) comes from the viewer's scope
    snapshot while it is fresh (``services.analytics_snapshots``), shown "as of" its run; every
    other view is computed live."""
    _internal_only(request.user)
    params = analytics_params(request)
    split = request.GET.get("split") if request.GET.get("split") in party_analytics.SPLITS else ""
    default_view = (params["group_by"] == "decision_type" and params["unit"] is None and split == ""
                    and params["period"] == DEFAULT_PERIOD)
    snapshot = analytics_snapshots.snapshot_for(request.user) if default_view else None
    if snapshot is not None:
        data, parties = snapshot[0]["data"], snapshot[0]["parties"]
    else:
        data = selectors.latency_analytics(user=request.user, group_by=params["group_by"], org_unit=params["unit"],
                                           since=params["since"])
        parties = party_analytics.party_analytics(user=request.user, org_unit=params["unit"], since=params["since"],
                                                  split=split)
    links = {"group_by": params["group_by"], "unit": params["unit"], "period": params["period"]}
    if data["overall"] is not None:
        data["overall"]["links"] = figure_links(**links)
    for row in data["rows"]:
        row["links"] = figure_links(**links, code=row["code"])
    return render(request, "decisions/analytics.html", {
        "as_of": snapshot[1] if snapshot is not None else None,
        "refresh_minutes": round(ANALYTICS_SNAPSHOT_SECONDS / 60),
        "parties": parties, "split": split, "splits": SPLIT_LABELS,
        "data": data, "group_by": params["group_by"], "period": params["period"], "units": params["units"],
        "unit": params["unit"], "groupings": list(GROUPING_LABELS.items()), "periods": list(PERIOD_LABELS.items()),
        "functions": Function.objects.count(),
        "export_query": urlencode({"group_by": params["group_by"], "period": params["period"],
                                   **({"org_unit": params["unit"].code} if params["unit"] else {})}),
    })


@login_required
def notifications(request):
    qs = Notification.objects.restrict(request.user, "view").order_by("-created_at", "-pk")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "decisions/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    notification_mark_read(user=request.user, ids=ids)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("decisions:notifications")
