"""The alignment gaps of a unit and month (``alignment_gaps``): strategic objectives no KPI
measures, and KPIs the unit's scope uses with no target at the unit or below for the month.

A KPI is *used* in the scope when a measurement the user may see sits at the unit or below in the
``USED_MONTHS`` months up to the chosen one, or a partnership the user may see that works at the
unit or below co-owns it. Targets count only when the user may see them (``restrict``) and they sit
at the unit or below, so another scope's targets never close a gap here. Three queries: the
visible units (``unit_scope``), the objectives, the KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef

from governance.models import OrgUnit, User
from governance.periods import month_shift
from kpis.models import KPI, KPIOwnership, Measurement, StrategicObjective, Target
from kpis.selectors.units import UnitScope, unit_scope
from partners.models import Partnership

USED_MONTHS = 12  # a KPI measured in the scope within this many months (the chosen one included) is in use


@dataclass
class Alignment:
    scope: UnitScope
    period: date
    objectives_without_kpi: list[StrategicObjective]
    kpis_without_target: list[KPI]

    @property
    def gap_count(self) -> int:
        return len(self.objectives_without_kpi) + len(self.kpis_without_target)


def alignment_gaps(user: User, *, unit_code: str | None, period: date) -> Alignment | None:
    """The gaps at the chosen unit (default: the user's top unit) for ``period`` (a month start);
    None when the user sees no unit (partner users see none of this: objectives are internal)."""
    if user.is_partner:
        return None
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    subtree = OrgUnit.objects.filter(ancestor_links__ancestor_id=scope.unit.pk).values("pk")
    objectives = list(StrategicObjective.objects.restrict(user, "view").filter(kpis__isnull=True)
                      .order_by("order", "code"))

    measured = Measurement.objects.restrict(user, "view").filter(
        kpi=OuterRef("pk"), org_unit__in=subtree,
        period__gt=month_shift(period, -USED_MONTHS), period__lte=period)
    partnerships = Partnership.objects.restrict(user, "view").filter(org_units__in=subtree).values("pk")
    co_owned = KPIOwnership.objects.filter(kpi=OuterRef("pk"), partnership__in=partnerships)
    targeted = Target.objects.restrict(user, "view").filter(kpi=OuterRef("pk"), org_unit__in=subtree, period=period)
    kpis = list(KPI.objects.restrict(user, "view")
                .filter(Exists(measured) | Exists(co_owned)).exclude(Exists(targeted))
                .order_by("category", "code"))
    return Alignment(scope=scope, period=period, objectives_without_kpi=objectives, kpis_without_target=kpis)
