"""The period a KPI page shows: the stored cell of a window (``cell_period``), its label, and the
month a page opens on when none is asked for (``default_period``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Sum

from governance.models import User
from governance.periods import last_month, quarter_label, quarter_start
from kpis.models import Grain, ScorecardCell
from kpis.selectors.units import Unit


def cell_period(period: date, grain: str) -> date:
    """The stored period of the cell for ``grain`` that contains ``period``."""
    return quarter_start(period) if grain == Grain.QUARTER else period


def window_label(period: date, grain: str) -> str:
    if grain == Grain.QUARTER:
        return quarter_label(period)
    if grain == Grain.YTD:
        return f"YTD {period:%b %Y}" if period.month > 1 else f"{period:%b %Y} (YTD)"
    return f"{period:%B %Y}"


@dataclass(frozen=True)
class DefaultPeriod:
    period: date
    reason: str  # one sentence for the page: which month and why


LOOK_BACK = 13  # months with cells the default looks through for one with enough coverage


def default_period(user: User, unit: Unit, *, now=None) -> DefaultPeriod:
    """The month a page opens on when none is asked for: the latest **closed** month (before the
    unit's current month in its time zone — never a future one, whatever rows exist) whose coverage
    at ``unit`` — reports received / reports expected, over its month cells — reaches
    ``settings.ACCORD_DASHBOARD_MIN_COVERAGE``; else the latest closed month with any report; else
    the last closed month. One query: the unit's month cells of the last ``LOOK_BACK`` closed
    months that have any, summed per month."""
    minimum = float(getattr(settings, "ACCORD_DASHBOARD_MIN_COVERAGE", 0.6))
    closed = last_month(now, unit.timezone)
    months = list(ScorecardCell.objects.restrict(user, "view")
                  .filter(org_unit_id=unit.pk, grain=Grain.MONTH, partnership_key=0, period__lte=closed)
                  .values("period").annotate(reporting=Sum("reporting"), expected=Sum("expected"))
                  .order_by("-period").values_list("period", "reporting", "expected")[:LOOK_BACK])
    for period, reporting, expected in months:
        if expected and reporting / expected >= minimum:
            return DefaultPeriod(period, f"the latest closed month with at least {minimum:.0%} of expected reports "
                                         f"({reporting} of {expected})")
    for period, reporting, expected in months:
        if reporting:
            return DefaultPeriod(period, f"no closed month reaches {minimum:.0%} of expected reports; the latest "
                                         f"with any ({reporting} of {expected})")
    return DefaultPeriod(closed, "the last closed month (no reports yet)")
