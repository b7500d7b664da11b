"""Reads for the KPI pages, a module per screen. Each page runs a fixed number of queries whatever
the data size: the org units a user sees, the KPI catalogue, and a handful of indexed reads of
scorecard cells. The dashboard never reads rows that grow with partnerships or measurements:
partnerships are named only where they work in the chosen unit and the user may see them, capped,
with the rest counted in SQL (``partners_at``).

* ``units``     — the chosen unit, its trail and children; the unit search;
* ``windows``   — the stored cell of a period window, its label, the month a page opens on;
* ``catalogue`` — the KPI catalogue, the dashboard's KPI rows, a partnership's KPIs;
* ``heatmap``   — the dashboard's heat-map (unit and children) and the YTD fallback;
* ``partners``  — the dashboard's partner chips and scorecards (one raw statement, read by name);
* ``trend``     — the KPI page's 24 months and the tiles' sparkline months;
* ``overview``  — the leaders' dashboard, assembling the above;
* ``alignment`` — objectives with no KPI and used KPIs with no target, for a unit and month.

Callers import from ``kpis.selectors``; the names below are its public surface.
"""

from kpis.selectors.alignment import USED_MONTHS, Alignment, alignment_gaps
from kpis.selectors.catalogue import KPIRow, dashboard_kpis, kpi_catalogue, partnership_kpi_cells
from kpis.selectors.heatmap import CELL_FIELDS, Cell, HeatMap, HeatRow, heat_map, ytd_fallback
from kpis.selectors.overview import (
    PARTNER_CARDS,
    PARTNER_RANK_MAX,
    TILE_PARTNERS,
    TILES,
    Dashboard,
    Tile,
    dashboard,
    dashboard_objectives,
)
from kpis.selectors.partners import PartnerChip, PartnerPanel, partners_at, relevant_partnerships
from kpis.selectors.trend import KPIDetail, kpi_detail, tile_trend
from kpis.selectors.units import LEVEL_ORDER, Unit, UnitMatch, UnitScope, unit_scope, unit_search
from kpis.selectors.windows import LOOK_BACK, DefaultPeriod, cell_period, default_period, window_label

__all__ = [
    "CELL_FIELDS", "LEVEL_ORDER", "LOOK_BACK", "PARTNER_CARDS", "PARTNER_RANK_MAX", "TILES", "TILE_PARTNERS",
    "USED_MONTHS", "Alignment", "Cell", "Dashboard", "DefaultPeriod", "HeatMap", "HeatRow", "KPIDetail", "KPIRow",
    "PartnerChip", "PartnerPanel", "Tile", "Unit", "UnitMatch", "UnitScope", "alignment_gaps", "cell_period",
    "dashboard", "dashboard_kpis", "dashboard_objectives", "default_period", "heat_map", "kpi_catalogue",
    "kpi_detail", "partners_at", "partnership_kpi_cells", "relevant_partnerships", "tile_trend", "unit_scope",
    "unit_search", "window_label", "ytd_fallback",
]
