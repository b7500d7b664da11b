"""What a reader gets of the peer benchmarks. Cohorts smaller than ``ACCORD_BENCHMARK_MIN_COHORT``
are left out entirely (not even their size is shown); a partner user gets their own partnership's
band and the cohort's median and size — no peer's name, id or value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import OuterRef, Subquery

from governance.querysets import VIEW
from kpis.models import KPI
from partners.benchmarks.models import PeerCohort, PeerPosition
from partners.models import Partnership


def min_cohort() -> int:
    return settings.ACCORD_BENCHMARK_MIN_COHORT


def _cohorts(partnership_type):
    """The cohort row (at or above the minimum) of the outer position's KPI and month."""
    return PeerCohort.objects.filter(kpi=OuterRef("kpi"), partnership_type=partnership_type, period=OuterRef("period"),
                                     cohort_size__gte=min_cohort())


def partnership_benchmarks(*, user, partnership: Partnership, period: date | None = None) -> tuple[date | None, list]:
    """``(period, rows)`` for ``partnership`` (viewable by ``user``): each KPI ``user`` may view with
    a cohort at or above the minimum, as ``{kpi, kpi_name, band, median, cohort_size}``. ``period``
    defaults to the latest month that has any (a subquery: one query either way)."""
    cohort = _cohorts(partnership.type)
    positions = (PeerPosition.objects.restrict(user, VIEW).filter(partnership=partnership)
                 .filter(kpi__in=KPI.objects.restrict(user, VIEW).values("pk"))
                 .annotate(median=Subquery(cohort.values("median")[:1]),
                           cohort_size=Subquery(cohort.values("cohort_size")[:1]))
                 .filter(cohort_size__isnull=False))
    month = period if period is not None else Subquery(positions.order_by("-period").values("period")[:1])
    rows = list(positions.filter(period=month).order_by("kpi__code").values(
        "period", "kpi__code", "kpi__name", "kpi__unit", "kpi__kind", "band", "median", "cohort_size"))
    if period is None:
        if not rows:
            return None, []
        period = rows[0]["period"]
    return period, [{"kpi": r["kpi__code"], "kpi_name": r["kpi__name"], "unit": r["kpi__unit"], "kind": r["kpi__kind"],
                     "band": r["band"], "median": r["median"], "cohort_size": r["cohort_size"]} for r in rows]


@dataclass
class GridKPI:
    kpi: KPI
    cohort: PeerCohort
    rows: list = field(default_factory=list)  # PeerPosition with .partnership, scope-limited


def benchmark_grid(*, user, partnership_type: str, period: date) -> list[GridKPI]:
    """The named grid for internal users: per KPI, the cohort (any size: internal readers may see
    it) and the positions of the partnerships ``user`` may view, best first."""
    cohorts = {c.kpi_id: c for c in PeerCohort.objects.restrict(user, VIEW).filter(
        partnership_type=partnership_type, period=period).select_related("kpi")}
    grid = {kpi_id: GridKPI(kpi=c.kpi, cohort=c) for kpi_id, c in cohorts.items()}
    positions = (PeerPosition.objects.restrict(user, VIEW)
                 .filter(period=period, partnership__type=partnership_type, kpi_id__in=list(grid))
                 .select_related("partnership__partner").order_by("kpi_id", "-percentile", "partnership__name"))
    for p in positions:
        grid[p.kpi_id].rows.append(p)
    return sorted(grid.values(), key=lambda g: g.kpi.code)


def latest_period(user) -> date | None:
    """The newest month benchmarked (of the cohorts ``user`` may view)."""
    return PeerCohort.objects.restrict(user, VIEW).order_by("-period").values_list("period", flat=True).first()
