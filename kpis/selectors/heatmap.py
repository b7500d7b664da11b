"""The dashboard's heat-map: a row per KPI with the cell of the chosen unit and of each child
(``heat_map``), and the year-to-date fallback to an earlier month where a unit has not reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from governance.periods import month_shift
from kpis.models import Grain
from kpis.selectors.catalogue import KPIRow
from kpis.selectors.units import Unit

Cell = Any  # a ScorecardCell, or a row of its CELL_FIELDS (named tuple) where a page reads many

CELL_FIELDS = ("kpi_id", "org_unit_id", "actual", "target", "attainment", "rag", "green_at", "red_at", "reporting",
               "expected")


@dataclass
class HeatRow:
    kpi: KPIRow
    cell: Cell | None
    children: list[Cell | None]
    as_of: dict[int, date] = field(default_factory=dict)  # YTD fallback: org unit id → the earlier month shown
    # Month view: org unit id → (the actual a month before, the actual a year before); ``heat_changes``.
    before: dict[int, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class HeatMap:
    rows: list[HeatRow]  # KPIs with a cell at the unit or a child (all KPIs when none has one)
    cells: dict[tuple[int, int], Cell]  # (KPI id, unit id) -> cell, for the unit and its children
    has_fallback: bool  # a YTD figure is up to an earlier month


def heat_map(visible_cells, kpis: list[KPIRow], *, unit: Unit, children: list[Unit], grain: str,
             period: date) -> HeatMap:
    """The cells of ``unit`` and ``children`` at the stored ``period`` of ``grain`` (one query;
    in the month view it also reads the prior month and the same month last year for the cells'
    changes; a second for the YTD fallback), as a row per KPI."""
    ids = [unit.pk] + [c.pk for c in children]
    at_units = visible_cells.filter(org_unit_id__in=ids, grain=grain, partnership_key=0)
    cells: dict[tuple[int, int], Cell] = {}
    before: dict[tuple[int, int], tuple[Any, Any]] = {}
    if grain == Grain.MONTH:
        # One read for the month and the two it is compared with (``HeatRow.before``: their actuals).
        prior, year_ago = months_before(period)
        earlier: dict[tuple[int, int], list[Any]] = {}
        for c in at_units.filter(period__in=[period, prior, year_ago]).values_list(*CELL_FIELDS, "period",
                                                                                  named=True):
            if c.period == period:
                cells[(c.kpi_id, c.org_unit_id)] = c
            elif c.actual is not None:
                earlier.setdefault((c.kpi_id, c.org_unit_id), [None, None])[0 if c.period == prior else 1] = c.actual
        before = {key: (pair[0], pair[1]) for key, pair in earlier.items()}
    else:
        cells = {(c.kpi_id, c.org_unit_id): c for c in at_units.filter(period=period).values_list(*CELL_FIELDS,
                                                                                                  named=True)}
    as_of = ytd_fallback(visible_cells, cells, ids=ids, kpi_ids=[k.pk for k in kpis], period=period) \
        if grain == Grain.YTD and period.month > 1 else {}
    # Grouped by KPI once (not a pass over every unit's entries for each KPI: KPIs × cells).
    as_of_by_kpi: dict[int, dict[int, date]] = {}
    for (kid, u), m in as_of.items():
        as_of_by_kpi.setdefault(kid, {})[u] = m
    before_by_kpi: dict[int, dict[int, tuple[Any, Any]]] = {}
    for (kid, u), b in before.items():
        before_by_kpi.setdefault(kid, {})[u] = b
    rows = [HeatRow(kpi=k, cell=cells.get((k.pk, unit.pk)),
                    children=[cells.get((k.pk, c.pk)) for c in children],
                    as_of=as_of_by_kpi.get(k.pk, {}), before=before_by_kpi.get(k.pk, {})) for k in kpis]
    rows = [r for r in rows if r.cell is not None or any(r.children)] or rows
    return HeatMap(rows=rows, cells=cells, has_fallback=bool(as_of))


def ytd_fallback(visible_cells, cells: dict, *, ids: list[int], kpi_ids: list[int], period: date) -> dict:
    """YTD cells exist only at months where the series has a month cell (``kpis/README.md``): a unit
    that has not reported ``period`` yet has no YTD figure there. Fill such gaps in ``cells`` (in
    place) with the latest earlier YTD cell of the same year; return ``{(kpi id, unit id): its
    month}`` so the page can label them. One query (DISTINCT ON), only when a gap exists."""
    missing = {(k, u) for k in kpi_ids for u in ids if (k, u) not in cells}
    if not missing:
        return {}
    earlier = (visible_cells.filter(org_unit_id__in=ids, grain=Grain.YTD, partnership_key=0,
                                    kpi_id__in={k for k, _u in missing}, period__lt=period,
                                    period__gte=period.replace(month=1))
               .order_by("kpi_id", "org_unit_id", "-period").distinct("kpi_id", "org_unit_id")
               .values_list(*CELL_FIELDS, "period", named=True))
    found = {}
    for c in earlier:
        key = (c.kpi_id, c.org_unit_id)
        if key in missing:
            cells[key] = c
            found[key] = c.period
    return found


def heat_changes(cell: Cell | None, before: tuple[Any, Any] | None, *, direction: str,
                 months: tuple[date, date]) -> list[dict]:
    """The change of a heat-map cell's actual against the prior month and the same month last year
    (``months``: those two, worked out once per row): ``changes_against`` — the rule the tiles use
    too (``Tile.changes``) — where both figures exist."""
    if cell is None or cell.actual is None or before is None:
        return []
    return changes_against(float(cell.actual), [(months[0], before[0]), (months[1], before[1])],
                           direction=direction)


def months_before(period: date) -> tuple[date, date]:
    """The month before ``period`` and the same month a year before: what its changes compare with."""
    return month_shift(period, -1), month_shift(period, -12)


def change_better(diff: float, direction: str) -> bool | None:
    """Whether a change of ``diff`` (now − then) is for the better by the KPI's direction; None
    when unchanged. The one rule: tiles, heat-map cells (``kpis.presenters.heat_row``) and exports."""
    return None if diff == 0 else (diff < 0) == (direction == "lower")


def changes_against(now: float, earlier: list[tuple[date, Any]], *, direction: str) -> list[dict]:
    """``now`` against each (month, figure) of ``earlier`` with a figure: the one rule for a change
    (kind ``prior`` then ``year``, ``diff``, ``month``, ``better``: ``change_better``)."""
    out = []
    for kind, (month, figure) in zip(("prior", "year"), earlier, strict=True):
        if figure is None:
            continue
        diff = now - float(figure)
        out.append({"kind": kind, "month": month, "diff": diff, "better": change_better(diff, direction)})
    return out
