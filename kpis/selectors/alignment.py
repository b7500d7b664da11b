"""The alignment gaps of a unit and month (``alignment_gaps``): objectives of the cascade no KPI
measures, region and cluster objectives whose markets (in the chosen unit's subtree) have no
objective below them, objectives' KPIs with no target for the month where the objective applies
(``kpis.selectors.cascade``), and KPIs the unit's scope uses with no target at the unit or below
for the month. Objectives count when they apply at the unit, above it (its line) or below it, or
to a partnership working below it.

A KPI is *used* in the scope when a measurement the user may see sits at the unit or below in the
``USED_MONTHS`` months up to the chosen one, or a partnership the user may see that works at the
unit or below co-owns it. Targets count only when the user may see them (``restrict``) and they sit
at the unit or below, so another scope's targets never close a gap here. Three queries: the
visible units (``unit_scope``), the objectives, the KPIs; and the cascade's few (its module says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef

from governance.models import OrgUnit, OrgUnitClosure, User
from governance.periods import month_shift
from kpis.models import KPI, KPIOwnership, Measurement, StrategicObjective, Target
from kpis.selectors.cascade import Node, objective_cascade
from kpis.selectors.units import UnitScope, unit_scope
from partners.models import Partnership

USED_MONTHS = 12  # a KPI measured in the scope within this many months (the chosen one included) is in use


@dataclass
class Alignment:
    scope: UnitScope
    period: date
    objectives_without_kpi: list[StrategicObjective]
    kpis_without_target: list[KPI]
    markets_without_objective: list[Node] = field(default_factory=list)  # nodes with the markets missing
    objective_kpis_without_target: list[Node] = field(default_factory=list)  # nodes with the KPIs missing

    @property
    def gap_count(self) -> int:
        return (len(self.objectives_without_kpi) + len(self.kpis_without_target)
                + sum(len(n.markets_without_objective) for n in self.markets_without_objective)
                + sum(len(n.kpis_without_target) for n in self.objective_kpis_without_target))


def alignment_gaps(user: User, *, unit_code: str | None, period: date) -> Alignment | None:
    """The gaps at the chosen unit (default: the user's top unit) for ``period`` (a month start);
    None when the user sees no unit (partner users see none of this: objectives are internal)."""
    if user.is_partner:
        return None
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    subtree = OrgUnit.objects.filter(ancestor_links__ancestor_id=scope.unit.pk).values("pk")
    below = set(subtree.values_list("pk", flat=True))
    line = set(OrgUnitClosure.objects.filter(descendant_id=scope.unit.pk).values_list("ancestor_id", flat=True))
    working_below = set(Partnership.objects.restrict(user, "view").filter(org_units__in=below)
                        .values_list("pk", flat=True))
    nodes = [n for n in objective_cascade(user, period=period).nodes()
             if (n.objective.org_unit_id is None and n.objective.partnership_id is None)
             or n.objective.org_unit_id in below or n.objective.org_unit_id in line
             or n.objective.partnership_id in working_below]
    objectives = [n.objective for n in nodes if not n.kpis]
    for n in nodes:
        n.markets_without_objective = [m for m in n.markets_without_objective if m.pk in below]

    measured = Measurement.objects.restrict(user, "view").filter(
        kpi=OuterRef("pk"), org_unit__in=subtree,
        period__gt=month_shift(period, -USED_MONTHS), period__lte=period)
    partnerships = Partnership.objects.restrict(user, "view").filter(org_units__in=subtree).values("pk")
    co_owned = KPIOwnership.objects.filter(kpi=OuterRef("pk"), partnership__in=partnerships)
    targeted = Target.objects.restrict(user, "view").filter(kpi=OuterRef("pk"), org_unit__in=subtree, period=period)
    kpis = list(KPI.objects.restrict(user, "view")
                .filter(Exists(measured) | Exists(co_owned)).exclude(Exists(targeted))
                .order_by("category", "code"))
    return Alignment(scope=scope, period=period, objectives_without_kpi=objectives, kpis_without_target=kpis,
                     markets_without_objective=[n for n in nodes if n.markets_without_objective],
                     objective_kpis_without_target=[n for n in nodes if n.kpis_without_target])
