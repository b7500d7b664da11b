"""The leaders' dashboard (``dashboard``): the heat-map, the shared-KPI tiles with their trend
and partner chips, the function and partner scorecards, the objectives and the coverage gaps of one
unit and period, in a fixed number of queries whatever the data size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from governance.models import Function, User
from kpis.models import Grain, ScorecardCell, StrategicObjective
from kpis.selectors.catalogue import KPIRow, dashboard_kpis
from kpis.selectors.heatmap import Cell, HeatRow, changes_against, heat_map
from kpis.selectors.partners import PartnerChip, PartnerPanel, partners_at
from kpis.selectors.trend import tile_trend
from kpis.selectors.units import UnitScope, unit_scope
from kpis.selectors.windows import cell_period, default_period, window_label
from kpis.services.scorecards import Scorecard, weighted_scorecard

TILES = 8  # shared KPIs shown as tiles, the most off-target first
TILE_PARTNERS = 3  # partnership chips per tile; the rest is a "+N more" count
PARTNER_CARDS = 8  # partner scorecards at a unit, the weakest first; the rest is a count
# Partnerships working in a unit above which the dashboard does not rank them (that would read every
# one's cells): the partner panel shows their count and tile chips the newest co-owners, not the worst.
PARTNER_RANK_MAX = 100


@dataclass
class Tile:
    kpi: KPIRow
    cell: Cell | None
    points: list[tuple[float | None, float | None]] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    partners: list[PartnerChip] = field(default_factory=list)
    more_partners: int = 0  # relevant co-owning partnerships beyond ``partners``
    # Month view only: the unit's actual a month and a year before the chosen month (from the trend).
    prior: tuple[date, float | None] | None = None
    year_ago: tuple[date, float | None] | None = None

    @property
    def changes(self) -> list[dict]:
        """The change of the actual against the prior month and the same month last year: ``diff``
        (signed, stored units), ``month`` compared with and ``better`` (by the KPI's direction;
        None when unchanged). Only where both figures exist."""
        if self.cell is None or self.cell.actual is None or self.prior is None or self.year_ago is None:
            return []
        return changes_against(float(self.cell.actual), [self.prior, self.year_ago], direction=self.kpi.direction)

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
    partners: PartnerPanel
    objectives: list[tuple[StrategicObjective, list[HeatRow]]]
    gaps: list[HeatRow]
    counts: dict
    has_data: bool
    period_reason: str = ""  # why this month, when the page chose it
    has_fallback: bool = False  # a YTD figure is up to an earlier month

    @property
    def partner_cards(self) -> list[Scorecard]:
        return self.partners.cards


def dashboard_objectives(user: User, kpis: dict[int, KPIRow]) -> list[tuple[StrategicObjective, list[KPIRow]]]:
    """The top-level objectives the user may see (the cascade's roots) with their KPIs, in one query (a row per
    objective × KPI; an objective without KPIs comes once, with none). ``kpis``: the visible KPIs in the
    catalogue's order (category, code), which is the order each objective's KPIs are listed in (sorted
    here: ordering in SQL joined the KPI table for it)."""
    position = {pk: i for i, pk in enumerate(kpis)}
    out: dict[int, tuple[StrategicObjective, list[KPIRow]]] = {}
    for pk, code, title, description, kpi_id in (
            StrategicObjective.objects.restrict(user, "view").filter(parent__isnull=True)
            .order_by("order", "code").values_list("pk", "code", "title", "description", "kpis")):
        objective, linked = out.get(pk) or out.setdefault(
            pk, (StrategicObjective(pk=pk, code=code, title=title, description=description), []))
        if kpi_id in kpis:
            linked.append(kpis[kpi_id])
    for _objective, linked in out.values():
        linked.sort(key=lambda k: position[k.pk])
    return list(out.values())


def dashboard(user: User, *, unit_code: str | None, period: date | None, grain: str) -> Dashboard | None:
    """Everything the leaders' dashboard shows, in eight queries whatever the data size (seven when
    ``period`` is given; one more in the YTD view when a unit has not reported the month: the
    fallback), each reading a bounded number of rows: the visible org units, the KPI catalogue and
    its function owners, cells of the unit and its children (KPIs × children; in the month view
    with the same read, their actuals a month and a year before), thirteen
    months of the tiles' KPIs, the partnerships (``partners_at``: the tiles' relevant co-owners,
    ``TILE_PARTNERS`` named and the rest counted; the partner panel from at most
    ``PARTNER_RANK_MAX`` partnerships' cells) and the objectives."""
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    unit = scope.unit
    reason = ""
    if period is None:
        chosen = default_period(user, unit)
        period, reason = chosen.period, chosen.reason
    stored = cell_period(period, grain)
    kpis, function_owners = dashboard_kpis(user)
    visible_cells = ScorecardCell.objects.restrict(user, "view")
    heat = heat_map(visible_cells, kpis, unit=unit, children=scope.children, grain=grain, period=stored)
    rows, cells = heat.rows, heat.cells
    by_kpi = {r.kpi.pk: r for r in rows}

    rank = {"red": 0, "amber": 1, "green": 2, "none": 3}
    shared = [k for k in kpis if k.is_shared]
    tiles = sorted((Tile(kpi=k, cell=cells.get((k.pk, unit.pk)), functions=[f for f, _ in function_owners[k.pk]])
                    for k in shared),
                   key=lambda t: (rank[t.cell.rag if t.cell else "none"],
                                  t.cell.attainment if t.cell and t.cell.attainment is not None else 0, t.kpi.name))
    tiles = tiles[:TILES]
    months, trend = tile_trend(visible_cells, unit=unit, kpi_ids=[t.kpi.pk for t in tiles], period=period)
    chips, partners = partners_at(user, unit, grain=grain, period=stored, tile_kpi_ids=[t.kpi.pk for t in tiles],
                                  chips=TILE_PARTNERS, cards=PARTNER_CARDS, rank_max=PARTNER_RANK_MAX)
    for t in tiles:
        t.points = [trend[t.kpi.pk].get(m, (None, None)) for m in months[1:]]
        if grain == Grain.MONTH:
            t.prior = (months[-2], trend[t.kpi.pk].get(months[-2], (None, None))[0])
            t.year_ago = (months[0], trend[t.kpi.pk].get(months[0], (None, None))[0])
        t.partners, total = chips.get(t.kpi.pk, ([], 0))
        t.more_partners = total - len(t.partners)

    owners_f = defaultdict(list)
    for k in kpis:
        for function, weight in function_owners[k.pk]:
            owners_f[function].append((weight, k.pk))
    function_cards = sorted(
        (weighted_scorecard(f, [(w, cells.get((kid, unit.pk))) for w, kid in items]) for f, items in owners_f.items()),
        key=lambda card: card.owner.name)

    objectives = [(o, [by_kpi.get(k.pk) or HeatRow(kpi=k, cell=None, children=[]) for k in linked])
                  for o, linked in dashboard_objectives(user, {k.pk: k for k in kpis})]
    gaps = sorted((r for r in rows if r.cell is not None and r.cell.expected and r.cell.reporting < r.cell.expected),
                  key=lambda r: r.cell.reporting / r.cell.expected)
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for r in rows:
        counts[r.cell.rag if r.cell else "none"] += 1
    return Dashboard(scope=scope, period=period, grain=grain, label=window_label(period, grain), rows=rows,
                     tiles=tiles, shared_count=len(shared), function_cards=function_cards, partners=partners,
                     objectives=objectives, gaps=gaps, counts=counts, has_data=bool(cells), period_reason=reason,
                     has_fallback=heat.has_fallback)
