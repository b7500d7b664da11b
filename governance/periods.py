"""Month arithmetic, once for every app.

* ``add_months(day, n)`` keeps the day of the month, clamped to the target month's last day
  (31 January + 1 month = 28/29 February): review cadences, demo dates.
* ``month_shift(month, n)`` works on months as the first day of the month (how periods are stored:
  ``Measurement.period``, ``ScorecardCell.period``): the first day of the month ``n`` months away.
* ``current_month(now, tz)`` is the month ``now`` falls in, in the zone ``tz`` (site default if blank);
  ``last_month(now, tz)`` is the month before it — the **last closed month** (a month is closed once
  the current month is after it; ``kpis/periods.py`` states the reporting rules built on this).
* ``quarter_start(month)`` is the first month of ``month``'s calendar quarter, ``quarter_label`` its
  name ("Q3 2026");
* ``parse_period(value)`` reads a month as people and files write it (``YYYY-MM``, or a month-start
  date) within ``FIRST_YEAR``..``LAST_YEAR``; anything else is a ``ValueError`` saying what to write.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from governance.timezones import zone

FIRST_YEAR, LAST_YEAR = 2000, 2100  # periods outside are rejected on input
_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})(?:-01)?$")


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


def quarter_start(month: date) -> date:
    """The first day of the calendar quarter ``month`` falls in."""
    return date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def quarter_label(month: date) -> str:
    """"Q3 2026" for any day of July–September 2026."""
    return f"Q{(month.month - 1) // 3 + 1} {month.year}"


def parse_period(value: Any) -> date:
    """``YYYY-MM`` (or a month-start date) → the month's first day."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value.day != 1:
            raise ValueError("Use the first day of the month (or YYYY-MM).")
        year, month = value.year, value.month
    else:
        match = _PERIOD.match(str(value or "").strip())
        if not match:
            raise ValueError("Use YYYY-MM, e.g. 2025-03.")
        year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
        raise ValueError(f"Not a month between {FIRST_YEAR}-01 and {LAST_YEAR}-12.")
    return date(year, month, 1)
