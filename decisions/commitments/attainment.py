"""Attainment of commitments per month, computed from Accord's own records when read (a
partnership's decisions and submissions are few; nothing is stored).

* ``decision_sla`` (ours): the partnership's decisions of the type requested in the month (withdrawn
  ones aside). Each is due N business days after it was requested (the org unit's business hours and
  holidays, ``decisions.calendar``). On time: decided by then. Breached: decided later, or still
  open after it. Still open and not yet due: not counted yet.
* ``submission`` (theirs): for each market the partnership covers, the month's actual of the KPI,
  due at the end of working day N of the next month (Mon–Fri, the market's holidays skipped) in the
  market's time zone. On time: entered by then (``Measurement.entered_at`` — a later correction
  counts as the entry). Breached: entered later, or missing after the due time.

Attainment = on time / (on time + breached), ``None`` when nothing was due. Breaches name the item
only to a reader who may view it: a partner user sees an internal decision as "An internal decision".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from decisions.calendar import BUSINESS_DAY_END, BUSINESS_DAY_START, add_business_hours, is_business_day
from decisions.clock import holidays_for
from decisions.models import Decision, DecisionStatus
from governance.models import OrgUnit
from governance.periods import month_shift
from governance.querysets import VIEW
from kpis.models import Measurement
from partners.commitments.models import Commitment, Measure

BUSINESS_DAY_HOURS = (datetime.combine(date.min, BUSINESS_DAY_END) - datetime.combine(date.min, BUSINESS_DAY_START)
                      ) / timedelta(hours=1)


@dataclass
class Breach:
    item: str
    due: datetime
    done: datetime | None


@dataclass
class MonthResult:
    commitment: Commitment
    period: date
    on_time: int = 0
    breaches: list[Breach] = field(default_factory=list)

    @property
    def attainment(self) -> float | None:
        counted = self.on_time + len(self.breaches)
        return None if counted == 0 else self.on_time / counted

    @property
    def met(self) -> bool | None:
        return None if self.attainment is None else self.attainment >= float(self.commitment.target)


def working_day(month: date, n: int, holidays: set[date]) -> date:
    """The ``n``-th business day of ``month`` (1 = the first)."""
    day, count = month, 0
    while True:
        if is_business_day(day, holidays):
            count += 1
            if count == n:
                return day
        day += timedelta(days=1)


def _decision_sla(c: Commitment, months: list[date], viewer, now: datetime) -> dict[date, MonthResult]:
    results = {m: MonthResult(c, m) for m in months}
    start, end = months[0], month_shift(months[-1], 1)
    decisions = list(Decision.objects.filter(
        partnership=c.partnership, decision_type=c.decision_type, requested_at__date__gte=start,
        requested_at__date__lt=end).exclude(status=DecisionStatus.WITHDRAWN).select_related("org_unit")
        .order_by("requested_at", "pk"))
    visible = set(Decision.objects.restrict(viewer, VIEW).filter(pk__in=[d.pk for d in decisions])
                  .values_list("pk", flat=True))
    holidays = {u.pk: holidays_for(u) for u in {d.org_unit for d in decisions}}
    for d in decisions:
        due = add_business_hours(d.requested_at, c.days * BUSINESS_DAY_HOURS, d.org_unit.timezone,
                                 holidays[d.org_unit_id])
        done = d.decided_at if d.status == DecisionStatus.DECIDED else None
        month = results.get(d.requested_at.date().replace(day=1))
        if month is None:
            continue
        if done is not None and done <= due:
            month.on_time += 1
        elif done is not None or now > due:
            month.breaches.append(Breach(d.title if d.pk in visible else "An internal decision", due, done))
    return results


def _submission(c: Commitment, months: list[date], now: datetime) -> dict[date, MonthResult]:
    results = {m: MonthResult(c, m) for m in months}
    markets = list(OrgUnit.objects.filter(level="market", ancestor_links__ancestor__in=c.partnership.org_units.all())
                   .distinct().order_by("code"))
    entered = {(m.org_unit_id, m.period): m.entered_at for m in Measurement.objects.filter(
        kpi=c.kpi, partnership=c.partnership, org_unit__in=markets, period__in=months).only(
        "org_unit_id", "period", "entered_at")}
    for market in markets:
        holidays = holidays_for(market)
        for month in months:
            day = working_day(month_shift(month, 1), c.days, holidays)
            due = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(market.timezone))
            done = entered.get((market.pk, month))
            if done is not None and done <= due:
                results[month].on_time += 1
            elif done is not None or now > due:
                results[month].breaches.append(Breach(f"{c.kpi.code} {month:%b %Y}, {market.name}", due, done))
    return results


def attainment(*, viewer, partnership, months: list[date], now: datetime | None = None) -> list[MonthResult]:
    """Every commitment of ``partnership`` (ours first) for each of ``months`` (oldest first)."""
    now = now or timezone.now()
    out = []
    for c in Commitment.objects.restrict(viewer, VIEW).filter(partnership=partnership).select_related(
            "partnership", "decision_type", "kpi").order_by("side", "name"):
        per_month = (_decision_sla(c, months, viewer, now) if c.measure == Measure.DECISION_SLA
                     else _submission(c, months, now))
        out.extend(per_month[m] for m in months)
    return out


def recent_months(now: datetime | None = None, count: int = 6) -> list[date]:
    """The last ``count`` months up to the current one, oldest first."""
    this = timezone.localdate(now or timezone.now()).replace(day=1)
    return [month_shift(this, -k) for k in range(count - 1, -1, -1)]
