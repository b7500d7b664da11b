"""When a forum meets: the one owner of the meeting rule (the sweep, the flag and the pages ask it).

A forum meets at ``time_of_day`` in its org unit's time zone, on ``weekday``:

* **weekly** — every week, from ``first_date`` on;
* **biweekly** — every other week, counted from the week of ``first_date``;
* **monthly** — the ``week_of_month``-th ``weekday`` of every month (1–4; -1: the last one).

No meeting is before ``first_date``. A ``ForumMeetingException`` names one scheduled date and
either cancels it (``moved_to`` empty) or moves that meeting to ``moved_to`` (an instant, at most
``MAX_MOVE_DAYS`` away).

A queued decision waits for the first meeting that **starts after** the moment it was queued. A
meeting **has passed** at the end of its local day (``passes_at``): until then the forum may still
decide it in or after the meeting; from then the sweep moves a still-open decision on to the next
meeting (``services.forums``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from governance.periods import month_shift

if TYPE_CHECKING:
    from decisions.models import Forum, ForumMeetingException

MAX_MOVE_DAYS = 90  # a meeting moves within a quarter; further is a new schedule
HORIZON_DAYS = 400  # how far ahead a next meeting is looked for (a forum meets at least once a year)


def _scheduled_dates(forum: Forum, start: date, end: date) -> Iterator[date]:
    """The dates the recurrence puts a meeting on, ``start`` to ``end`` inclusive, in order."""
    start = max(start, forum.first_date)
    if forum.recurrence == "monthly":
        month = start.replace(day=1)
        while month <= end:
            day = nth_weekday(month.year, month.month, forum.weekday, forum.week_of_month)
            if start <= day <= end:
                yield day
            month = month_shift(month, 1)
        return
    step = 14 if forum.recurrence == "biweekly" else 7
    first = forum.first_date + timedelta(days=(forum.weekday - forum.first_date.weekday()) % 7)
    skip = max(0, (start - first).days)
    day = first + timedelta(days=-(-skip // step) * step)  # the first one on or after start
    while day <= end:
        yield day
        day += timedelta(days=step)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of the month; ``n = -1``: the last one."""
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1) if date(year, month, d).weekday() == weekday]
    return date(year, month, days[n - 1] if n > 0 else days[-1])


def meetings(forum: Forum, start: date, end: date,
             exceptions: Iterable[ForumMeetingException]) -> list[datetime]:
    """The forum's meetings (UTC instants) scheduled from ``start`` to ``end``, after cancellations
    and moves, in time order. A meeting moved into the window from a date outside it is not seen
    unless that date is within ``MAX_MOVE_DAYS`` of the window (the window is widened by that)."""
    zone = ZoneInfo(forum.org_unit.timezone)
    changed = {e.date: e.moved_to for e in exceptions}
    margin = timedelta(days=MAX_MOVE_DAYS)
    out = []
    try:
        for day in _scheduled_dates(forum, start - margin, end + margin):
            at = changed[day] if day in changed else datetime.combine(day, forum.time_of_day, tzinfo=zone)
            if at is not None and start <= at.astimezone(zone).date() <= end:
                out.append(at.astimezone(UTC))
    except OverflowError:  # the window reaches the end of the calendar (year 9999): no meeting beyond it
        pass
    return sorted(out)


def next_meeting(forum: Forum, after: datetime,
                 exceptions: Iterable[ForumMeetingException] | None = None) -> datetime | None:
    """The first meeting of ``forum`` that starts strictly after ``after`` (UTC), respecting its
    cancelled and moved dates (``exceptions``: read from the forum when omitted). None when it has
    none within ``HORIZON_DAYS`` (a forum whose every date is cancelled)."""
    if exceptions is None:
        exceptions = list(forum.exceptions.all())
    zone = ZoneInfo(forum.org_unit.timezone)
    local = after.astimezone(zone).date()
    found = [m for m in meetings(forum, local, local + timedelta(days=HORIZON_DAYS), exceptions) if m > after]
    return found[0] if found else None


def passes_at(forum: Forum, meeting_at: datetime) -> datetime:
    """When the meeting at ``meeting_at`` counts as past: the end of its day in the forum's zone."""
    zone = ZoneInfo(forum.org_unit.timezone)
    day = meeting_at.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def schedule_text(forum: Forum) -> str:
    """The schedule in words: "First Tuesday of every month at 10:00", "Every other Monday at 09:30"."""
    day, at = WEEKDAY_NAMES[forum.weekday], f"{forum.time_of_day:%H:%M}"
    if forum.recurrence == "monthly":
        return f"{ORDINALS.get(forum.week_of_month, 'first').capitalize()} {day} of every month at {at}"
    return f"{'Every other' if forum.recurrence == 'biweekly' else 'Every'} {day} at {at}"
