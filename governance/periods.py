"""Month arithmetic, once for every app.

* ``add_months(day, n)`` keeps the day of the month, clamped to the target month's last day
  (31 January + 1 month = 28/29 February): review cadences, demo dates.
* ``month_shift(month, n)`` works on months as the first day of the month (how periods are stored:
  ``Measurement.period``, ``ScorecardCell.period``): the first day of the month ``n`` months away.
* ``current_month(now, tz)`` is the month ``now`` falls in, in the zone ``tz`` (site default if blank);
  ``last_month(now, tz)`` is the month before it — the **last closed month** (a month is closed once
  the current month is after it; ``kpis/periods.py`` states the reporting rules built on this).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from django.utils import timezone

from governance.timezones import zone


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_shift(month: date, months: int) -> date:
    """The first day of the month ``months`` months after the one ``month`` is in (negative: before)."""
    return add_months(month.replace(day=1), months)


def current_month(now: datetime | None = None, tz_name: str | None = None) -> date:
    """The first day of the month ``now`` (default: now) falls in, in the zone ``tz_name`` (site default if blank)."""
    return (now or timezone.now()).astimezone(zone(tz_name)).date().replace(day=1)


def last_month(now: datetime | None = None, tz_name: str | None = None) -> date:
    """The last closed month: the first day of the month before ``current_month(now, tz_name)``."""
    return month_shift(current_month(now, tz_name), -1)
