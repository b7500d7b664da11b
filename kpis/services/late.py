"""Late reporters: which expected reports are missing for a month, and one reminder per period.

A report is **late** when the unit has a target for the KPI that month (its own, or its
partnership's) and no actual, once the month is closed (the month before the current one, UTC).
Set-based: one query lists the late keys per unit (and partnership); the reminder goes to the
unit's managers for internal rows and to the partnership's partner users for its rows, through
``governance.notifications.notify`` with a ``dedupe_key`` per unit, partnership and month — so the
daily job reminds each owner exactly once per period, however often it runs (and twice at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection
from django.urls import reverse

from governance.models import Assignment, OrgUnit, Role, User
from governance.notifications import notify
from governance.periods import last_month
from kpis.models import KPI, Frequency, Measurement, Target
from kpis.periods import QUARTER_CLOSES

_LATE_SQL = f"""
SELECT t.org_unit_id, t.partnership_key, array_agg(k.code ORDER BY k.code)
FROM {Target._meta.db_table} t
JOIN {KPI._meta.db_table} k ON k.id = t.kpi_id
WHERE t.period = %s AND (k.frequency <> %s OR %s)
  AND (%s OR t.org_unit_id = ANY(%s))
  AND NOT EXISTS (SELECT 1 FROM {Measurement._meta.db_table} m WHERE m.org_unit_id = t.org_unit_id
                  AND m.kpi_id = t.kpi_id AND m.period = t.period AND m.partnership_key = t.partnership_key)
GROUP BY t.org_unit_id, t.partnership_key
ORDER BY t.org_unit_id, t.partnership_key
"""  # noqa: S608 - table names only


@dataclass
class Late:
    org_unit: OrgUnit
    partnership_id: int | None
    kpi_codes: list[str] = field(default_factory=list)


def late_reports(period: date, units: list[int] | None = None) -> list[Late]:
    """The late reports of ``period`` at ``units`` (ids; ``None``: everywhere), by unit and partnership."""
    with connection.cursor() as cur:
        cur.execute(_LATE_SQL, [period, Frequency.QUARTERLY, period.month in QUARTER_CLOSES, units is None,
                                list(units or [])])
        rows = cur.fetchall()
    by_id = OrgUnit.objects.in_bulk({r[0] for r in rows})
    return [Late(org_unit=by_id[uid], partnership_id=pkey or None, kpi_codes=list(codes)) for uid, pkey, codes in rows]


def remind_late_reporters(*, now: datetime) -> int:
    """Remind the owners of late reports for the last closed month; returns notifications created."""
    period = last_month(now)
    created = 0
    for late in late_reports(period):
        unit = late.org_unit
        if late.partnership_id:
            recipients = User.objects.filter(role=Role.PARTNER, is_active=True, partnerships=late.partnership_id)
        else:
            recipients = User.objects.filter(pk__in=Assignment.objects.filter(org_unit=unit).values("user_id"),
                                             role__in=[Role.MANAGER, Role.LEADER], is_active=True)
        n = len(late.kpi_codes)
        created += len(notify(
            recipients=list(recipients), kind="kpi_late", now=now,
            title=f"{n} KPI report{'s' if n != 1 else ''} missing for {unit.code} · {period:%B %Y}",
            body=f"Still to report for {unit.name}, {period:%B %Y}: {', '.join(late.kpi_codes)}.",
            url=f"{reverse('kpis:entry')}?unit={unit.code}&period={period:%Y-%m}",
            dedupe_key=f"kpi-late:{unit.pk}:{late.partnership_id or 0}:{period:%Y-%m}"))
    return created
