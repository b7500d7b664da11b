# ruff: noqa: S608 - the SQL below is assembled from table names and fixed fragments, never from input
"""The scorecard rollup: measurements and targets → ``ScorecardCell`` rows, set-based.

Definitions (docs: ``kpis/README.md``)
-------------------------------------
* A month cell at org unit U for partnership p (0 = all partnerships) aggregates every measurement
  in U's subtree (for p ≠ 0 only that partnership's). Each measurement contributes a pair
  (n, d): (numerator, denominator) for ratio KPIs, (value, 1) otherwise. A cell keeps Σn and Σd:
  ``sum`` and ``latest`` KPIs show Σn, ``average`` Σn/Σd (the mean of the underlying
  measurements, each market-month counting once), ``ratio`` Σn/Σd (never a mean of ratios).
* Quarter cells (period = quarter start) and year-to-date cells (period = the closing month,
  covering January to it) aggregate the unit's month cells the same way, except ``latest``:
  the actual of the last month in the window that has one. A YTD cell exists only for a month
  where the series has a month cell (an actual or a target); a month with neither has no YTD cell
  (it would only repeat the one before).
* Targets: a target set at U wins; otherwise U's target is derived from its children's
  (Σ for sum/latest KPIs, mean for average/ratio). Over a quarter/YTD: Σ of the monthly targets
  for sum KPIs, their mean for average/ratio, the last month's target for latest.
* Attainment = actual/target (higher is better) or target/actual (lower is better); none when
  either is missing or the divisor is 0. RAG: green ≥ green_at, red < red_at, amber between.
* Coverage: leaf units (markets) in the subtree that reported / leaf units expected to — those
  with an actual or a target for the cell (a market: 1/1 when it reported, 0/1 when it has a target
  but no actual yet). Partnership cells count only that partnership's markets. Quarter and YTD
  cells show the coverage of their last month with an actual.

Shape: each org level is computed from the level below (children's cells) plus any measurements
and targets placed directly at that level — market → cluster → region → global — then quarter
and YTD cells from month cells via the ``RollupWindow`` calendar.
The incremental run restricts every statement to the keys in ``RollupScope`` (dirty leaf keys
expanded to their ancestors and windows); ``full`` runs the same month statements unrestricted into
a fresh table (``rollup_swap``: indexed after the load, then swapped in for the cell table under its
names) and computes the YTD cells as running aggregates over each series' year rather than through
the calendar — the same sums, means and maxima, so both give identical rows (the tests compare them
with each other and with a Python reference). Both run under one PostgreSQL advisory lock, so two
runs at once queue up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction

from governance.models import OrgUnit, OrgUnitClosure
from governance.periods import FIRST_YEAR, LAST_YEAR, quarter_start
from kpis.benchmarks.compute import benchmarks_refresh
from kpis.models import KPI, DirtyCell, Grain, Measurement, RollupScope, RollupWindow, ScorecardCell, Target
from kpis.services import rollup_swap
from kpis.services.data_version import cells_changed
from partners.models import Partnership

LEVELS = ("market", "cluster", "region", "global")  # bottom-up
ROLLUP_LOCK_KEY = 7_204_001
# Memory per sort/hash of the full rebuild (PostgreSQL, this transaction only): the quarter/YTD
# step sorts every month cell by series (the YTD running aggregates) and groups them by quarter;
# with the 4MB default those sorts go to disk, with this they stay in memory at 1M measurements
# (docs/benchmarks.md#figures-behind-code-comments).
FULL_ROLLUP_WORK_MEM = "256MB"
# The full rebuild's index builds after the load (one sort per index).
FULL_ROLLUP_MAINTENANCE_WORK_MEM = "256MB"

M = Measurement._meta.db_table
C = ScorecardCell._meta.db_table
T = Target._meta.db_table
K = KPI._meta.db_table
U = OrgUnit._meta.db_table
S = RollupScope._meta.db_table
W = RollupWindow._meta.db_table
D = DirtyCell._meta.db_table
CL = OrgUnitClosure._meta.db_table

CELL_COLUMNS = ("kpi_id, org_unit_id, partnership_id, partnership_key, grain, period, actual, numerator, denominator, "
                "target, green_at, red_at, attainment, rag, reporting, expected")


@dataclass
class RollupResult:
    mode: str
    dirty_keys: int
    cells_written: int
    seconds: float


def _div(a: str, b: str) -> str:
    return f"({a}) / NULLIF({b}, 0)"


NUL = "CAST(NULL AS NUMERIC)"


def _scope(unit: str, kpi: str, pkey: str, period: str, *, scoped: bool, grain: str = "'month'") -> str:
    if not scoped:
        return ""
    return (f" JOIN {S} s ON s.org_unit_id = {unit} AND s.grain = {grain} AND s.period = {period}"
            f" AND s.kpi_id = {kpi} AND s.partnership_key = {pkey}")


def _finish(inner: str, table: str = C) -> str:
    """Wrap a query yielding the cell columns (without attainment/rag) into the INSERT, rows in the
    order of the cells' unique key: each lands next to the one before in the index instead of on a
    random page of it (the index outgrows the buffer cache at millions of cells), and a full
    rebuild's fresh table is laid out in the dashboard's reading order."""
    return (
        f"INSERT INTO {table} ({CELL_COLUMNS}) "
        f"SELECT b.kpi_id, b.org_unit_id, NULLIF(b.pkey, 0), b.pkey, b.grain, b.period, b.actual, b.numerator, "
        f"b.denominator, b.target, b.green_at, b.red_at, b.att, "
        f"CASE WHEN b.att IS NULL THEN 'none' WHEN b.att >= b.green_at THEN 'green' "
        f"WHEN b.att < b.red_at THEN 'red' ELSE 'amber' END, b.reporting, b.expected "
        f"FROM (SELECT a.*, CASE WHEN a.direction = 'lower' THEN {_div('a.target', 'a.actual')} "
        f"ELSE {_div('a.actual', 'a.target')} END AS att FROM ({inner}) a) b "
        f"ORDER BY b.org_unit_id, b.grain, b.pkey, b.period, b.kpi_id"
    )


BRANCH_COLUMNS = ("kpi_id", "unit_id", "pkey", "period", "n", "d", "rep", "exp", "direct", "t_exp", "t_child",
                  "g_exp", "r_exp", "g_child", "r_child")


def _branch(exprs: tuple[str, ...], from_where: str) -> str:
    cols = ", ".join(f"{e} AS {a}" for e, a in zip(exprs, BRANCH_COLUMNS, strict=True))
    return f"SELECT {cols} {from_where}"


def level_sql(level: str, *, scoped: bool, direct_measurements: bool, table: str = C) -> str:
    """Month cells of one org level: direct measurements + targets at that level + children's cells
    (read from and written to ``table``: the cell table, or a full rebuild's fresh one)."""
    assert level in LEVELS
    lv = f"'{level}'"
    n = "CASE WHEN k.aggregation = 'ratio' THEN m.numerator ELSE m.value END"
    d = "CASE WHEN k.aggregation = 'ratio' THEN m.denominator ELSE 1 END"
    g_child = "CASE WHEN c.target IS NULL THEN NULL ELSE c.green_at END"
    r_child = "CASE WHEN c.target IS NULL THEN NULL ELSE c.red_at END"
    m_from = f"FROM {M} m JOIN {U} u ON u.id = m.org_unit_id JOIN {K} k ON k.id = m.kpi_id"
    parts = []
    if direct_measurements:
        parts.append(_branch(
            ("m.kpi_id", "m.org_unit_id", "m.partnership_key", "m.period", n, d, "0", "0", "1",
             NUL, NUL, NUL, NUL, NUL, NUL),
            f"{m_from}{_scope('m.org_unit_id', 'm.kpi_id', 'm.partnership_key', 'm.period', scoped=scoped)} "
            f"WHERE u.level = {lv}"))
        parts.append(_branch(
            ("m.kpi_id", "m.org_unit_id", "0", "m.period", n, d, "0", "0", "1", NUL, NUL, NUL, NUL, NUL, NUL),
            f"{m_from}{_scope('m.org_unit_id', 'm.kpi_id', '0', 'm.period', scoped=scoped)} "
            f"WHERE u.level = {lv} AND m.partnership_key <> 0"))
    parts.append(_branch(
        ("t.kpi_id", "t.org_unit_id", "t.partnership_key", "t.period", NUL, NUL, "0", "0", "0", "t.value", NUL,
         "t.green_at", "t.red_at", NUL, NUL),
        f"FROM {T} t JOIN {U} u ON u.id = t.org_unit_id"
        f"{_scope('t.org_unit_id', 't.kpi_id', 't.partnership_key', 't.period', scoped=scoped)} WHERE u.level = {lv}"))
    if level != "market":
        parts.append(_branch(
            ("c.kpi_id", "ch.parent_id", "c.partnership_key", "c.period", "c.numerator", "c.denominator",
             "c.reporting", "c.expected", "0", NUL, "c.target", NUL, NUL, g_child, r_child),
            f"FROM {table} c JOIN {U} ch ON ch.id = c.org_unit_id JOIN {U} p ON p.id = ch.parent_id"
            f"{_scope('ch.parent_id', 'c.kpi_id', 'c.partnership_key', 'c.period', scoped=scoped)} "
            f"WHERE c.grain = 'month' AND p.level = {lv}"))
    union = " UNION ALL ".join(parts)
    grouped = (
        f"SELECT x.kpi_id, x.unit_id, x.pkey, x.period, SUM(x.n) AS n, SUM(x.d) AS d, SUM(x.rep) AS rep, "
        f"SUM(x.exp) AS exp, "
        f"MAX(x.direct) AS direct, MAX(x.t_exp) AS t_exp, SUM(x.t_child) AS t_sum, AVG(x.t_child) AS t_avg, "
        f"MAX(x.g_exp) AS g_exp, MAX(x.r_exp) AS r_exp, AVG(x.g_child) AS g_child, AVG(x.r_child) AS r_child "
        f"FROM ({union}) x GROUP BY x.kpi_id, x.unit_id, x.pkey, x.period"
    )
    inner = (
        f"SELECT g.kpi_id, g.unit_id AS org_unit_id, g.pkey, 'month' AS grain, g.period, "
        f"CASE WHEN k.aggregation IN ('average', 'ratio') THEN {_div('g.n', 'g.d')} ELSE g.n END AS actual, "
        f"g.n AS numerator, g.d AS denominator, "
        f"COALESCE(g.t_exp, CASE WHEN k.aggregation IN ('sum', 'latest') THEN g.t_sum ELSE g.t_avg END) AS target, "
        f"ROUND(COALESCE(g.g_exp, g.g_child, 1), 3) AS green_at, "
        f"ROUND(COALESCE(g.r_exp, g.r_child, 0.9), 3) AS red_at, "
        f"k.direction, "
        f"g.rep + g.direct AS reporting, CASE WHEN cc.n IS NULL THEN 1 ELSE g.exp + g.direct END AS expected "
        f"FROM ({grouped}) g JOIN {K} k ON k.id = g.kpi_id "
        f"LEFT JOIN (SELECT parent_id, COUNT(*) AS n FROM {U} WHERE parent_id IS NOT NULL GROUP BY parent_id) cc "
        f"ON cc.parent_id = g.unit_id"
    )
    return _finish(inner, table)


def _month_number(period: str) -> str:
    """A month as a number that orders like it (PostgreSQL: days since 2000-01-01)."""
    return f"({period} - DATE '2000-01-01')::numeric"


def window_sql(*, scoped: bool, table: str = C) -> str:
    """Quarter and YTD cells from the month cells of the same unit and partnership."""
    # The last month with an actual (and with a target) travels through the aggregate as
    # MAX(ARRAY[month, …]): arrays compare element by element and the month is unique in a
    # window, so the maximum is that month's row. Joining the month cells back on the window's
    # last month instead made PostgreSQL merge-join on the series alone and compare every
    # window with every month of its series (docs/benchmarks.md).
    latest = (f"MAX(ARRAY[{_month_number('c.period')}, c.actual, c.numerator, c.denominator, c.reporting, "
              f"c.expected]) FILTER (WHERE c.numerator IS NOT NULL){{over}} AS la, "
              f"MAX(ARRAY[{_month_number('c.period')}, c.target]) FILTER (WHERE c.target IS NOT NULL){{over}} AS lt")
    figures = (f"SUM(c.numerator){{over}} AS n, SUM(c.denominator){{over}} AS d, SUM(c.target){{over}} AS t_sum, "
               f"AVG(c.target){{over}} AS t_avg, "
               f"AVG(CASE WHEN c.target IS NULL THEN NULL ELSE c.green_at END){{over}} AS g, "
               f"AVG(CASE WHEN c.target IS NULL THEN NULL ELSE c.red_at END){{over}} AS r, "
               f"MAX(c.expected){{over}} AS expected, {latest}")
    pick = {"actual": "w.la[2]", "numerator": "w.la[3]", "denominator": "w.la[4]",
            "reporting": "w.la[5]::integer", "expected": "w.la[6]::integer", "target": "w.lt[2]"}
    if scoped:
        # The month cells the scoped windows need were fetched once into MONTH_CELLS (see
        # ``_fetch_window_months``); here they fan out to their windows with hash joins in memory.
        windows = (
            f"SELECT c.kpi_id, c.org_unit_id, c.partnership_key AS pkey, cal.grain, cal.period, "
            f"{figures.format(over='')} "
            f"FROM {MONTH_CELLS} c JOIN {S} s ON s.kpi_id = c.kpi_id AND s.org_unit_id = c.org_unit_id "
            f"AND s.partnership_key = c.partnership_key AND s.grain IN ('quarter', 'ytd') "
            f"JOIN {W} cal ON cal.grain = s.grain AND cal.period = s.period AND cal.month = c.period "
            f"GROUP BY c.kpi_id, c.org_unit_id, c.partnership_key, cal.grain, cal.period "
            f"HAVING {YTD_ENDS_AT_A_MONTH_CELL.format(month='c.period', grain='cal.grain', period='cal.period')}"
        )
    else:
        # Every month cell at once: a quarter groups its three months; the YTD cells — one per month
        # cell, closing at it — are running aggregates over each series' year in month order (the
        # same sums, means and maxima as the calendar's windows). Fanning every month out to its
        # quarter and up to twelve YTD windows and grouping those instead hashed ~7.5 rows per month
        # cell, spilling to disk (docs/benchmarks.md).
        ytd = ("OVER (PARTITION BY c.kpi_id, c.org_unit_id, c.partnership_key, date_trunc('year', c.period::timestamp) "
               "ORDER BY c.period)")
        windows = (
            f"SELECT c.kpi_id, c.org_unit_id, c.partnership_key AS pkey, cal.grain, cal.period, "
            f"{figures.format(over='')} "
            f"FROM {table} c JOIN {W} cal ON cal.month = c.period AND cal.grain = 'quarter' WHERE c.grain = 'month' "
            f"GROUP BY c.kpi_id, c.org_unit_id, c.partnership_key, cal.grain, cal.period "
            f"UNION ALL "
            f"SELECT c.kpi_id, c.org_unit_id, c.partnership_key, 'ytd', c.period, {figures.format(over=' ' + ytd)} "
            f"FROM {table} c WHERE c.grain = 'month'"
        )
    inner = (
        f"SELECT w.kpi_id, w.org_unit_id, w.pkey, w.grain, w.period, "
        f"CASE k.aggregation WHEN 'latest' THEN {pick['actual']} WHEN 'sum' THEN w.n "
        f"ELSE {_div('w.n', 'w.d')} END AS actual, "
        f"CASE WHEN k.aggregation = 'latest' THEN {pick['numerator']} ELSE w.n END AS numerator, "
        f"CASE WHEN k.aggregation = 'latest' THEN {pick['denominator']} ELSE w.d END AS denominator, "
        f"CASE k.aggregation WHEN 'latest' THEN {pick['target']} WHEN 'sum' THEN w.t_sum ELSE w.t_avg END AS target, "
        f"ROUND(COALESCE(w.g, 1), 3) AS green_at, ROUND(COALESCE(w.r, 0.9), 3) AS red_at, k.direction, "
        f"COALESCE({pick['reporting']}, 0) AS reporting, COALESCE({pick['expected']}, w.expected) AS expected "
        f"FROM ({windows}) w JOIN {K} k ON k.id = w.kpi_id"
    )
    return _finish(inner, table)


# A YTD window is kept only where its closing month has a month cell (an actual or a target): over a
# month with neither it would repeat the window before it. So a new month writes one YTD cell per
# series, not one for every month to December (docs/benchmarks.md).
YTD_ENDS_AT_A_MONTH_CELL = "{grain} = 'quarter' OR MAX({month}) = {period}"

MONTH_CELLS = "rollup_month_cells"  # temporary table of one incremental run
FRESH_CELLS = f"{C}_rebuild"  # a full rebuild's new cell table, renamed to ``C`` when complete


def _fetch_window_months(cur) -> None:
    """Copy every month cell a scoped quarter/YTD window reads into a temporary table, each fetched
    once by its whole unique key (org_unit, grain, partnership, period, kpi). A month feeds its
    quarter and up to twelve YTD windows, so probing per (window, month) pair makes several times the
    probes of the distinct months (docs/benchmarks.md#figures-behind-code-comments); and as one statement the planner,
    estimating one row after the fetch, probed the scope per cell. A real table with statistics
    lets the window statement hash-join in memory (docs/benchmarks.md)."""
    months = (f"(SELECT DISTINCT s.kpi_id, s.org_unit_id, s.partnership_key, cal.month FROM {S} s "
              f"JOIN {W} cal ON cal.grain = s.grain AND cal.period = s.period "
              f"WHERE s.grain IN ('quarter', 'ytd') OFFSET 0) sm")
    match = ("c.org_unit_id = sm.org_unit_id AND c.grain = 'month' AND c.partnership_key = sm.partnership_key "
             "AND c.period = sm.month AND c.kpi_id = sm.kpi_id")
    cur.execute(f"DROP TABLE IF EXISTS {MONTH_CELLS}")
    # One index probe per month (LATERAL … LIMIT 1 cannot be flattened into a join): about twice as
    # fast as the plain join, which the planner sometimes ran as a hash over the cell table
    # (A/B figures: docs/benchmarks.md#figures-behind-code-comments).
    cur.execute(f"CREATE TEMPORARY TABLE {MONTH_CELLS} AS SELECT c.* FROM {months} "
                f"CROSS JOIN LATERAL (SELECT * FROM {C} c WHERE {match} LIMIT 1) c")
    cur.execute(f"ANALYZE {MONTH_CELLS}")


def calendar_rows(model=RollupWindow) -> list:
    """For every month 2000–2100: its quarter and the YTD cells (that month to December) it feeds."""
    rows = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for month in range(1, 13):
            m = date(year, month, 1)
            rows.append(model(grain=Grain.QUARTER, period=quarter_start(m), month=m))
            rows.extend(model(grain=Grain.YTD, period=date(year, end, 1), month=m) for end in range(month, 13))
    return rows


def ensure_calendar() -> None:
    """The migration fills ``RollupWindow``; refill it if someone emptied the table."""
    if RollupWindow.objects.filter(month=date(LAST_YEAR, 12, 1), grain=Grain.YTD).exists():
        return
    RollupWindow.objects.bulk_create(calendar_rows(), batch_size=5000, ignore_conflicts=True)


def _lock(cur) -> None:
    cur.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])


def _levels_with_measurements(cur) -> set[str]:
    """Org levels holding any measurement: one probe of the measurement key (org unit first) per
    unit. Written as a LATERAL … LIMIT 1 so the planner cannot turn it into a hash semi-join over
    every measurement on every incremental run (docs/benchmarks.md#figures-behind-code-comments)."""
    cur.execute(f"SELECT DISTINCT u.level FROM {U} u CROSS JOIN LATERAL "
                f"(SELECT 1 FROM {M} m WHERE m.org_unit_id = u.id LIMIT 1) x")
    return {row[0] for row in cur.fetchall()}


def _recompute(cur, *, scoped: bool, table: str = C) -> int:
    written = 0
    direct = _levels_with_measurements(cur)
    for level in LEVELS:
        cur.execute(level_sql(level, scoped=scoped, direct_measurements=level in direct, table=table))
        written += max(cur.rowcount, 0)
        if not scoped:
            # A full rebuild starts from an empty cell table: without fresh statistics the planner
            # believes it is still empty and reads the level below with nested loops (minutes, not seconds).
            cur.execute(f"ANALYZE {table}")
    if scoped:
        _fetch_window_months(cur)
    cur.execute(window_sql(scoped=scoped, table=table))
    written += max(cur.rowcount, 0)
    if scoped:
        cur.execute(f"DROP TABLE {MONTH_CELLS}")
    return written


def _empty_scope(cur) -> None:
    """Empty the scope table. TRUNCATE (only the run holding the rollup lock uses the table): a
    DELETE after every run left it bloated with dead rows that each statement reading the scope
    scanned again."""
    cur.execute(f"TRUNCATE {S}")


def _claim_dirty(cur) -> int:
    """Move the dirty keys into the scope table. A single DELETE … RETURNING claims exactly the rows
    it removes, so a key marked by a concurrent writer is never lost."""
    _empty_scope(cur)
    cols = "kpi_id, org_unit_id, partnership_key, period"
    cur.execute(
        f"WITH claimed AS (DELETE FROM {D} RETURNING {cols}) "
        f"INSERT INTO {S} (grain, {cols}) SELECT 'dirty', {cols} FROM claimed"
    )
    return cur.rowcount


def _expand_scope(cur) -> None:
    """Dirty leaf keys → the month keys of every ancestor (own partnership and 'all'), then the
    quarter containing each month and the YTD windows that can change: the one closing at that
    month, and the later ones of its year that exist (a YTD cell exists where its closing month
    has a cell, and months outside the scope keep theirs). A new month thus scopes one YTD window
    per series, not one per month to December, and no month cell is fetched for windows that do
    not exist."""
    cur.execute(
        f"INSERT INTO {S} (grain, kpi_id, org_unit_id, partnership_key, period) "
        f"SELECT 'month', d.kpi_id, cl.ancestor_id, d.partnership_key, d.period "
        f"FROM {S} d JOIN {CL} cl ON cl.descendant_id = d.org_unit_id WHERE d.grain = 'dirty' "
        f"UNION SELECT 'month', d.kpi_id, cl.ancestor_id, 0, d.period "
        f"FROM {S} d JOIN {CL} cl ON cl.descendant_id = d.org_unit_id WHERE d.grain = 'dirty'"
    )
    existing_ytd = (f"EXISTS (SELECT 1 FROM {C} c WHERE c.org_unit_id = s.org_unit_id AND c.grain = 'ytd' "
                    f"AND c.partnership_key = s.partnership_key AND c.period = cal.period AND c.kpi_id = s.kpi_id)")
    cur.execute(
        f"INSERT INTO {S} (grain, kpi_id, org_unit_id, partnership_key, period) "
        f"SELECT DISTINCT cal.grain, s.kpi_id, s.org_unit_id, s.partnership_key, cal.period "
        f"FROM {S} s JOIN {W} cal ON cal.month = s.period WHERE s.grain = 'month' "
        f"AND (cal.grain = 'quarter' OR cal.period = s.period OR {existing_ytd})"
    )
    cur.execute(f"ANALYZE {S}")  # fresh statistics: the planner then drives from the small scope


def rollup_incremental() -> RollupResult:
    """Recompute only the cells whose measurements or targets changed, and their ancestors."""
    started = time.perf_counter()
    ensure_calendar()
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur)
        # Each statement reads a few thousand rows by index; the planner's cost estimates at
        # millions of cells still cross jit_above_cost, and compiling costs more than the statement
        # (docs/benchmarks.md#figures-behind-code-comments).
        cur.execute("SET LOCAL jit = off")
        claimed = _claim_dirty(cur)
        written = 0
        if claimed:
            _expand_scope(cur)
            cur.execute(
                f"DELETE FROM {C} WHERE EXISTS (SELECT 1 FROM {S} s WHERE s.org_unit_id = {C}.org_unit_id "
                f"AND s.grain = {C}.grain AND s.period = {C}.period AND s.kpi_id = {C}.kpi_id "
                f"AND s.partnership_key = {C}.partnership_key)"
            )
            written = _recompute(cur, scoped=True)
            # Peer benchmarks of the months touched, in the same transaction (issue 19).
            cur.execute(f"SELECT DISTINCT period FROM {S} WHERE grain = 'month'")
            benchmarks_refresh(cur, months=[row[0] for row in cur.fetchall()])
            _empty_scope(cur)
            cells_changed(cur)
    return RollupResult("incremental", claimed, written, time.perf_counter() - started)


def analyze_stale_inputs() -> list[str]:
    """ANALYZE the tables the full rebuild reads whose statistics are missing or older than a tenth
    of their rows' changes (autovacuum's own default): a rebuild planned on no statistics — the
    calendar after the migration filled it, a bulk-loaded measurement table — estimated four times
    the month-to-window rows and sorted them on disk. Cheap when fresh (nothing to do); returns
    the tables analyzed. ``make bench`` analyzes the whole database first, an operator's command
    did not (docs/benchmarks.md)."""
    tables = [M, T, K, U, CL, W, Partnership._meta.db_table]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.relname = ANY(%s) AND s.schemaname = ANY(current_schemas(false)) "
            "AND (COALESCE(s.last_analyze, s.last_autoanalyze) IS NULL "
            "OR s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0))", [tables])
        stale = sorted(row[0] for row in cur.fetchall())
        for table in stale:
            cur.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return stale


def rollup_full(*, swap: bool = True) -> RollupResult:
    """Rebuild every cell from scratch: a fresh set written level by level (no per-row upsert) into
    a fresh table swapped in for the cell table (``kpis.services.rollup_swap``), or — with
    ``swap=False``, or when the table has something a swap would not carry over — into the emptied
    cell table in place. One transaction either way: readers see the old cells until it commits,
    and a rebuild that dies leaves them and the dirty marks it claimed as they were."""
    started = time.perf_counter()
    ensure_calendar()
    analyze_stale_inputs()
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur)
        cur.execute(f"SET LOCAL work_mem = '{FULL_ROLLUP_WORK_MEM}'")
        cur.execute(f"SET LOCAL maintenance_work_mem = '{FULL_ROLLUP_MAINTENANCE_WORK_MEM}'")
        cur.execute(f"DELETE FROM {D}")
        _empty_scope(cur)
        shape = rollup_swap.table_shape(cur, C, FRESH_CELLS) if swap else None
        if shape is None:
            cur.execute(f"DELETE FROM {C}")
            written = _recompute(cur, scoped=False)
            benchmarks_refresh(cur)
        else:
            rollup_swap.create_fresh(cur, shape)
            written = _recompute(cur, scoped=False, table=FRESH_CELLS)
            rollup_swap.index_fresh(cur, shape)
            cur.execute(f"ANALYZE {FRESH_CELLS}")
            benchmarks_refresh(cur, cells=FRESH_CELLS)
            rollup_swap.swap_in(cur, shape)
        cells_changed(cur)
    return RollupResult("full", 0, written, time.perf_counter() - started)
