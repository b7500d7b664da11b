"""Times in the reader's time zone.

Every user has a time zone (``User.timezone``): the one they chose, or by default the zone of
their unit (their oldest assignment's org unit; a partner user's: their partnership's first unit).
Pages show every timestamp in the reader's zone with its label: ``UserTimezoneMiddleware``
activates the zone for the request and templates format instants with the ``when`` filter
(``governance/templatetags/accord_time.py``), which calls ``format_instant`` — the one formatter
that e-mails and notification texts use too, with the recipient's zone. The API is not localised:
it answers ISO 8601 with offset, in UTC, whoever asks.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, tzinfo
from functools import lru_cache

from django.conf import settings
from django.utils import timezone as dj_timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import get_language

from governance.models import Assignment

FORMATS = {
    "": "d M Y H:i",  # 02 Mar 2026 09:00
    "short": "d M H:i",  # 02 Mar 09:00
    "weekday": "D d M H:i",  # Mon 02 Mar 09:00
    "seconds": "Y-m-d H:i:s",  # 2026-03-02 09:00:00
}


@lru_cache(maxsize=512)
def zone(name: str | None) -> tzinfo:
    """The ``ZoneInfo`` for an IANA name; the site default for an empty or unknown one."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def user_zone(user) -> tzinfo:
    """The zone ``user`` reads times in (the site default for anonymous users)."""
    return zone(getattr(user, "timezone", "") or "")


def format_instant(value: datetime | None, tz: tzinfo | None = None, style: str = "") -> str:
    """``value`` in ``tz`` (default: the active zone) as e.g. ``02 Mar 2026 09:00 CET``; the zone's
    abbreviation always follows the time so a reader never has to guess which zone it is."""
    if value is None:
        return ""
    if dj_timezone.is_naive(value):
        value = dj_timezone.make_aware(value, zone(settings.TIME_ZONE))
    local = value.astimezone(tz or dj_timezone.get_current_timezone())
    return f"{_FAST_FORMATS.get(style, _FAST_FORMATS[''])(local)} {local.tzname() or ''}"


@lru_cache(maxsize=64)
def _names(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Month and weekday abbreviations as ``dateformat``'s ``M`` and ``D`` give them, per language."""
    return (("",) + tuple(str(MONTHS_3[m]).title() for m in range(1, 13)),
            tuple(str(WEEKDAYS_ABBR[d]) for d in range(7)))


def _month(dt: datetime) -> str:
    return _names(get_language())[0][dt.month]


# FORMATS written out: ``dateformat.format`` parses its format string and looks each letter up on
# every call, and a list of 100 decisions formats 200 instants (cost: docs/benchmarks.md#figures-behind-code-comments).
# tests/governance pins that both give the same text.
_FAST_FORMATS = {
    "": lambda dt: f"{dt.day:02d} {_month(dt)} {dt.year:04d} {dt.hour:02d}:{dt.minute:02d}",
    "short": lambda dt: f"{dt.day:02d} {_month(dt)} {dt.hour:02d}:{dt.minute:02d}",
    "weekday": lambda dt: f"{_names(get_language())[1][dt.weekday()]} {dt.day:02d} {_month(dt)} "
                          f"{dt.hour:02d}:{dt.minute:02d}",
    "seconds": lambda dt: f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}",
}


def default_timezone(user) -> str:
    """The zone of ``user``'s unit: their oldest assignment's org unit; for a partner user, the
    first org unit (by code) of their first partnership; else the site default."""
    unit_zone = (Assignment.objects.filter(user=user).order_by("pk")
                 .values_list("org_unit__timezone", flat=True).first())
    if unit_zone is None and user.pk is not None:  # through User.partnerships, which partners declares
        unit_zone = (user.partnerships.order_by("pk", "org_units__code")
                     .exclude(org_units=None).values_list("org_units__timezone", flat=True).first())
    return unit_zone or settings.TIME_ZONE


class UserTimezoneMiddleware:
    """Activate the signed-in user's zone for pages, so templates (``|date``, ``|when``, forms)
    read and write local times. API paths stay in UTC (ISO 8601 with offset for integrators)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.api_prefix = "/api/"

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.path.startswith(self.api_prefix) and user is not None and user.is_authenticated:
            dj_timezone.activate(user_zone(user))
        else:
            dj_timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            dj_timezone.deactivate()
