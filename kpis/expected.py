"""Which reports a unit owes for a month — the rows of templates (and the entry grid).

A unit owes a KPI for a month when the KPI is reported that month (its frequency, ``kpis.periods``)
and the unit has a **target** for it that month or reported it in the ``RECENT`` months before —
the same "expected" the rollup's coverage counts (markets with an actual or a target). Internal users
owe their units' internal rows (no partnership); a partner user owes their partnership's rows in the
partnership's units. Three queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from governance.models import OrgUnit, User
from governance.periods import month_shift
from kpis.models import KPI, Measurement, Target
from kpis.periods import expects_actual
from partners.models import Partnership

RECENT = 12
MAX_UNITS = 200


@dataclass
class Owed:
    kpi: KPI
    org_unit: OrgUnit
    partnership_id: int | None
    current: Measurement | None  # the figure entered for the month already, if any
    previous: Measurement | None  # the latest earlier one (within RECENT months)
    target: Decimal | None

    @property
    def previous_value(self) -> Decimal | None:
        return self.previous.value if self.previous else None


def units_under(user: User, unit: OrgUnit) -> list[OrgUnit]:
    """The markets at or below ``unit`` the user may record actuals for (at most ``MAX_UNITS``)."""
    logged = OrgUnit.objects.restrict(user, "log")
    if unit.level == "market":
        return list(logged.filter(pk=unit.pk))
    return list(logged.filter(level="market", ancestor_links__ancestor=unit).distinct().order_by("code")[:MAX_UNITS])


def owed(user: User, units: list[OrgUnit], period: date) -> list[Owed]:
    """The reports ``units`` owe for ``period`` as ``user`` would enter them, by unit then KPI code."""
    if not units:
        return []
    kpis = {k.pk: k for k in KPI.objects.restrict(user, "view")}
    keys: list[tuple[OrgUnit, int]] = []  # (unit, partnership_key)
    if user.is_partner:
        links = Partnership.objects.restrict(user, "log").filter(org_units__in=units).values_list("pk", "org_units")
        by_unit = {u.pk: u for u in units}
        keys = [(by_unit[uid], pid) for pid, uid in links if uid in by_unit]
    else:
        keys = [(u, 0) for u in units]
    if not keys:
        return []
    unit_ids = {u.pk for u, _ in keys}
    pkeys = {p for _, p in keys}
    start = month_shift(period, -RECENT)
    targets = {(t.kpi_id, t.org_unit_id, t.partnership_key): t.value for t in Target.objects.filter(
        org_unit_id__in=unit_ids, partnership_key__in=pkeys, period=period, kpi_id__in=list(kpis))}
    current, previous = {}, {}
    for m in (Measurement.objects.filter(org_unit_id__in=unit_ids, partnership_key__in=pkeys, kpi_id__in=list(kpis))
              .filter(Q(period=period) | Q(period__gte=start, period__lt=period)).order_by("period")):
        key = (m.kpi_id, m.org_unit_id, m.partnership_key)
        (current if m.period == period else previous)[key] = m  # ascending: the latest earlier one wins
    out = []
    wanted = {(u.pk, p) for u, p in keys}
    seen = {k for k in (*targets, *current, *previous) if (k[1], k[2]) in wanted}
    by_unit = {u.pk: u for u, _ in keys}
    for kpi_id, unit_id, pkey in sorted(seen, key=lambda k: (by_unit[k[1]].code, kpis[k[0]].code, k[2])):
        kpi = kpis[kpi_id]
        if not expects_actual(kpi, period):
            continue
        key = (kpi_id, unit_id, pkey)
        out.append(Owed(kpi=kpi, org_unit=by_unit[unit_id], partnership_id=pkey or None, current=current.get(key),
                        previous=previous.get(key), target=targets.get(key)))
    return out
