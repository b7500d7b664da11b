"""The objectives cascade as a tree (objective → children → KPIs) and its gaps, for a month.

Built from the objectives the user may view (``restrict``): an objective whose parent the user
cannot see starts a tree of its own, so nothing above one's line leaks and nothing visible is lost.
Per objective the gaps are:

* no KPI measures it;
* (regions and clusters) markets below its org unit, visible to the user, where no objective of its
  subtree sits — neither at the market nor for a partnership working there;
* KPIs of the objective with no target, visible to the user, for the month at its org unit or below
  (a partnership objective: for that partnership; a global objective without a unit: anywhere).

Queries: the objectives with their KPIs (2), the changeable ones (1), the units' market subtrees
(1), visible markets (1), partnership units (1), the month's targets of their KPIs and the lines of
the targets' units (2) — whatever the number of objectives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from governance.models import OrgLevel, OrgUnit, OrgUnitClosure, User
from governance.querysets import VIEW
from kpis.models import KPI, StrategicObjective, Target
from partners.models import Partnership

EXPECTS_MARKETS = (OrgLevel.REGION, OrgLevel.CLUSTER)  # objectives at these levels expect market objectives


@dataclass(eq=False)
class Node:
    objective: StrategicObjective
    kpis: list[KPI]
    children: list[Node] = field(default_factory=list)
    kpis_without_target: list[KPI] = field(default_factory=list)
    markets_without_objective: list[OrgUnit] = field(default_factory=list)
    changeable: bool = False

    @property
    def gap_count(self) -> int:
        return (0 if self.kpis else 1) + len(self.kpis_without_target) + (1 if self.markets_without_objective else 0)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Cascade:
    period: date
    roots: list[Node]

    def nodes(self) -> list[Node]:
        return [n for r in self.roots for n in r.walk()]


def objective_cascade(user: User, *, period: date) -> Cascade:
    """Every objective the user may view, as trees, with the gaps of each for ``period``."""
    if user.is_partner:
        return Cascade(period=period, roots=[])
    objectives = list(
        StrategicObjective.objects.restrict(user, VIEW).select_related("org_unit", "partnership")
        .prefetch_related(Prefetch("kpis", queryset=KPI.objects.restrict(user, VIEW).order_by("category", "code")))
        .order_by("order", "code"))
    changeable = set(StrategicObjective.objects.restrict(user, "change")
                     .filter(pk__in=[o.pk for o in objectives]).values_list("pk", flat=True))
    nodes = {o.pk: Node(objective=o, kpis=list(o.kpis.all()), changeable=o.pk in changeable) for o in objectives}
    roots = []
    for o in objectives:
        parent = nodes.get(o.parent_id) if o.parent_id else None
        (parent.children if parent else roots).append(nodes[o.pk])
    _market_gaps(user, list(nodes.values()))
    _target_gaps(user, list(nodes.values()), period)
    return Cascade(period=period, roots=roots)


def _market_gaps(user: User, nodes: list[Node]) -> None:
    expecting = [n for n in nodes if n.objective.org_unit_id and n.objective.org_unit.level in EXPECTS_MARKETS]
    if not expecting:
        return
    tops = {n.objective.org_unit_id for n in expecting}
    markets = {u.pk: u for u in OrgUnit.objects.restrict(user, VIEW).filter(level=OrgLevel.MARKET)
               .filter(ancestor_links__ancestor_id__in=tops).distinct().order_by("name")}
    below: dict[int, set[int]] = {}
    for anc, desc in OrgUnitClosure.objects.filter(ancestor_id__in=tops, descendant_id__in=list(markets)) \
            .values_list("ancestor_id", "descendant_id"):
        below.setdefault(anc, set()).add(desc)
    partnership_ids = {d.objective.partnership_id for n in expecting for d in n.walk() if d.objective.partnership_id}
    partnership_units: dict[int, set[int]] = {}
    for pid, uid in Partnership.org_units.through.objects.filter(partnership_id__in=partnership_ids) \
            .values_list("partnership_id", "orgunit_id"):
        partnership_units.setdefault(pid, set()).add(uid)
    for n in expecting:
        covered: set[int] = set()
        for d in n.walk():
            if d is n:
                continue
            if d.objective.org_unit_id:
                covered.add(d.objective.org_unit_id)
            elif d.objective.partnership_id:
                covered |= partnership_units.get(d.objective.partnership_id, set())
        n.markets_without_objective = [markets[m] for m in sorted(below.get(n.objective.org_unit_id, set()) - covered,
                                                                  key=lambda m: markets[m].name)]


def _target_gaps(user: User, nodes: list[Node], period: date) -> None:
    """Two queries for every objective at once: the month's visible targets of their KPIs, and the
    line (ancestors, the unit itself included) of each unit those targets sit at."""
    measured = [n for n in nodes if n.kpis]
    if not measured:
        return
    targets = set(Target.objects.restrict(user, VIEW)
                  .filter(period=period, kpi_id__in={k.pk for n in measured for k in n.kpis})
                  .values_list("kpi_id", "org_unit_id", "partnership_id"))
    line: dict[int, set[int]] = {}
    for ancestor, unit in OrgUnitClosure.objects.filter(descendant_id__in={u for _, u, _ in targets}) \
            .values_list("ancestor_id", "descendant_id"):
        line.setdefault(unit, set()).add(ancestor)
    for n in measured:
        o = n.objective
        if o.partnership_id:
            have = {kpi for kpi, _, p in targets if p == o.partnership_id}
        elif o.org_unit_id:
            have = {kpi for kpi, unit, _ in targets if o.org_unit_id in line.get(unit, ())}
        else:  # a global objective without a unit: a target anywhere in view
            have = {kpi for kpi, _, _ in targets}
        n.kpis_without_target = [k for k in n.kpis if k.pk not in have]
