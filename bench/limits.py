# ruff: noqa: S608 - SQL assembled from model table names only
"""The physical limits: hand-written single statements doing the same work as our services."""

from __future__ import annotations

from decisions.models import Decision, DecisionEvent, DecisionParticipant, DecisionType, Escalation
from governance.models import Assignment, Function, Notification, OrgUnit, OrgUnitClosure, User
from kpis.models import KPI, Measurement, RollupWindow, ScorecardCell, Target
from kpis.plausibility import WINDOW

M, T, K, W = (Measurement._meta.db_table, Target._meta.db_table, KPI._meta.db_table, RollupWindow._meta.db_table)
C, CL, U = ScorecardCell._meta.db_table, OrgUnitClosure._meta.db_table, OrgUnit._meta.db_table
HAND_CELLS = "bench_hand_cell"

COLS = ("kpi_id, org_unit_id, partnership_id, partnership_key, grain, period, actual, numerator, denominator, target, "
        "green_at, red_at, attainment, rag, reporting, expected")


def create_hand_table(cur) -> None:
    """A logged table shaped like the scorecard cells, without indexes: ``index_hand_table`` adds
    the same primary key and unique key after the load, as the service's full rebuild does."""
    cur.execute(f"DROP TABLE IF EXISTS {HAND_CELLS}")
    cur.execute(f"CREATE TABLE {HAND_CELLS} (LIKE {C} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)")


def index_hand_table(cur) -> None:
    cur.execute(f"ALTER TABLE {HAND_CELLS} ADD PRIMARY KEY (id), "
                f"ADD UNIQUE (org_unit_id, grain, partnership_key, period, kpi_id)")


def _att(actual: str, target: str) -> str:
    return (f"CASE WHEN k.direction = 'lower' THEN {target} / NULLIF({actual}, 0) "
            f"ELSE {actual} / NULLIF({target}, 0) END")


# One INSERT … SELECT: leaf cells → every ancestor through the closure table (one join, no
# level-by-level passes), targets likewise, then quarter cells from their three months and YTD cells
# as running aggregates over each series' year (one per month cell, as the service's full rebuild),
# the latest month's figures carried through the aggregate; rows written in the order of the
# unique key (as the service does) into a table indexed after the load (``index_hand_table``).
FULL_ROLLUP_SQL = f"""
WITH leaf AS (
    SELECT m.kpi_id, m.org_unit_id, p.pk, m.period,
           SUM(CASE WHEN k.aggregation = 'ratio' THEN m.numerator ELSE m.value END) AS n,
           SUM(CASE WHEN k.aggregation = 'ratio' THEN m.denominator ELSE 1 END) AS d
    FROM {M} m JOIN {K} k ON k.id = m.kpi_id
    CROSS JOIN LATERAL (SELECT m.partnership_key AS pk UNION ALL SELECT 0 WHERE m.partnership_key <> 0) p
    GROUP BY m.kpi_id, m.org_unit_id, p.pk, m.period
), mon AS (
    SELECT l.kpi_id, cl.ancestor_id AS unit_id, l.pk, l.period, SUM(l.n) AS n, SUM(l.d) AS d, COUNT(*) AS rep
    FROM leaf l JOIN {CL} cl ON cl.descendant_id = l.org_unit_id
    GROUP BY l.kpi_id, cl.ancestor_id, l.pk, l.period
), tgt AS (
    SELECT t.kpi_id, cl.ancestor_id AS unit_id, t.partnership_key AS pk, t.period,
           CASE WHEN MAX(k.aggregation) IN ('sum', 'latest') THEN SUM(t.value) ELSE AVG(t.value) END AS target,
           AVG(t.green_at) AS g, AVG(t.red_at) AS r
    FROM {T} t JOIN {K} k ON k.id = t.kpi_id JOIN {CL} cl ON cl.descendant_id = t.org_unit_id
    GROUP BY t.kpi_id, cl.ancestor_id, t.partnership_key, t.period
), cells AS (
    SELECT COALESCE(mo.kpi_id, tg.kpi_id) AS kpi_id, COALESCE(mo.unit_id, tg.unit_id) AS unit_id,
           COALESCE(mo.pk, tg.pk) AS pk, COALESCE(mo.period, tg.period) AS period,
           mo.n, mo.d, tg.target, COALESCE(tg.g, 1) AS g, COALESCE(tg.r, 0.9) AS r, COALESCE(mo.rep, 0) AS rep
    FROM mon mo FULL JOIN tgt tg ON tg.kpi_id = mo.kpi_id AND tg.unit_id = mo.unit_id AND tg.pk = mo.pk
                                 AND tg.period = mo.period
), months AS (
    SELECT c.*, CASE WHEN k.aggregation IN ('average', 'ratio') THEN c.n / NULLIF(c.d, 0) ELSE c.n END AS actual
    FROM cells c JOIN {K} k ON k.id = c.kpi_id
), windows AS (
    SELECT c.kpi_id, c.unit_id, c.pk, w.grain, w.period, SUM(c.n) AS n, SUM(c.d) AS d,
           SUM(c.target) AS t_sum, AVG(c.target) AS t_avg,
           AVG(CASE WHEN c.target IS NULL THEN NULL ELSE c.g END) AS g,
           AVG(CASE WHEN c.target IS NULL THEN NULL ELSE c.r END) AS r,
           MAX(ARRAY[(c.period - DATE '2000-01-01')::numeric, c.actual, c.n, c.d, c.rep])
               FILTER (WHERE c.n IS NOT NULL) AS la,
           MAX(ARRAY[(c.period - DATE '2000-01-01')::numeric, c.target]) FILTER (WHERE c.target IS NOT NULL) AS lt,
           MAX(c.rep) AS max_rep
    FROM months c JOIN {W} w ON w.month = c.period AND w.grain = 'quarter'
    GROUP BY c.kpi_id, c.unit_id, c.pk, w.grain, w.period
    UNION ALL
    SELECT c.kpi_id, c.unit_id, c.pk, 'ytd', c.period, SUM(c.n) OVER y, SUM(c.d) OVER y,
           SUM(c.target) OVER y, AVG(c.target) OVER y,
           AVG(CASE WHEN c.target IS NULL THEN NULL ELSE c.g END) OVER y,
           AVG(CASE WHEN c.target IS NULL THEN NULL ELSE c.r END) OVER y,
           MAX(ARRAY[(c.period - DATE '2000-01-01')::numeric, c.actual, c.n, c.d, c.rep])
               FILTER (WHERE c.n IS NOT NULL) OVER y,
           MAX(ARRAY[(c.period - DATE '2000-01-01')::numeric, c.target]) FILTER (WHERE c.target IS NOT NULL) OVER y,
           MAX(c.rep) OVER y
    FROM months c
    WINDOW y AS (PARTITION BY c.kpi_id, c.unit_id, c.pk, date_trunc('year', c.period::timestamp) ORDER BY c.period)
), result AS (
    SELECT c.kpi_id, c.unit_id, c.pk, 'month' AS grain, c.period, c.actual, c.n, c.d, c.target, c.g, c.r,
           c.rep, c.rep AS exp
    FROM months c
    UNION ALL
    SELECT w.kpi_id, w.unit_id, w.pk, w.grain, w.period,
           CASE k.aggregation WHEN 'latest' THEN w.la[2] WHEN 'sum' THEN w.n ELSE w.n / NULLIF(w.d, 0) END,
           CASE WHEN k.aggregation = 'latest' THEN w.la[3] ELSE w.n END,
           CASE WHEN k.aggregation = 'latest' THEN w.la[4] ELSE w.d END,
           CASE k.aggregation WHEN 'latest' THEN w.lt[2] WHEN 'sum' THEN w.t_sum ELSE w.t_avg END,
           COALESCE(w.g, 1), COALESCE(w.r, 0.9), COALESCE(w.la[5]::bigint, 0), COALESCE(w.la[5]::bigint, w.max_rep)
    FROM windows w JOIN {K} k ON k.id = w.kpi_id
)
INSERT INTO {HAND_CELLS} ({COLS})
SELECT x.kpi_id, x.unit_id, NULLIF(x.pk, 0), x.pk, x.grain, x.period, x.actual, x.n, x.d, x.target, x.g, x.r, x.att,
       CASE WHEN x.att IS NULL THEN 'none' WHEN x.att >= x.g THEN 'green' WHEN x.att < x.r THEN 'red' ELSE 'amber' END,
       x.rep, x.exp
FROM (SELECT r.*, {_att('r.actual', 'r.target')} AS att FROM result r JOIN {K} k ON k.id = r.kpi_id) x
ORDER BY x.unit_id, x.grain, x.pk, x.period, x.kpi_id
"""

# Cells that differ between our rollup and the hand-written statement (keys and the shown figures).
DIFF_SQL = f"""
SELECT COUNT(*) FROM (
  (SELECT kpi_id, org_unit_id, partnership_key, grain, period, ROUND(actual, 4), ROUND(target, 4), rag
   FROM {C} EXCEPT SELECT kpi_id, org_unit_id, partnership_key, grain, period, ROUND(actual, 4), ROUND(target, 4), rag
   FROM {HAND_CELLS})
  UNION ALL
  (SELECT kpi_id, org_unit_id, partnership_key, grain, period, ROUND(actual, 4), ROUND(target, 4), rag
   FROM {HAND_CELLS} EXCEPT SELECT kpi_id, org_unit_id, partnership_key, grain, period, ROUND(actual, 4),
   ROUND(target, 4), rag FROM {C})
) d
"""

D, E, P, X = (Decision._meta.db_table, DecisionEvent._meta.db_table, DecisionParticipant._meta.db_table,
              Escalation._meta.db_table)
N, A, DT = Notification._meta.db_table, Assignment._meta.db_table, DecisionType._meta.db_table
US, F = User._meta.db_table, Function._meta.db_table


def _iso(ts: str) -> str:
    """SQL for Python's ``datetime.isoformat()`` of a UTC timestamptz (microseconds only when set)."""
    return (f"(to_char({ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"mod(date_part('microseconds', {ts})::bigint, 1000000) <> 0 THEN to_char({ts} AT TIME ZONE 'UTC', '.US') "
            f"ELSE '' END || '+00:00')")


# The escalation sweep for decisions past their level's due time on a 24×7 clock, in one
# data-modifying CTE: claim (guarded UPDATE) → Escalation row, D participant, event, and the two
# notifications (new decider, requester), each idempotent on its unique key. The same rows and
# texts as decisions.services.escalation: the next holder among active users, the SLA of the
# decision's priority, the event's message and data, the notifications' titles, bodies and keys
# (active recipients only). Emails are not sent by either here (the bench's users have none).
SWEEP_SQL = f"""
WITH due AS (
    SELECT d.id, d.escalation_level AS k, d.decider_id, d.deciding_unit_id, d.decider_function_id, d.due_at,
           d.clock_started_at, d.requested_by_id, d.title,
           COALESCE((t.sla_hours_by_priority ->> d.priority)::float, t.sla_hours) AS hours
    FROM {D} d JOIN {DT} t ON t.id = d.decision_type_id
    WHERE d.status = 'open' AND d.next_deadline_at IS NOT NULL AND d.next_deadline_at <= %(now)s
      AND d.due_at <= %(now)s AND t.escalation_enabled AND t.calendar = '24x7'
), target AS (
    SELECT DISTINCT ON (due.id) due.*, a.user_id AS to_user, a.org_unit_id AS to_unit
    FROM due JOIN {CL} cl ON cl.descendant_id = due.deciding_unit_id AND cl.depth > 0
    JOIN {A} a ON a.org_unit_id = cl.ancestor_id AND a.function_id = due.decider_function_id
    JOIN {US} au ON au.id = a.user_id AND au.is_active
    ORDER BY due.id, cl.depth, a.id
), upd AS (
    UPDATE {D} d SET escalation_level = t.k + 1, decider_id = t.to_user, deciding_unit_id = t.to_unit,
        clock_started_at = t.due_at, due_at = t.due_at + t.hours * interval '1 hour',
        warn_at = t.due_at + t.hours * 0.75 * interval '1 hour',
        next_deadline_at = t.due_at + t.hours * 0.75 * interval '1 hour'
    FROM target t WHERE d.id = t.id AND d.status = 'open' AND d.escalation_level = t.k
    RETURNING d.id, t.k, t.decider_id AS from_user, t.deciding_unit_id AS from_unit, t.decider_function_id AS fn,
              t.to_user, t.to_unit, t.due_at AS missed, t.clock_started_at AS started, t.requested_by_id, t.title,
              d.due_at AS new_due
), esc AS (
    INSERT INTO {X} (decision_id, level, function_id, from_unit_id, to_unit_id, from_user_id, to_user_id,
                     missed_deadline, at)
    SELECT id, k + 1, fn, from_unit, to_unit, from_user, to_user, missed, %(now)s FROM upd RETURNING 1
), part AS (
    INSERT INTO {P} (decision_id, user_id, function_id, org_unit_id, role, level, input_text, comment)
    SELECT id, to_user, fn, to_unit, 'D', k + 1, '', '' FROM upd ON CONFLICT DO NOTHING RETURNING 1
), ev AS (
    INSERT INTO {E} (decision_id, kind, actor_id, at, level, message, data)
    SELECT u.id, 'escalated', NULL, %(now)s, u.k + 1,
           'Not decided at ' || fu.name || ' in time: escalated to '
           || COALESCE(NULLIF(TRIM(tp.first_name || ' ' || tp.last_name), ''), tp.username)
           || ' (' || f.name || ', ' || tu.name || ').',
           jsonb_build_object('from_unit', fu.code, 'to_unit', tu.code, 'to_user', tp.username,
                              'missed_deadline', {_iso('u.missed')})
    FROM upd u JOIN {U} fu ON fu.id = u.from_unit JOIN {U} tu ON tu.id = u.to_unit
    JOIN {US} tp ON tp.id = u.to_user JOIN {F} f ON f.id = u.fn RETURNING 1
), note AS (
    INSERT INTO {N} (recipient_id, kind, title, body, url, dedupe_key, created_at)
    SELECT r.recipient, 'decision.escalated', LEFT(r.title, 200), r.body, '/decisions/' || u.id || '/',
           LEFT('decision:' || u.id || ':escalated:' || (u.k + 1) || ':' || {_iso('u.started')}, 200), %(now)s
    FROM upd u JOIN {U} fu ON fu.id = u.from_unit JOIN {U} tu ON tu.id = u.to_unit
    CROSS JOIN LATERAL (VALUES
        (u.to_user, 'Escalated to you: ' || u.title,
         'Not decided at ' || fu.name || ' in time. You now decide; due '
         || to_char(u.new_due AT TIME ZONE 'UTC', 'DD Mon HH24:MI') || ' UTC.'),
        (u.requested_by_id, 'Your decision was escalated to ' || tu.name || ': ' || u.title, '')
    ) AS r(recipient, title, body)
    JOIN {US} ru ON ru.id = r.recipient AND ru.is_active
    ON CONFLICT DO NOTHING RETURNING 1
)
SELECT (SELECT COUNT(*) FROM upd), (SELECT COUNT(*) FROM esc), (SELECT COUNT(*) FROM part),
       (SELECT COUNT(*) FROM ev), (SELECT COUNT(*) FROM note)
"""


# What an import's plausibility check (``kpis.plausibility``) must read at the least: each imported
# key's series over ±WINDOW months by the unique index, the values only counted (no median, no
# MAD, nothing sent back per key). Any import that checks values against their history does this.
CHECK_READ_SQL = f"""
SELECT COUNT(*), SUM(h.n)
FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::date[]) AS k(kpi_id, org_unit_id, partnership_key, period)
CROSS JOIN LATERAL (
    SELECT COUNT(m.value) AS n FROM {M} m
    WHERE m.kpi_id = k.kpi_id AND m.org_unit_id = k.org_unit_id AND m.partnership_key = k.partnership_key
      AND m.period BETWEEN (k.period - interval '{WINDOW} months')::date
                       AND (k.period + interval '{WINDOW} months')::date
) h
"""
