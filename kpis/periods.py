"""Reporting periods: which months accept actuals, and which month is "closed".

* The **current month** of an org unit is the month it is now in its own time zone
  (``OrgUnit.timezone``; ``governance.periods.current_month``, which holds the month arithmetic):
  on 1 March 00:30 in Tokyo, Tokyo is in March while London is still in
  February. Actuals are refused for months after it; targets may be set ahead.
* A KPI's **frequency** decides which months take actuals: every month for monthly KPIs, the closing
  month of each quarter (March, June, September, December) for quarterly ones — the month whose
  figure the quarter and year-to-date cells then carry.
* A month is **closed** once the unit's current month is after it.
"""

from __future__ import annotations

from datetime import date

from governance.periods import current_month
from kpis.models import Frequency

__all__ = ["QUARTER_CLOSES", "actual_period_problem", "current_month", "expects_actual"]

QUARTER_CLOSES = (3, 6, 9, 12)


def actual_period_problem(kpi, period: date, *, unit_month: date) -> str | None:
    """Why ``period`` takes no actual of ``kpi`` at a unit whose current month is ``unit_month``
    (``None`` when it does)."""
    if period > unit_month:
        return (f"{period:%Y-%m} has not begun at this org unit (it is {unit_month:%Y-%m} there): actuals are "
                f"entered from their month on; targets may be set ahead.")
    if kpi.frequency == Frequency.QUARTERLY and period.month not in QUARTER_CLOSES:
        return (f"{kpi.code} is reported quarterly: enter it at the quarter's last month "
                f"({period.year}-03, -06, -09 or -12).")
    return None


def expects_actual(kpi, period: date) -> bool:
    """Whether ``kpi`` is reported for ``period`` at all (its frequency)."""
    return kpi.frequency != Frequency.QUARTERLY or period.month in QUARTER_CLOSES
