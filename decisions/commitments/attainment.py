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

from django.db.models import Exists, OuterRef
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


class _Holidays:
    """``holidays_for`` once per org unit for one ``attainment`` call (commitments share markets)."""

    def __init__(self) -> None:
        self._by_unit: dict[int, set[date]] = {}

    def __call__(self, unit: OrgUnit) -> set[date]:
        if unit.pk not in self._by_unit:
            self._by_unit[unit.pk] = holidays_for(unit)
        return self._by_unit[unit.pk]


def _decision_sla(c: Commitment, months: list[date], decisions: list[Decision], now: datetime,
                  holidays: _Holidays) -> dict[date, MonthResult]:
    """``decisions``: the partnership's decisions of the commitment's type requested in ``months``
    (withdrawn ones aside), oldest first, each with ``visible`` (whether the reader may view it)."""
    results = {m: MonthResult(c, m) for m in months}
    for d in decisions:
        due = add_business_hours(d.requested_at, c.days * BUSINESS_DAY_HOURS, d.org_unit.timezone,
                                 holidays(d.org_unit))
        done = d.decided_at if d.status == DecisionStatus.DECIDED else None
        month = results.get(d.requested_at.date().replace(day=1))
        if month is None:
            continue
        if done is not None and done <= due:
            month.on_time += 1
        elif done is not None or now > due:
            month.breaches.append(Breach(d.title if d.visible else "An internal decision", due, done))
    return results


def _submission(c: Commitment, months: list[date], markets: list[OrgUnit], entered: dict, now: datetime,
                holidays: _Holidays) -> dict[date, MonthResult]:
    """``markets``: the markets the partnership covers (by code); ``entered``: when each
    (KPI, market, month) actual was entered."""
    results = {m: MonthResult(c, m) for m in months}
    for market in markets:
        market_holidays = holidays(market)
        for month in months:
            day = working_day(month_shift(month, 1), c.days, market_holidays)
            due = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(market.timezone))
            done = entered.get((c.kpi_id, market.pk, month))
            if done is not None and done <= due:
                results[month].on_time += 1
            elif done is not None or now > due:
                results[month].breaches.append(Breach(f"{c.kpi.code} {month:%b %Y}, {market.name}", due, done))
    return results


def _sla_decisions(commitments: list[Commitment], partnership, months: list[date], viewer) -> dict[int, list]:
    """The decisions the SLA commitments count, by decision type, in one query: the partnership's
    decisions of those types requested in ``months`` (withdrawn ones aside), oldest first, each
    annotated ``visible``: whether ``viewer`` may view it (its title is shown only then)."""
    types = {c.decision_type_id for c in commitments if c.measure == Measure.DECISION_SLA}
    if not types:
        return {}
    start, end = months[0], month_shift(months[-1], 1)
    viewable = Decision.objects.restrict(viewer, VIEW).filter(pk=OuterRef("pk"))
    by_type: dict[int, list] = {t: [] for t in types}
    for d in (Decision.objects.filter(partnership=partnership, decision_type__in=types,
                                      requested_at__date__gte=start, requested_at__date__lt=end)
              .exclude(status=DecisionStatus.WITHDRAWN).select_related("org_unit")
              .only("title", "decision_type_id", "status", "requested_at", "decided_at", "org_unit")
              .annotate(visible=Exists(viewable)).order_by("requested_at", "pk")):
        by_type[d.decision_type_id].append(d)
    return by_type


def _unit_ids(partnership):
    """The ids of ``partnership``'s org units: from its prefetched ``org_units`` (the partnership
    page has them), else as a subquery."""
    if "org_units" in getattr(partnership, "_prefetched_objects_cache", {}):
        return [u.pk for u in partnership.org_units.all()]
    return partnership.org_units.values("pk")


def _submissions_entered(commitments: list[Commitment], partnership, months: list[date]):
    """The markets the partnership covers and when each submission commitment's actuals were
    entered there, ``(kpi_id, market_id, month) -> entered_at`` (two queries, none without such a
    commitment)."""
    kpis = {c.kpi_id for c in commitments if c.measure == Measure.SUBMISSION}
    if not kpis:
        return [], {}
    markets = list(OrgUnit.objects.filter(level="market", ancestor_links__ancestor__in=_unit_ids(partnership))
                   .distinct().order_by("code"))
    entered = {(kpi, unit, period): at for kpi, unit, period, at in Measurement.objects.filter(
        kpi__in=kpis, partnership=partnership, org_unit__in=[m.pk for m in markets], period__in=months)
        .values_list("kpi_id", "org_unit_id", "period", "entered_at")}
    return markets, entered


def attainment(*, viewer, partnership, months: list[date], now: datetime | None = None) -> list[MonthResult]:
    """Every commitment of ``partnership`` (ours first) for each of ``months`` (oldest first): the
    commitments, their decisions and their submissions read once for all of them."""
    now = now or timezone.now()
    commitments = list(Commitment.objects.restrict(viewer, VIEW).filter(partnership=partnership)
                       .select_related("kpi").order_by("side", "name"))
    decisions = _sla_decisions(commitments, partnership, months, viewer)
    markets, entered = _submissions_entered(commitments, partnership, months)
    holidays = _Holidays()
    out = []
    for c in commitments:
        per_month = (_decision_sla(c, months, decisions[c.decision_type_id], now, holidays)
                     if c.measure == Measure.DECISION_SLA else _submission(c, months, markets, entered, now, holidays))
        out.extend(per_month[m] for m in months)
    return out


def recent_months(now: datetime | None = None, count: int = 6) -> list[date]:
    """The last ``count`` months up to the current one, oldest first."""
    this = timezone.localdate(now or timezone.now()).replace(day=1)
    return [month_shift(this, -k) for k in range(count - 1, -1, -1)]
