# ruff: noqa: S608 - the SQL below is assembled from table names, never from input
"""The benchmark refresh: set-based, run by the scorecard rollup inside its transaction and lock.

A partnership's value for a KPI and month is its month cell at the top of the org tree (the rollup
aggregates the partnership's measurements over every unit, by the KPI's own aggregation). The
cohort is every partnership of the same type with such a value. Per cohort: size, the 25th, 50th
and 75th percentiles (``percentile_cont``: interpolated, an aggregate of the cohort). Per
partnership: ``cume_dist`` over the cohort ordered worst → best (by the KPI's direction), i.e. the
share of the cohort it does at least as well as, and its quartile band. Whole months are deleted
and rewritten, so the incremental and the full run give the same rows.
"""

from __future__ import annotations

from datetime import date

from governance.models import OrgUnit
from kpis.models import KPI, ScorecardCell
from partners.benchmarks.models import PeerCohort, PeerPosition
from partners.models import Partnership

C, K, U, P = (ScorecardCell._meta.db_table, KPI._meta.db_table, OrgUnit._meta.db_table,
              Partnership._meta.db_table)
PC, PP = PeerCohort._meta.db_table, PeerPosition._meta.db_table

_VALUES = (
    f"SELECT c.kpi_id, p.type AS ptype, c.period, c.partnership_id, c.actual AS value, "
    f"CASE WHEN k.direction = 'lower' THEN -c.actual ELSE c.actual END AS merit "
    f"FROM {C} c JOIN {U} u ON u.id = c.org_unit_id AND u.parent_id IS NULL "
    f"JOIN {P} p ON p.id = c.partnership_id JOIN {K} k ON k.id = c.kpi_id "
    f"WHERE c.grain = 'month' AND c.partnership_key <> 0 AND c.actual IS NOT NULL"
)


def benchmarks_refresh(cur, *, months: list[date] | None = None, cells: str = C) -> int:
    """Rewrite the cohorts and positions of ``months`` (``None``: every month). Returns the number
    of positions written. ``cur``: the rollup's cursor (same transaction); ``cells``: the table the
    cells are read from (a full rebuild's fresh table, before it is swapped in)."""
    where, params = ("", []) if months is None else (" AND c.period = ANY(%s)", [list(months)])
    if months is not None and not months:
        return 0
    values = _VALUES if cells == C else _VALUES.replace(f"FROM {C} c", f"FROM {cells} c", 1)
    scope = "" if months is None else " WHERE period = ANY(%s)"
    cur.execute(f"DELETE FROM {PP}{scope}", params)
    cur.execute(f"DELETE FROM {PC}{scope}", params)
    cur.execute(
        f"INSERT INTO {PC} (kpi_id, partnership_type, period, cohort_size, median, p25, p75) "
        f"SELECT kpi_id, ptype, period, count(*), "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY value), "
        f"percentile_cont(0.25) WITHIN GROUP (ORDER BY value), "
        f"percentile_cont(0.75) WITHIN GROUP (ORDER BY value) "
        f"FROM ({values}{where}) v GROUP BY kpi_id, ptype, period", params)
    cur.execute(
        f"INSERT INTO {PP} (partnership_id, kpi_id, period, value, percentile, band) "
        f"SELECT partnership_id, kpi_id, period, value, pct, "
        f"CASE WHEN pct > 0.75 THEN 'top' WHEN pct > 0.5 THEN 'second' WHEN pct > 0.25 THEN 'third' "
        f"ELSE 'bottom' END "
        f"FROM (SELECT v.*, cume_dist() OVER (PARTITION BY kpi_id, ptype, period ORDER BY merit) AS pct "
        f"FROM ({values}{where}) v) ranked", params)
    return cur.rowcount
