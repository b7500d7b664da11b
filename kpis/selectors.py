"""Reads for the KPI pages. Each page runs a fixed number of queries whatever the data size:
the org units a user sees, the KPI catalogue, and a handful of indexed reads of scorecard cells."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max, Prefetch

from governance.models import OrgUnit, User
from kpis.models import KPI, Grain, KPIOwnership, ScorecardCell, StrategicObjective
from kpis.services.scorecards import Scorecard, weighted_scorecard
from partners.models import Partnership

TILES = 8  # shared KPIs shown as tiles, the most off-target first
LEVEL_ORDER = {"global": 0, "region": 1, "cluster": 2, "market": 3}


def month_shift(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def cell_period(period: date, grain: str) -> date:
    """The stored period of the cell for ``grain`` that contains ``period``."""
    if grain == Grain.QUARTER:
        return period.replace(month=(period.month - 1) // 3 * 3 + 1)
    return period


def window_label(period: date, grain: str) -> str:
    if grain == Grain.QUARTER:
        return f"Q{(period.month - 1) // 3 + 1} {period.year}"
    if grain == Grain.YTD:
        return f"YTD {period:%b %Y}" if period.month > 1 else f"{period:%b %Y} (YTD)"
    return f"{period:%B %Y}"


def kpi_catalogue(user: User):
    """KPIs the user may see with their owners (two queries)."""
    return list(KPI.objects.visible_to(user).prefetch_related(
        Prefetch("ownerships", queryset=KPIOwnership.objects.select_related("function", "partnership")
                 .order_by("pk"))
    ))


@dataclass
class UnitScope:
    units: list[OrgUnit]
    unit: OrgUnit
    children: list[OrgUnit]
    trail: list[OrgUnit]


def unit_scope(user: User, code: str | None) -> UnitScope | None:
    """The visible org units (one query), the chosen one (default: the user's top unit), its
    children and the visible path down to it."""
    units = list(OrgUnit.objects.visible_to(user).only("id", "code", "name", "level", "parent_id"))
    if not units:
        return None
    by_id = {u.pk: u for u in units}
    kids = defaultdict(list)
    for u in units:
        kids[u.parent_id].append(u)
    roots = [u for u in units if u.parent_id not in by_id]
    ordered: list[OrgUnit] = []

    def walk(u: OrgUnit, depth: int) -> None:
        u.indent = depth
        ordered.append(u)
        for child in sorted(kids[u.pk], key=lambda c: c.name):
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda r: (LEVEL_ORDER[r.level], r.name)):
        walk(root, 0)
    unit = next((u for u in units if u.code == code), None) or ordered[0]
    trail, cursor = [], unit
    while cursor is not None:
        trail.insert(0, cursor)
        cursor = by_id.get(cursor.parent_id)
    return UnitScope(units=ordered, unit=unit, children=sorted(kids[unit.pk], key=lambda c: c.name), trail=trail)


def latest_period(user: User, unit: OrgUnit) -> date | None:
    """The last month with an actual at ``unit`` (one indexed query)."""
    return (ScorecardCell.objects.visible_to(user)
            .filter(org_unit=unit, grain=Grain.MONTH, partnership_key=0, reporting__gt=0)
            .aggregate(p=Max("period"))["p"])


@dataclass
class HeatRow:
    kpi: KPI
    cell: ScorecardCell | None
    children: list[ScorecardCell | None]


@dataclass
class Tile:
    kpi: KPI
    cell: ScorecardCell | None
    points: list[tuple[float | None, float | None]] = field(default_factory=list)

    @property
    def sparkline(self) -> dict | None:
        """SVG polyline points (actual, and target dashed) for a 120×32 box."""
        values = [v for pair in self.points for v in pair if v is not None]
        if len(values) < 2:
            return None
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        step = 120 / max(len(self.points) - 1, 1)

        def line(idx: int) -> str:
            return " ".join(f"{i * step:.1f},{30 - (p[idx] - lo) / span * 28:.1f}"
                            for i, p in enumerate(self.points) if p[idx] is not None)

        return {"actual": line(0), "target": line(1)}


@dataclass
class Dashboard:
    scope: UnitScope
    period: date
    grain: str
    label: str
    rows: list[HeatRow]
    tiles: list[Tile]
    shared_count: int
    function_cards: list[Scorecard]
    partner_cards: list[Scorecard]
    objectives: list[tuple[StrategicObjective, list[HeatRow]]]
    gaps: list[HeatRow]
    counts: dict
    has_data: bool


def dashboard(user: User, *, unit_code: str | None, period: date | None, grain: str) -> Dashboard | None:
    """Everything the leaders' dashboard shows, in ten queries whatever the data size."""
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    unit = scope.unit
    period = period or latest_period(user, unit) or month_shift(date.today().replace(day=1), -1)
    stored = cell_period(period, grain)
    kpis = kpi_catalogue(user)
    visible_cells = ScorecardCell.objects.visible_to(user)
    ids = [unit.pk] + [c.pk for c in scope.children]
    cells = {(c.kpi_id, c.org_unit_id): c for c in visible_cells.filter(
        org_unit_id__in=ids, grain=grain, period=stored, partnership_key=0)}
    rows = [HeatRow(kpi=k, cell=cells.get((k.pk, unit.pk)),
                    children=[cells.get((k.pk, c.pk)) for c in scope.children]) for k in kpis]
    rows = [r for r in rows if r.cell is not None or any(r.children)] or rows
    by_kpi = {r.kpi.pk: r for r in rows}

    shared = [k for k in kpis if len(k.ownerships.all()) >= 2]
    start = month_shift(period, -11)
    trend = defaultdict(dict)
    for c in visible_cells.filter(org_unit=unit, grain=Grain.MONTH, partnership_key=0, period__gte=start,
                                  period__lte=period, kpi__in=[k.pk for k in shared]).only(
            "kpi_id", "period", "actual", "target"):
        trend[c.kpi_id][c.period] = c
    months = [month_shift(start, i) for i in range(12)]
    tiles = []
    for k in shared:
        pts = []
        for m in months:
            c = trend[k.pk].get(m)
            pts.append((float(c.actual) if c and c.actual is not None else None,
                        float(c.target) if c and c.target is not None else None))
        tiles.append(Tile(kpi=k, cell=cells.get((k.pk, unit.pk)), points=pts))
    rank = {"red": 0, "amber": 1, "green": 2, "none": 3}
    tiles.sort(key=lambda t: (rank[t.cell.rag if t.cell else "none"],
                              t.cell.attainment if t.cell and t.cell.attainment is not None else 0, t.kpi.name))

    owners_f, owners_p = defaultdict(list), defaultdict(list)
    for k in kpis:
        for o in k.ownerships.all():
            (owners_f[o.function] if o.function_id else owners_p[o.partnership_id]).append((o.weight, k.pk))
    function_cards = sorted(
        (weighted_scorecard(f, [(w, cells.get((kid, unit.pk))) for w, kid in items]) for f, items in owners_f.items()),
        key=lambda card: card.owner.name)

    p_cells = defaultdict(dict)
    for c in visible_cells.filter(org_unit=unit, grain=grain, period=stored, partnership_key__gt=0):
        p_cells[c.partnership_key][c.kpi_id] = c
    partnerships = Partnership.objects.visible_to(user).filter(pk__in=list(p_cells)).select_related("partner")
    partner_cards = []
    for p in partnerships:
        owned = owners_p.get(p.pk) or [(1, kid) for kid in p_cells[p.pk]]
        partner_cards.append(weighted_scorecard(p, [(w, p_cells[p.pk].get(kid)) for w, kid in owned]))
    partner_cards.sort(key=lambda card: (card.score is None, -(card.score or 0)))

    objectives = [
        (o, [by_kpi.get(k.pk) or HeatRow(kpi=k, cell=None, children=[]) for k in o.kpis.all()])
        for o in StrategicObjective.objects.visible_to(user).prefetch_related("kpis")
    ]
    gaps = sorted((r for r in rows if r.cell is not None and r.cell.expected and r.cell.reporting < r.cell.expected),
                  key=lambda r: r.cell.reporting / r.cell.expected)
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for r in rows:
        counts[r.cell.rag if r.cell else "none"] += 1
    return Dashboard(scope=scope, period=period, grain=grain, label=window_label(period, grain), rows=rows,
                     tiles=tiles[:TILES], shared_count=len(shared), function_cards=function_cards,
                     partner_cards=partner_cards, objectives=objectives, gaps=gaps, counts=counts, has_data=bool(cells))


@dataclass
class KPIDetail:
    kpi: KPI
    scope: UnitScope
    period: date
    months: list[date]
    series: list[ScorecardCell | None]
    children: list[tuple[OrgUnit, ScorecardCell | None]]
    partners: list[tuple[Partnership, ScorecardCell]]


def kpi_detail(user: User, *, kpi: KPI, unit_code: str | None, period: date | None) -> KPIDetail | None:
    """A KPI's 24-month trend at a unit (actual vs target) and its children at ``period``."""
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    unit = scope.unit
    period = period or latest_period(user, unit) or month_shift(date.today().replace(day=1), -1)
    start = month_shift(period, -23)
    months = [month_shift(start, i) for i in range(24)]
    visible = ScorecardCell.objects.visible_to(user).filter(kpi=kpi, grain=Grain.MONTH)
    series = {c.period: c for c in visible.filter(org_unit=unit, partnership_key=0, period__gte=start,
                                                  period__lte=period)}
    kids = {c.org_unit_id: c for c in visible.filter(org_unit__in=[c.pk for c in scope.children],
                                                     partnership_key=0, period=period)}
    p_cells = {c.partnership_key: c for c in visible.filter(org_unit=unit, partnership_key__gt=0, period=period)}
    partners = [(p, p_cells[p.pk]) for p in Partnership.objects.visible_to(user).filter(pk__in=list(p_cells))]
    return KPIDetail(kpi=kpi, scope=scope, period=period, months=months, series=[series.get(m) for m in months],
                     children=[(c, kids.get(c.pk)) for c in scope.children], partners=partners)


def partnership_kpi_cells(user: User, partnership: Partnership) -> list[tuple[KPI, ScorecardCell | None]]:
    """A partnership's co-owned KPIs with the latest month cell of that partnership, taken at the
    highest org unit the user can see (three queries)."""
    kpis = list(KPI.objects.visible_to(user).filter(ownerships__partnership=partnership).distinct())
    cells = (ScorecardCell.objects.visible_to(user)
             .filter(partnership_key=partnership.pk, grain=Grain.MONTH, kpi__in=[k.pk for k in kpis],
                     reporting__gt=0)
             .select_related("org_unit").order_by("kpi_id", "-period"))
    best: dict[int, ScorecardCell] = {}
    for c in cells[:2000]:
        current = best.get(c.kpi_id)
        if current is None or (c.period == current.period
                               and LEVEL_ORDER[c.org_unit.level] < LEVEL_ORDER[current.org_unit.level]):
            best[c.kpi_id] = c
    return [(k, best.get(k.pk)) for k in kpis]
