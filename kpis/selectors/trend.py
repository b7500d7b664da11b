"""Months of a KPI at a unit: the 24-month trend of the KPI page (``kpi_detail``) and the
twelve months (and a year before) behind the dashboard tiles' sparklines (``tile_trend``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from governance.models import User
from governance.periods import month_shift
from kpis.models import KPI, Grain, ScorecardCell
from kpis.selectors.units import Unit, UnitScope, unit_scope
from kpis.selectors.windows import default_period
from partners.models import Partnership


def tile_trend(visible_cells, *, unit: Unit, kpi_ids: list[int], period: date
               ) -> tuple[list[date], dict[int, dict[date, tuple[float | None, float | None]]]]:
    """The thirteen months ending at ``period`` (the sparkline's twelve and a year before) and, per
    KPI, its ``(actual, target)`` at ``unit`` in each month that has a cell (one query)."""
    months = [month_shift(period, i - 12) for i in range(13)]
    trend: dict[int, dict[date, tuple[float | None, float | None]]] = defaultdict(dict)
    # The months as a list, not a range: PostgreSQL then descends the cell index once per
    # (month, KPI) instead of reading every KPI's cells of the year at the unit
    # (docs/benchmarks.md#figures-behind-code-comments).
    for kpi_id, month, actual, target in visible_cells.filter(
            org_unit_id=unit.pk, grain=Grain.MONTH, partnership_key=0, period__in=months,
            kpi__in=kpi_ids).values_list("kpi_id", "period", "actual", "target"):
        trend[kpi_id][month] = (None if actual is None else float(actual), None if target is None else float(target))
    return months, trend


@dataclass
class KPIDetail:
    kpi: KPI
    scope: UnitScope
    period: date
    months: list[date]
    series: list[ScorecardCell | None]
    children: list[tuple[Unit, ScorecardCell | None]]
    partners: list[tuple[Partnership, ScorecardCell]]


def kpi_detail(user: User, *, kpi: KPI, unit_code: str | None, period: date | None) -> KPIDetail | None:
    """A KPI's 24-month trend at a unit (actual vs target) and its children at ``period``."""
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    unit = scope.unit
    period = period or default_period(user, unit).period
    start = month_shift(period, -23)
    months = [month_shift(start, i) for i in range(24)]
    visible = ScorecardCell.objects.restrict(user, "view").filter(kpi=kpi, grain=Grain.MONTH)
    series = {c.period: c for c in visible.filter(org_unit_id=unit.pk, partnership_key=0, period__gte=start,
                                                  period__lte=period)}
    kids = {c.org_unit_id: c for c in visible.filter(org_unit__in=[c.pk for c in scope.children],
                                                     partnership_key=0, period=period)}
    p_cells = {c.partnership_key: c for c in visible.filter(org_unit_id=unit.pk, partnership_key__gt=0, period=period)}
    partners = [(p, p_cells[p.pk]) for p in Partnership.objects.restrict(user, "view").filter(pk__in=list(p_cells))]
    return KPIDetail(kpi=kpi, scope=scope, period=period, months=months, series=[series.get(m) for m in months],
                     children=[(c, kids.get(c.pk)) for c in scope.children], partners=partners)
