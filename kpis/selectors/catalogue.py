"""The KPI catalogue as pages list it: every visible KPI with its owners (``kpi_catalogue``), the
dashboard's plain rows with function owners (``dashboard_kpis``) and a partnership's KPIs with
their latest cells (``partnership_kpi_cells``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, Subquery

from governance.models import Function, User
from kpis.models import KPI, Category, Grain, KPIOwnership, ScorecardCell
from kpis.selectors.units import level_rank
from partners.models import Partnership


def kpi_catalogue(user: User):
    """KPIs the user may see with their owners (two queries)."""
    return list(KPI.objects.restrict(user, "view").prefetch_related(
        Prefetch("ownerships", queryset=KPIOwnership.objects.restrict(user, "view")
                 .select_related("function", "partnership").order_by("pk"))
    ))


@dataclass(slots=True, eq=False)
class KPIRow:
    """A KPI definition as the dashboard shows it (plain object: the page lists every KPI)."""

    pk: int
    code: str
    name: str
    unit: str
    direction: str
    aggregation: str
    category: str
    kind: str
    is_shared: bool  # two or more co-owners

    @property
    def id(self) -> int:
        return self.pk

    def get_category_display(self) -> str:
        return Category(self.category).label


def dashboard_kpis(user: User) -> tuple[list[KPIRow], dict[int, list[tuple[Function, Decimal]]]]:
    """The KPIs the user may see (one query), each with ``is_shared`` read as "is there a second
    ownership row" (one index probe per KPI, never the co-owners themselves), and their function
    owners with weights by KPI id (one query over the function ownerships, at most KPIs × functions
    rows; those of KPIs the user may not see are dropped here)."""
    second_owner = KPIOwnership.objects.filter(kpi=OuterRef("pk")).order_by().values("pk")[1:2]  # any order
    fields = ("pk", "code", "name", "unit", "direction", "aggregation", "category", "kind")
    kpis = [KPIRow(pk=row.pk, code=row.code, name=row.name, unit=row.unit, direction=row.direction,
                   aggregation=row.aggregation, category=row.category, kind=row.kind,
                   is_shared=row.second_owner is not None)
            for row in KPI.objects.restrict(user, "view").annotate(second_owner=Subquery(second_owner))
            .values_list(*fields, "second_owner", named=True)]
    # Function ownerships of every KPI, kept for the visible ones here: the catalogue is small, and
    # the visible KPIs are the rows just read (not the scope's subquery built and compiled again).
    visible = {k.pk for k in kpis}
    functions: dict[int, Function] = {}
    owners: dict[int, list[tuple[Function, Decimal]]] = defaultdict(list)
    for kpi_id, weight, fid, code, name in (
            KPIOwnership.objects.filter(function__isnull=False).order_by("pk")
            .values_list("kpi_id", "weight", "function_id", "function__code", "function__name")):
        if kpi_id in visible:
            function = functions.get(fid) or functions.setdefault(fid, Function(pk=fid, code=code, name=name))
            owners[kpi_id].append((function, weight))
    return kpis, owners


def partnership_kpi_cells(user: User, partnership: Partnership) -> list[tuple[KPI, ScorecardCell | None]]:
    """A partnership's co-owned KPIs with the latest month cell of that partnership, taken at the
    highest org unit the user can see (two queries: PostgreSQL's ``DISTINCT ON`` keeps one cell per
    KPI — the latest month, then the highest level, then the unit's code)."""
    kpis = list(KPI.objects.restrict(user, "view").filter(ownerships__partnership=partnership).distinct())
    cells = (ScorecardCell.objects.restrict(user, "view")
             .filter(partnership_key=partnership.pk, grain=Grain.MONTH, kpi__in=[k.pk for k in kpis],
                     reporting__gt=0)
             .annotate(level_rank=level_rank("org_unit__level")).select_related("org_unit")
             .order_by("kpi_id", "-period", "level_rank", "org_unit__code").distinct("kpi_id"))
    best = {c.kpi_id: c for c in cells}
    return [(k, best.get(k.pk)) for k in kpis]
