"""The leaders' named benchmark grid (``/kpis/benchmarks/``; ``/partners/benchmarks/`` redirects here)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from governance.periods import parse_period
from kpis.benchmarks.selectors import benchmark_grid, latest_period, min_cohort
from partners.choices import PartnershipType


@login_required
def grid(request):
    """One partnership type and month: per KPI the partnerships in the reader's scope with their
    value and band (internal users only)."""
    if request.user.is_partner:
        raise Http404
    types = PartnershipType.choices
    chosen = request.GET.get("type") if request.GET.get("type") in PartnershipType.values else types[0][0]
    try:
        period = parse_period(request.GET["period"]) if request.GET.get("period") else latest_period(request.user)
    except ValueError:
        period = latest_period(request.user)
    rows = benchmark_grid(user=request.user, partnership_type=chosen, period=period) if period else []
    return render(request, "partners/benchmarks/grid.html", {
        "grid": rows, "types": types, "type": chosen, "type_label": PartnershipType(chosen).label, "period": period,
        "minimum": min_cohort()})
