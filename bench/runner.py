# ruff: noqa: S608 - SQL assembled from model table names only
"""``python -m bench``: every operation beside its physical limit, in one run on one database.

Steps (same data throughout): (1) full rollup vs one hand-written INSERT … SELECT, then
``manage.py rollup_scorecards --full`` over the cells it built vs the same statement; (2) 1,000 new
measurements over 50 KPIs × 20 markets of a fresh month through the service, then the incremental
rollup, checked equal to a second full rollup; (3) the escalation sweep vs one data-modifying CTE
(state restored between the two); (4) CSV import through the service vs raw COPY of as many rows;
(5) dashboard and scorecard API through gunicorn, p50/p95 (skipped by ``--no-http``) with the
query count of each page counted in-process with ``CaptureQueriesContext``; (6) the decision list
API vs a bare DRF ListAPIView, requests/s, both in-process with one test client.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from django.db import connection, transaction

RESULTS = Path(__file__).resolve().parent / "results"
SMALL_SEED_OFFSET = 1000
SMALL_MEASUREMENTS = 1000
PAGE_BUDGET_SECONDS = 300  # a page far off its target still lets the run finish (fewer requests, noted)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def machine() -> dict:
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        sb = cur.fetchone()[0]
        cur.execute("SHOW work_mem")
        wm = cur.fetchone()[0]
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024 // 1024
    except OSError:
        pass
    cpus = os.cpu_count()
    summary = (f"{cpus} cores, {mem} GB RAM, PostgreSQL {pg.split()[0]} (shared_buffers {sb}, work_mem {wm}), "
               f"Python {platform.python_version()}")
    return {"nproc": cpus, "ram_gb": mem, "postgresql": pg, "shared_buffers": sb, "work_mem": wm, "summary": summary}


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def cpu_seconds() -> float | None:
    """CPU time used so far by this process plus its database backend (``/proc/<pid>/stat`` of
    ``pg_backend_pid()``; ``None`` when the server is not on this machine): what a step costs
    whatever else the shared cores run, where wall-clock time also counts waiting for them."""
    try:
        with open(f"/proc/{scalar('SELECT pg_backend_pid()')}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return time.process_time() + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_timed(fn, *args, **kwargs) -> tuple[float, float | None, object]:
    """``(wall seconds, CPU seconds of this process and its backend or None, result)``."""
    cpu = cpu_seconds()
    seconds, out = timed(fn, *args, **kwargs)
    after = cpu_seconds()
    return seconds, None if cpu is None or after is None else after - cpu, out


def scalar_row(sql: str, params=None) -> tuple:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()


def scalar(sql: str, params=None):
    return scalar_row(sql, params)[0]


def execute(sql: str, params=None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.rowcount


# ----------------------------------------------------------------------------------------------
def ensure_data(args) -> dict:
    from governance.models import OrgUnit
    from reports.management.commands.generate_scale_data import generate, prefix_for

    sets = {}
    for label, seed, n, m in (("full", args.seed, args.measurements, args.decisions),
                              ("small", args.seed + SMALL_SEED_OFFSET, SMALL_MEASUREMENTS, 100)):
        prefix = prefix_for(seed)
        if args.reuse and OrgUnit.objects.filter(code=prefix).exists():
            log(f"reusing data set {prefix}")
        else:
            log(f"generating {prefix}: {n:,} measurements, {m:,} decisions")
            summary = generate(measurements=n, decisions=m, seed=seed, replace=True, log=log, tiny=args.tiny_org)
            log(f"generated in {summary['seconds']} s")
        sets[label] = {"prefix": prefix}
    return sets


def data_facts(prefix: str) -> dict:
    from decisions.models import Decision
    from kpis.models import Measurement

    units = "SELECT id FROM governance_orgunit WHERE code = %s OR code LIKE %s"
    args = [prefix, f"{prefix}-%"]
    m = scalar(f"SELECT COUNT(*) FROM {Measurement._meta.db_table} WHERE org_unit_id IN ({units})", args)
    d = scalar(f"SELECT COUNT(*) FROM {Decision._meta.db_table} WHERE org_unit_id IN ({units})", args)
    first, last = None, None
    with connection.cursor() as cur:
        cur.execute(f"SELECT MIN(period), MAX(period) FROM {Measurement._meta.db_table} "
                    f"WHERE org_unit_id IN ({units}) AND source = 'scale'", args)
        first, last = cur.fetchone()
    return {"measurements": m, "decisions": d, "first_month": first, "last_month": last}


def cleanup_bench_rows(prefix: str, last_month: date) -> None:
    """Remove the rows earlier bench steps added after the generated months (the service's and
    COPY's), marking their keys dirty; the incremental rollup then puts the cells back as they were."""
    from kpis.models import DirtyCell, Measurement
    from kpis.services.rollup import rollup_incremental

    units = "SELECT id FROM governance_orgunit WHERE code = %s OR code LIKE %s"
    args = [prefix, f"{prefix}-%", last_month]
    hist = Measurement.history.model._meta.db_table
    execute(f"DELETE FROM {hist} WHERE org_unit_id IN ({units}) AND period > %s", args)
    keys = "kpi_id, org_unit_id, partnership_key, period"
    removed = execute(
        f"WITH gone AS (DELETE FROM {Measurement._meta.db_table} WHERE org_unit_id IN ({units}) AND period > %s "
        f"RETURNING {keys}) INSERT INTO {DirtyCell._meta.db_table} ({keys}) SELECT DISTINCT {keys} FROM gone "
        f"ON CONFLICT DO NOTHING", args)
    if removed:
        rollup_incremental()


class StatementProfile:
    """Times every SQL statement run inside the block (``connection.execute_wrapper``)."""

    def __init__(self):
        self.entries: list[dict] = []

    def __call__(self, execute_fn, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute_fn(sql, params, many, context)
        finally:
            self.entries.append({"seconds": time.perf_counter() - start, "sql": sql})

    def __enter__(self):
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)

    def top(self, n: int = 8) -> list[dict]:
        return [{"seconds": round(e["seconds"], 4), "sql": e["sql"][:400]}
                for e in sorted(self.entries, key=lambda e: -e["seconds"])[:n]]


def entered_during(month: date) -> datetime:
    """When the bench enters a month's generated actuals: mid-month, since actuals are refused for
    months that have not begun and the bench writes into fresh months after the data. Its writes are
    also confirmed: synthetic values are questioned by the plausibility check, which still runs."""
    return datetime(month.year, month.month, 15, 12, tzinfo=UTC)


# ----------------------------------------------------------------------------------------------
def bench_rollup(result: dict, facts: dict, admin, prefix: str, *, skip_verify: bool = False,
                 rounds: int = 1) -> None:
    from bench import limits
    from kpis.models import ScorecardCell
    from kpis.services.rollup import FULL_ROLLUP_MAINTENANCE_WORK_MEM, FULL_ROLLUP_WORK_MEM, rollup_full

    # From an empty cell table, as after a bulk load: a rebuild over existing cells also pays for
    # the dead rows its DELETE leaves under the same keys (docs/benchmarks.md).
    execute(f"TRUNCATE {ScorecardCell._meta.db_table}")
    log("full rollup (ours)")
    ours_s, ours = timed(rollup_full)
    cells = ScorecardCell.objects.count()
    log(f"  {ours_s:.2f} s, {ours.cells_written:,} cells")
    with connection.cursor() as cur:
        limits.create_hand_table(cur)
    log("full rollup (hand-written INSERT … SELECT)")

    @transaction.atomic
    def hand():
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {limits.HAND_CELLS}")
            cur.execute(f"SET LOCAL work_mem = '{FULL_ROLLUP_WORK_MEM}'")  # as the service does
            cur.execute(f"SET LOCAL maintenance_work_mem = '{FULL_ROLLUP_MAINTENANCE_WORK_MEM}'")
            cur.execute(limits.FULL_ROLLUP_SQL)
            rows = cur.rowcount
            limits.index_hand_table(cur)
            return rows

    hand_s, hand_rows = timed(hand)
    diff = scalar(limits.DIFF_SQL)
    log(f"  {hand_s:.2f} s, {hand_rows:,} cells; {diff} cells differ")
    result["data"]["cells"] = cells
    result["operations"].append({
        "name": "full rollup", "unit": "s", "ours": ours_s, "limit": hand_s, "ratio": ours_s / hand_s,
        "target": "≤ 1.5×", "met": ours_s / hand_s <= 1.5, "cells": cells, "hand_cells": hand_rows,
        "cells_differing": diff})
    bench_command(result["operations"][-1])

    bench_incremental(result, facts, admin, prefix, rounds=rounds)
    if skip_verify:
        return
    execute("DROP TABLE IF EXISTS bench_incremental_cells")
    execute(f"CREATE TABLE bench_incremental_cells AS SELECT * FROM {ScorecardCell._meta.db_table}")
    log("second full rollup (to compare with the incremental result)")
    full2_s, _ = timed(rollup_full)
    cols = "kpi_id, org_unit_id, partnership_key, grain, period, actual, numerator, denominator, target, " \
           "green_at, red_at, attainment, rag, reporting, expected"
    t = ScorecardCell._meta.db_table
    differing = scalar(f"SELECT COUNT(*) FROM ((SELECT {cols} FROM {t} EXCEPT ALL SELECT {cols} FROM "
                       f"bench_incremental_cells) UNION ALL (SELECT {cols} FROM bench_incremental_cells EXCEPT ALL "
                       f"SELECT {cols} FROM {t})) d")
    incremental_rows = scalar("SELECT COUNT(*) FROM bench_incremental_cells")
    full_rows = ScorecardCell.objects.count()
    execute("DROP TABLE bench_incremental_cells")
    log(f"  full again {full2_s:.2f} s: {full_rows:,} rows vs incremental {incremental_rows:,}, {differing} differ")
    entry = result["operations"][-1]
    entry.update(full_again_seconds=full2_s, full_rows=full_rows, incremental_rows=incremental_rows,
                 rows_differing=differing)


def bench_command(entry: dict) -> None:
    """The full rebuild as an operator runs it (issue 22): ``manage.py rollup_scorecards --full`` in
    a new process on this database, over the cells the step before built, wall clock, beside the
    hand-written statement; recorded on the full rollup's ``entry``."""
    from kpis.models import ScorecardCell

    db = connection.settings_dict
    auth = db["USER"] + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                                         f"{db['NAME']}"}
    log("full rebuild as an operator runs it: manage.py rollup_scorecards --full (over the existing cells)")
    command = [sys.executable, "manage.py", "rollup_scorecards", "--full"]
    seconds, out = timed(subprocess.run, command, cwd=Path(__file__).resolve().parent.parent, env=env, check=True,
                         capture_output=True, text=True)
    log(f"  {seconds:.2f} s: {out.stdout.strip()}")
    entry.update(command_seconds=seconds, command_ratio=seconds / entry["limit"], command_target="≤ 2×",
                 command_met=seconds / entry["limit"] <= 2, command_cells=ScorecardCell.objects.count(),
                 command_output=out.stdout.strip())


def bench_incremental(result: dict, facts: dict, admin, prefix: str, *, rounds: int = 1) -> None:
    """(2) ``rounds`` times: 1,000 new measurements (50 KPIs × 20 markets) of a fresh month after the
    data, entered through the service, then the incremental rollup, timed with a per-statement
    profile. The reported figure is the median round; every round is kept in the JSON."""
    from governance.periods import month_shift
    from kpis.models import KPI
    from kpis.services.measurements import measurements_record
    from kpis.services.rollup import rollup_incremental

    kpis = list(KPI.objects.filter(code__startswith=f"{prefix}-K").exclude(aggregation="ratio")
                .order_by("code")[:50])
    markets = list_markets(prefix)
    markets = markets[:20] if len(kpis) * 20 >= 1000 else markets  # the tiny org has fewer KPIs
    runs = []
    for r in range(1, rounds + 1):
        month = month_shift(facts["last_month"], r)
        rows = [{"kpi": k.code, "org_unit": mk, "period": month.isoformat()[:7], "value": str(100 + i)}
                for i, (k, mk) in enumerate((k, mk) for k in kpis for mk in markets)][:1000]
        service_s, _ = timed(measurements_record, actor=admin, rows=rows, source="bench",
                             now=entered_during(month), confirm=True)
        log(f"incremental rollup after {len(rows)} new measurements of {month:%Y-%m} (service took {service_s:.2f} s)")
        with StatementProfile() as profile:
            incr_s, incr = timed(rollup_incremental)
        log(f"  {incr_s:.3f} s, {incr.dirty_keys} dirty keys, {incr.cells_written} cells rewritten")
        for entry in profile.top(5):
            log(f"    {entry['seconds']:.3f} s  {entry['sql'][:150]}")
        runs.append({"seconds": incr_s, "service_seconds": service_s, "new_measurements": len(rows),
                     "dirty_keys": incr.dirty_keys, "cells_rewritten": incr.cells_written, "profile": profile.top()})
    median = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    result["operations"].append({
        "name": "incremental rollup (1k measurements)", "unit": "s", "ours": median["seconds"], "limit": None,
        "ratio": None, "target": "≤ 1 s at 10M", "met": median["seconds"] <= 1.0,
        "rounds": [r["seconds"] for r in runs],
        **{k: v for k, v in median.items() if k != "seconds"}})


def list_markets(prefix: str) -> list[str]:
    from governance.models import OrgUnit

    return list(OrgUnit.objects.filter(code__startswith=f"{prefix}-", level="market").order_by("code")
                .values_list("code", flat=True))


# ----------------------------------------------------------------------------------------------
def bench_sweep(result: dict, prefix: str, now: datetime) -> None:
    from bench import limits
    from decisions.models import Decision, DecisionEvent, DecisionParticipant, DecisionStage, Escalation
    from decisions.services.escalation import escalate_overdue
    from governance.models import Notification

    d = Decision._meta.db_table
    cols = ("escalation_level, decider_id, deciding_unit_id, clock_started_at, due_at, warn_at, next_deadline_at, "
            "escalation_exhausted")
    execute("DROP TABLE IF EXISTS bench_sweep_snapshot")
    execute(f"CREATE TABLE bench_sweep_snapshot AS SELECT id, {cols} FROM {d} "
            f"WHERE status = 'open' AND next_deadline_at <= %s", [now])
    due = scalar("SELECT COUNT(*) FROM bench_sweep_snapshot")
    marks = {m: scalar(f"SELECT COALESCE(MAX(id), 0) FROM {m._meta.db_table}")
             for m in (Escalation, DecisionEvent, DecisionParticipant, Notification)}
    # Our sweep also keeps the stage intervals in step (issue 18; the hand-written CTE does not):
    # restored separately so the rows compared stay the same.
    stages = DecisionStage._meta.db_table
    stage_mark = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {stages}")

    def restore():
        for model, mark in marks.items():
            execute(f"DELETE FROM {model._meta.db_table} WHERE id > %s", [mark])
        execute(f"DELETE FROM {stages} WHERE id > %s", [stage_mark])
        execute(f"UPDATE {stages} SET ended_at = NULL, business_seconds = NULL WHERE ended_at = %s", [now])
        execute(f"UPDATE {d} SET {', '.join(f'{c} = s.{c}' for c in cols.split(', '))} "
                f"FROM bench_sweep_snapshot s WHERE s.id = {d}.id")

    def written() -> dict:
        return {m.__name__: scalar(f"SELECT COUNT(*) FROM {m._meta.db_table} WHERE id > %s", [mark])
                for m, mark in marks.items()}

    total = Decision.objects.count()
    from django.urls import get_resolver

    _ = get_resolver().url_patterns  # a worker imports the URLconf once (decision links), not per sweep
    log(f"escalation sweep (ours) over {total:,} decisions, {due:,} due")
    ours_s, counts = timed(escalate_overdue, now=now, batch_size=10**9)
    ours_rows = written()
    restore()
    log(f"  {ours_s:.2f} s {counts} rows {ours_rows}")
    log("escalation sweep (hand-written data-modifying CTE)")

    @transaction.atomic
    def hand():
        with connection.cursor() as cur:
            cur.execute(limits.SWEEP_SQL, {"now": now})
            return cur.fetchone()

    hand_s, hand_counts = timed(hand)
    hand_rows = written()
    restore()
    execute("DROP TABLE bench_sweep_snapshot")
    log(f"  {hand_s:.3f} s rows {hand_rows}")
    result["operations"].append({
        "name": f"escalation sweep ({due:,} overdue of {total:,})", "unit": "s", "ours": ours_s, "limit": hand_s,
        "ratio": ours_s / hand_s if hand_s else None, "target": "≤ 3×", "met": hand_s and ours_s / hand_s <= 3,
        "ours_counts": counts, "ours_rows": ours_rows, "hand_rows": hand_rows, "due": due})


def bench_party_analytics(result: dict, admin, prefix: str | None = None) -> None:
    """Latency by stage and party (issue 18): ``party_analytics()`` (scoped CTE, percentiles per party
    and stage, top blockers) against the bare aggregate over the whole stage table (no scoping, no
    names, no split), for the admin over all time, and — with ``prefix`` — for the admin and a
    regional leader over the analytics page's default window (decisions logged in the last 180 days)."""
    from decisions.models import DecisionStage
    from decisions.party_analytics import party_analytics

    intervals = DecisionStage.objects.count()
    stages = DecisionStage._meta.db_table

    def bare():
        with connection.cursor() as cur:
            cur.execute(f"SELECT party_kind, function_id, partner_id, stage, COUNT(*), "  # noqa: S608
                        "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY business_seconds) "
                        f"FROM {stages} GROUP BY 1, 2, 3, 4")
            return cur.fetchall()

    bare()
    bare_s, _ = timed(bare)
    cases = [("admin", admin, None)]
    if prefix is not None:
        since = datetime.now(UTC) - timedelta(days=180)
        leader = regional_leader(prefix)
        cases += [("admin", admin, since), ("regional leader", leader, None), ("regional leader", leader, since)]
    for who, user, since in cases:
        party_analytics(user=user, since=since)  # warm: plans and caches
        ours_s, data = timed(party_analytics, user=user, since=since)
        window = "all time" if since is None else "last 180 days"
        log(f"party analytics ({who}, {window}) over {intervals:,} intervals: ours {ours_s:.3f} s, "
            f"bare aggregate (all, unscoped) {bare_s:.3f} s")
        result["operations"].append({
            "name": f"latency by party, {who}, {window} ({intervals:,} stage intervals)", "unit": "s",
            "ours": ours_s, "limit": bare_s, "ratio": ours_s / bare_s if bare_s else None,
            "target": "≤ 3× the bare aggregate", "met": bool(bare_s) and ours_s / bare_s <= 3,
            "rows": len(data["rows"]), "intervals": intervals})
    if prefix is None:
        return
    # Context for the page's time: its other half, the decision latency (time to decision, SLA,
    # stages from participants; ``selectors.latency_analytics``) over the same window.
    from decisions.selectors import latency_analytics

    for who, user, since in cases[1:]:
        if since is None:
            continue
        latency_analytics(user=user, since=since)
        seconds, _ = timed(latency_analytics, user=user, since=since)
        log(f"decision latency ({who}, last 180 days): {seconds:.3f} s")
        result["operations"].append({
            "name": f"decision latency (the analytics page's other half), {who}, last 180 days", "unit": "s",
            "ours": seconds, "limit": None, "ratio": None, "target": "(context)", "met": None})


# ----------------------------------------------------------------------------------------------
# Import rows: (KPI, market) pairs of the generated org, as CSV for the service or as COPY rows.
COPY_COLUMNS = ("kpi_id, org_unit_id, partnership_id, partnership_key, period, value, numerator, denominator, "
                "source, entered_by_id, entered_at")


def import_keys(prefix: str, rows_n: int) -> list[tuple[tuple[int, str], tuple[int, str]]]:
    """``rows_n`` (KPI, market) pairs, each an ``(id, code)``: the non-ratio KPIs × the markets."""
    from governance.models import OrgUnit
    from kpis.models import KPI

    kpis = list(KPI.objects.filter(code__startswith=f"{prefix}-K").exclude(aggregation="ratio")
                .order_by("code").values_list("id", "code"))
    markets = list(OrgUnit.objects.filter(code__startswith=f"{prefix}-", level="market").order_by("code")
                   .values_list("id", "code"))
    return [(k, m) for k in kpis for m in markets][:rows_n]


def import_csv(keys, month: date) -> bytes:
    """The CSV file a user would upload: one row per key for ``month``."""
    return ("kpi,org_unit,partnership,period,value,numerator,denominator\n" + "".join(
        f"{k[1]},{m[1]},,{month:%Y-%m},{100 + i % 900}.5,,\n" for i, (k, m) in enumerate(keys))).encode()


def measurement_copy_rows(keys, month: date, stamp: str, user_id: int | None = None) -> str:
    """The same rows as COPY text for ``COPY_COLUMNS`` (source 'copy'; entered by ``user_id``, or nobody)."""
    user = "\\N" if user_id is None else str(user_id)
    return "".join(f"{k[0]}\t{m[0]}\t\\N\t0\t{month.isoformat()}\t{100 + i % 900}.5\t\\N\t\\N\tcopy\t{user}\t"
                   f"{stamp}\n" for i, (k, m) in enumerate(keys))


def copy_measurements(body: str) -> float:
    """Raw COPY of ``body`` into the measurement table in its own transaction; returns seconds."""
    from kpis.models import Measurement

    @transaction.atomic
    def run():
        with connection.cursor() as cur, cur.cursor.copy(
                f"COPY {Measurement._meta.db_table} ({COPY_COLUMNS}) FROM STDIN") as copy:
            copy.write(body)

    return timed(run)[0]


# ----------------------------------------------------------------------------------------------
def bench_import(result: dict, admin, prefix: str, facts: dict, rows_n: int) -> None:
    """Our CSV import vs a raw COPY of as many rows, and vs a raw COPY of the same three writes.

    Each side runs twice, alternating (ours, COPY, same writes, then again), each run into a
    fresh month after the data, and the faster of each side's two runs counts: the first run
    into a 10M-row table reads the index pages around the new keys from disk and leaves them
    cached for whoever runs next (at 10M: our import 2.2 s first, 0.9 s after).
    """
    from django.core.files.uploadedfile import SimpleUploadedFile

    from governance.periods import month_shift
    from kpis.models import DirtyCell, Measurement
    from kpis.services.measurements import measurements_import_csv

    keys = import_keys(prefix, rows_n)
    hist = Measurement.history.model._meta.db_table
    now_text = datetime.now().astimezone().isoformat()

    cpu: dict[str, list[float]] = {"ours": [], "copy": [], "same": []}

    def ours(month: date) -> float:
        upload = SimpleUploadedFile("bench.csv", import_csv(keys, month), content_type="text/csv")
        seconds, used, out = cpu_timed(measurements_import_csv, actor=admin, upload=upload,
                                       now=entered_during(month), confirm=True)
        assert out.created == len(keys), out
        if used is not None:
            cpu["ours"].append(used)
        return seconds

    def raw_copy(month: date) -> float:
        body = measurement_copy_rows(keys, month, now_text)
        used = cpu_seconds()
        seconds = copy_measurements(body)
        if used is not None and (after := cpu_seconds()) is not None:
            cpu["copy"].append(after - used)
        return seconds

    # The import also writes, per row, its audit (history) row and the rollup's dirty key. The
    # same three writes by raw COPY — no parsing, no validation — are the limit for the same work:
    # the same columns as the import's, so the rows name who entered them, as the import's do (until
    # 2026-12-07 they named nobody, a foreign-key check per row fewer than the import makes).
    def copy_same_writes(month: date, first_id: int) -> float:
        body = measurement_copy_rows(keys, month, now_text, user_id=admin.pk)
        hist_body = "".join(f"{first_id - i}\t{k[0]}\t{m[0]}\t\\N\t0\t{month.isoformat()}\t{100 + i % 900}.5\t"
                            f"\\N\t\\N\tcopy\t{admin.pk}\t{now_text}\t{now_text}\t\\N\t+\t{admin.pk}\n"
                            for i, (k, m) in enumerate(keys))
        dirty_body = "".join(f"{k[0]}\t{m[0]}\t0\t{month.isoformat()}\n" for k, m in keys)

        @transaction.atomic
        def run():
            with connection.cursor() as cur:
                with cur.cursor.copy(f"COPY {Measurement._meta.db_table} ({COPY_COLUMNS}) FROM STDIN") as copy:
                    copy.write(body)
                with cur.cursor.copy(
                        f"COPY {hist} (id, {COPY_COLUMNS}, history_date, history_change_reason, history_type, "
                        f"history_user_id) FROM STDIN") as copy:
                    copy.write(hist_body)
                with cur.cursor.copy(f"COPY {DirtyCell._meta.db_table} (kpi_id, org_unit_id, partnership_key, "
                                     f"period) FROM STDIN") as copy:
                    copy.write(dirty_body)

        seconds, used, _ = cpu_timed(run)
        if used is not None:
            cpu["same"].append(used)
        return seconds

    # The least the plausibility check must read (``limits.CHECK_READ_SQL``), for the keys in a month
    # after the data that no run writes: added to the COPY of the same writes, the floor of an
    # import that keeps history, incremental rollups and the check.
    def check_read(month: date) -> float:
        from bench import limits

        params = [[k[0] for k, _ in keys], [m[0] for _, m in keys], [0] * len(keys), [month] * len(keys)]
        seconds, (counted, _values) = timed(scalar_row, limits.CHECK_READ_SQL, params)
        assert counted == len(keys), counted
        return seconds

    runs: dict[str, list[float]] = {"ours": [], "copy": [], "same": [], "read": []}
    for n in range(2):
        base = 2 + 3 * n
        log(f"CSV import of {len(keys):,} rows through the service (run {n + 1} of 2)")
        runs["ours"].append(ours(month_shift(facts["last_month"], base)))
        log(f"  {runs['ours'][-1]:.3f} s ({len(keys) / runs['ours'][-1]:,.0f} rows/s)")
        log(f"raw COPY of {len(keys):,} rows into the same indexed table")
        runs["copy"].append(raw_copy(month_shift(facts["last_month"], base + 1)))
        log(f"  {runs['copy'][-1]:.3f} s ({len(keys) / runs['copy'][-1]:,.0f} rows/s)")
        log(f"raw COPY of the same writes ({len(keys):,} rows + their history rows + their dirty keys)")
        runs["same"].append(copy_same_writes(month_shift(facts["last_month"], base + 2), -1 - n * len(keys)))
        log(f"  {runs['same'][-1]:.3f} s ({len(keys) / runs['same'][-1]:,.0f} rows/s)")
        log(f"the plausibility check's least read ({len(keys):,} series, ±24 months, counted)")
        runs["read"].append(check_read(month_shift(facts["last_month"], 1)))
        log(f"  {runs['read'][-1]:.3f} s")
    ours_s, copy_s, same_s, read_s = (min(runs[side]) for side in ("ours", "copy", "same", "read"))
    ours_rate, copy_rate = len(keys) / ours_s, len(keys) / copy_s
    result["operations"].append({
        "name": f"CSV import ({len(keys):,} rows)", "unit": "rows/s", "ours": ours_rate, "limit": copy_rate,
        "ratio": ours_rate / copy_rate, "target": "≥ 50% of COPY (ratio ≥ 0.5)", "met": ours_rate / copy_rate >= 0.5,
        "ours_seconds": ours_s, "copy_seconds": copy_s, "same_writes_copy_seconds": same_s,
        "same_writes_copy_rate": len(keys) / same_s, "ratio_to_same_writes": ours_rate / (len(keys) / same_s),
        "same_writes_target": "≥ 0.8× (issue 22)", "same_writes_met": same_s / ours_s >= 0.8,
        "check_read_seconds": read_s, "floor_seconds": same_s + read_s, "ratio_to_floor": (same_s + read_s) / ours_s,
        "runs_seconds": runs, "runs_cpu_seconds": cpu})
    if all(len(v) == 2 for v in cpu.values()):
        ours_cpu, copy_cpu, same_cpu = (min(cpu[side]) for side in ("ours", "copy", "same"))
        log(f"CPU (this process + its backend), the lower of two runs: ours {ours_cpu:.2f} s, raw COPY "
            f"{copy_cpu:.2f} s ({copy_cpu / ours_cpu:.2f}×), COPY of the same writes {same_cpu:.2f} s "
            f"({same_cpu / ours_cpu:.2f}×)")
        result["operations"][-1].update(cpu_ratio=copy_cpu / ours_cpu, cpu_ratio_to_same_writes=same_cpu / ours_cpu)
    execute(f"DELETE FROM {DirtyCell._meta.db_table}")


# ----------------------------------------------------------------------------------------------
def count_queries(client, url: str, **headers) -> tuple[int, int]:
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as ctx:
        response = client.get(url, **headers)
    return response.status_code, len(ctx.captured_queries)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


@contextlib.contextmanager
def gunicorn(port: int):
    """gunicorn (2 workers, the test settings: DEBUG off, throttles raised) on 127.0.0.1:``port``."""
    import http.client

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "governance.settings_test"),
           "DATABASE_URL": os.environ.get("DATABASE_URL", "")}
    binary = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(  # noqa: S603
        [str(binary), "governance.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level",
         "warning"], cwd=Path(__file__).resolve().parent.parent, env=env)
    try:
        deadline = time.time() + 30
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/accounts/login/")
                c.getresponse().read()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def credentials(user) -> tuple[dict, dict]:
    """``(cookie header, token header)`` for ``user``: a session in the database and a knox token."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from governance.tokens import token_issue

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return ({"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"},
            {"Authorization": f"Token {token_issue(user=user)[1]}"})


def time_page(port: int, user, name: str, scale: str, url: str, headers: dict, requests_n: int) -> dict:
    """p50/p95 of ``requests_n`` GETs of ``url`` through gunicorn (after 5 warm-up requests: both
    workers' first), and the page's query count in-process (``CaptureQueriesContext``)."""
    import http.client

    from django.test import Client

    client = Client()
    client.force_login(user)
    client_headers = {f"HTTP_{k.upper()}": v for k, v in headers.items() if k == "Authorization"}
    status, queries = count_queries(client, url, **client_headers)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    page_started = time.perf_counter()
    for i in range(requests_n + 5):
        if i > 15 and time.perf_counter() - page_started > PAGE_BUDGET_SECONDS:
            log(f"  {name} ({scale}): stopped after {len(times)} requests (over {PAGE_BUDGET_SECONDS} s)")
            break
        start = time.perf_counter()
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        response.read()
        if i >= 5:
            times.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    conn.close()
    entry = {"name": name, "scale": scale, "url": url, "requests": len(times), "p50_ms": statistics.median(times),
             "p95_ms": percentile(times, 0.95), "queries": queries, "in_process_status": status}
    log(f"  {name} ({scale}): p50 {entry['p50_ms']:.1f} ms, p95 {entry['p95_ms']:.1f} ms, {queries} queries")
    return entry


def bench_http(result: dict, admin, sets: dict, requests_n: int, port: int) -> None:
    """Pages through gunicorn (2 workers, the test settings: DEBUG off, throttles raised)."""
    cookie, auth = credentials(admin)
    with gunicorn(port):
        for scale in ("small", "full"):
            prefix = sets[scale]["prefix"]
            pages = [("dashboard page", f"/kpis/dashboard/?unit={prefix}", cookie),
                     ("/api/v1/scorecards/", f"/api/v1/scorecards/?org_unit={prefix}&grain=month", auth)]
            for name, url, headers in pages:
                result["http"].append(time_page(port, admin, name, scale, url, headers, requests_n))


def regional_leader(prefix: str):
    """The holder of the first region of the generated org (a leader: a fifth of the tree)."""
    from governance.models import User

    return User.objects.get(username=f"{prefix.lower()}.{prefix.lower()}-r1")


def bench_latency_http(result: dict, prefix: str, admin, requests_n: int, port: int) -> None:
    """The latency analytics page (decision latency and waiting time by party, its default: the last
    six months; and split by month), ``/api/v1/decision-analytics/?by=party`` (all time) and the
    decision list page (newest first, its default, and "due first", which no index orders) through
    gunicorn, as the admin (the whole tree) and as a regional leader."""
    leader = regional_leader(prefix)
    with gunicorn(port):
        for who, user in (("admin", admin), ("regional leader", leader)):
            cookie, auth = credentials(user)
            for name, url, headers in (("analytics page", "/decisions/analytics/", cookie),
                                       ("analytics page by month", "/decisions/analytics/?split=month", cookie),
                                       ("/api/v1/decision-analytics/?by=party",
                                        "/api/v1/decision-analytics/?by=party", auth),
                                       ("decision list page", "/decisions/list/", cookie),
                                       ("decision list page, due first", "/decisions/list/?sort=due", cookie)):
                result["http"].append(time_page(port, user, name, who, url, headers, requests_n))


def bench_decision_list(result: dict, admin, requests_n: int) -> None:
    """In-process with one test client under the bench URLconf (ours and the bare list)."""
    from django.test import Client, override_settings

    from governance.tokens import token_issue

    headers = {"HTTP_AUTHORIZATION": f"Token {token_issue(user=admin)[1]}"}
    rates = {}
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        for name, url in (("ours", "/api/v1/decisions/"), ("bare", "/bench/bare-decisions/")):
            status, queries = count_queries(client, url, **headers)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            for _ in range(5):
                client.get(url, **headers)
            start = time.perf_counter()
            for _ in range(requests_n):
                client.get(url, **headers)
            rates[name] = requests_n / (time.perf_counter() - start)
            rates[f"{name}_queries"] = queries
    log(f"decision list: ours {rates['ours']:.0f} req/s ({rates['ours_queries']} queries), "
        f"bare {rates['bare']:.0f} req/s ({rates['bare_queries']} queries)")
    result["operations"].append({
        "name": "decision list API (page of 100)", "unit": "req/s", "ours": rates["ours"], "limit": rates["bare"],
        "ratio": rates["ours"] / rates["bare"], "target": "≥ 50% of bare DRF (ratio ≥ 0.5)",
        "met": rates["ours"] / rates["bare"] >= 0.5, "queries": rates["ours_queries"],
        "bare_queries": rates["bare_queries"]})


# ----------------------------------------------------------------------------------------------
def parse(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--measurements", type=int, default=1_000_000)
    p.add_argument("--decisions", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--reuse", action="store_true", help="Keep the data set of this seed if it exists.")
    p.add_argument("--skip-verify", action="store_true",
                   help="Do not rebuild everything a second time to check the incremental rollup.")
    p.add_argument("--tiny-org", action="store_true", help="Generate a tenth of the org (smoke test).")
    p.add_argument("--no-http", action="store_true", help="Skip the gunicorn latency step (smoke test).")
    p.add_argument("--requests", type=int, default=120, help="Requests per page for latency / throughput.")
    p.add_argument("--import-rows", type=int, default=20_000)
    p.add_argument("--incremental-rounds", type=int, default=3,
                   help="Incremental rollups of 1,000 new measurements each (the median is reported).")
    p.add_argument("--skip-full-rollup", action="store_true",
                   help="Use the cells an earlier full run built (with --reuse): no full rollup, no verify.")
    p.add_argument("--only-incremental", action="store_true",
                   help="Only the incremental rollup, on cells an earlier full run built (with --reuse).")
    p.add_argument("--only-import", action="store_true",
                   help="Only the CSV import step (ours vs raw COPY vs COPY of the same writes): it needs no "
                        "rolled-up cells, so no rollup, sweep, dashboard or latency.")
    p.add_argument("--only-latency", action="store_true",
                   help="Only the latency-by-party step (function, analytics page, API): no rollup, sweep, "
                        "import or dashboard.")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--output", default=str(RESULTS / "latest.json"))
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse(argv)
    from governance.models import User

    started = time.perf_counter()
    result = {"started_at": datetime.now().astimezone().isoformat(), "machine": machine(), "args": vars(args),
              "operations": [], "http": []}
    sets = ensure_data(args)
    prefix = sets["full"]["prefix"]
    facts = data_facts(prefix)
    result["data"] = {"measurements": facts["measurements"], "decisions": facts["decisions"], "prefix": prefix}
    cleanup_bench_rows(prefix, facts["last_month"])
    admin = User.objects.get(username=f"{prefix.lower()}.admin")
    sweep_now = sweep_time(prefix)
    execute("ANALYZE")
    if args.only_latency:
        bench_latency(result, prefix, admin, args)
        return finish(result, args, started)
    if args.only_import:
        bench_import(result, admin, prefix, facts, min(args.import_rows, facts["measurements"]))
        cleanup_bench_rows(prefix, facts["last_month"])
        return finish(result, args, started)
    if args.only_incremental:
        bench_incremental(result, facts, admin, prefix, rounds=args.incremental_rounds)
        cleanup_bench_rows(prefix, facts["last_month"])
        return finish(result, args, started)
    if args.skip_full_rollup:
        bench_incremental(result, facts, admin, prefix, rounds=args.incremental_rounds)
    else:
        bench_rollup(result, facts, admin, prefix, skip_verify=args.skip_verify, rounds=args.incremental_rounds)
    cleanup_bench_rows(prefix, facts["last_month"])
    bench_sweep(result, prefix, sweep_now)
    bench_import(result, admin, prefix, facts, min(args.import_rows, facts["measurements"]))
    cleanup_bench_rows(prefix, facts["last_month"])
    if not args.no_http:
        bench_http(result, admin, sets, args.requests, args.port)
    bench_decision_list(result, admin, args.requests)
    bench_latency(result, prefix, admin, args)
    return finish(result, args, started)


def bench_latency(result: dict, prefix: str, admin, args) -> None:
    """(7) Latency by party: the function, then (unless ``--no-http``) the page and the API — live,
    with no snapshot to serve —, then the snapshot job and (unless ``--no-http``) the page's default
    view served from its snapshots."""
    from decisions.models import AnalyticsSnapshot

    bench_party_analytics(result, admin, prefix)
    AnalyticsSnapshot.objects.all().delete()  # the live figures first
    if not args.no_http:
        bench_latency_http(result, prefix, admin, args.requests, args.port)
    bench_analytics_snapshots(result, prefix, admin, args)


def bench_analytics_snapshots(result: dict, prefix: str, admin, args) -> None:
    """The snapshot job (``refresh_analytics_snapshots``: the default view for every scope key of
    the active internal users) timed once, its admin and regional-leader snapshots checked equal to
    the live figures as of the same instant, then the default page served from them."""
    from django.test import Client

    from decisions.models import AnalyticsSnapshot
    from decisions.services.analytics_snapshots import (
        analytics_scope_key,
        default_payload,
        payload_json,
        refresh_analytics_snapshots,
    )

    seconds, counts = timed(refresh_analytics_snapshots)
    leader = regional_leader(prefix)
    per_key = {}
    for who, user in (("admin", admin), ("regional leader", leader)):
        snap = AnalyticsSnapshot.objects.get(scope_key=analytics_scope_key(user))
        if snap.payload != payload_json(default_payload(user, snap.computed_at)):
            raise RuntimeError(f"the {who}'s snapshot differs from the live figures")
        per_key[who] = snap.seconds
    log(f"analytics snapshots: {counts['keys']:,} keys in {seconds:.1f} s (admin's key {per_key['admin']:.2f} s, "
        f"regional leader's {per_key['regional leader']:.2f} s); both equal to live")
    result["operations"].append({
        "name": f"analytics snapshots refresh ({counts['keys']:,} scope keys)", "unit": "s", "ours": seconds,
        "limit": None, "ratio": None, "target": "(context)", "met": None, **counts,
        "admin_key_s": per_key["admin"], "leader_key_s": per_key["regional leader"]})
    if args.no_http:
        return
    with gunicorn(args.port):
        for who, user in (("admin", admin), ("regional leader", leader)):
            client = Client()
            client.force_login(user)
            if b'data-testid="as-of"' not in client.get("/decisions/analytics/").content:
                raise RuntimeError(f"the {who}'s analytics page was not served from its snapshot")
            cookie, _ = credentials(user)
            result["http"].append(time_page(args.port, user, "analytics page from its snapshot", who,
                                            "/decisions/analytics/", cookie, args.requests))


def finish(result: dict, args, started: float) -> dict:
    result["seconds"] = time.perf_counter() - started
    from bench.report import markdown_table

    result["markdown"] = markdown_table(result)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(result["markdown"])
    log(f"done in {result['seconds']:.0f} s → {out}")
    return result


def sweep_time(prefix: str) -> datetime:
    """The generator's clock: overdue decisions were due 1–600 minutes before it and the open ones
    warn after it, so the sweep sees the same ~1% overdue however long ago the data was made."""
    from decisions.models import Decision

    latest = Decision.objects.filter(org_unit__code__startswith=prefix, status="open",
                                     warn_at__isnull=False).order_by("-clock_started_at").values_list(
        "clock_started_at", flat=True).first()
    return latest + timedelta(minutes=1) if latest else datetime.now().astimezone()

