# ruff: noqa: S608 - SQL assembled from model table names only, never from input
"""Load a large, realistic data set for benchmarks (PostgreSQL only).

    manage.py generate_scale_data --measurements 10000000 --decisions 1000000 [--seed 7] [--replace]

Adds, beside whatever the database holds, a second org tree ``<P>`` > 5 regions > 25 clusters >
470 markets (codes ``<P>-…`` with ``P = SX<seed>``, so they never clash with demo or real codes),
~200 KPIs of every aggregation (a quarter each of sum/average/ratio/latest), ~2,000 partners and
partnerships in 1–3 markets each co-owning 20 KPIs, cluster targets for the last 24 months, N
measurements over 60 months (market × KPI series first, then partnership series) and M decisions
(~95% decided, ~4% open within their SLA, ~1% overdue with their deadline passed an hour ago) with
one "decide" participant and one "logged" event each, decided on the market's 24×7 clock and
escalating to the cluster's holder of the deciding function, and their stage intervals (issue 18):
the decider's, plus waits on the requester, on the market's and cluster's functions and on the
partner (~3.3 intervals per decision, ``_stage_intervals``).

Speed: foreign-key triggers are skipped for the load when connected as a superuser (see
``_skip_fk_triggers``); small reference rows go in with ``bulk_create``; measurements, targets, decisions, their
participants and events stream through psycopg 3 ``COPY … FROM STDIN`` in the unique index's
order (so index maintenance appends instead of splitting pages). Scale rows carry no
django-simple-history rows (as after a restore). The rollup is marked as needing a full run
(``DirtyCell`` is left alone; run ``manage.py rollup_scorecards --full``): printed at the end.

It lives in reports, the app above all others, because it writes every app's rows (governance, the
ground floor, imports no app above it).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from knox.models import AuthToken

from decisions.models import (
    Chase,
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionPause,
    DecisionStage,
    DecisionType,
    Escalation,
    MatrixCell,
    MatrixVersion,
)
from governance.models import Assignment, Function, Notification, OrgUnit, OrgUnitClosure, Role, SecurityEvent, User
from governance.periods import month_shift
from kpis.models import KPI, KPIOwnership, Measurement, ScorecardCell, Target
from partners.models import Partner, Partnership

REGIONS = 5
CLUSTERS_PER_REGION = 5
MARKETS = 470
KPIS = 200
PARTNERSHIPS = 2000
KPIS_PER_PARTNERSHIP = 20
MONTHS = 60
TARGET_MONTHS = 24
AGGREGATIONS = ("sum", "average", "ratio", "latest")
SLA_HOURS = 40
CHUNK = 50_000


def prefix_for(seed: int) -> str:
    return f"SX{seed}"


class Command(BaseCommand):
    help = "Load a large benchmark data set: org tree, KPIs, partnerships, measurements, decisions."

    def add_arguments(self, parser):
        parser.add_argument("--measurements", type=int, default=1_000_000)
        parser.add_argument("--decisions", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--replace", action="store_true", help="Delete this seed's data set first.")
        parser.add_argument("--tiny", action="store_true", help="A tenth of the org (smoke tests).")

    def handle(self, *args, **opts):
        summary = generate(measurements=opts["measurements"], decisions=opts["decisions"], seed=opts["seed"],
                           replace=opts["replace"], log=self.stdout.write, tiny=opts["tiny"])
        self.stdout.write(self.style.SUCCESS(
            " ".join(f"{k}={v}" for k, v in summary.items())
            + "\nThe scorecard rollup needs a full run: manage.py rollup_scorecards --full"))


def _copy(table: str, columns: list[str], rows) -> int:
    """Stream ``rows`` (tuples, already text or None) with COPY; returns the count."""
    n = 0
    with connection.cursor() as cur:
        raw = cur.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buf = []
            for row in rows:
                buf.append("\t".join("\\N" if v is None else v for v in row))
                n += 1
                if len(buf) >= CHUNK:
                    copy.write("\n".join(buf) + "\n")
                    buf.clear()
            if buf:
                copy.write("\n".join(buf) + "\n")
    return n


def delete_scale_data(prefix: str) -> None:
    """Remove a previous data set of this prefix, children first, in set-based DELETEs (the ORM's
    cascade collector would load every row)."""
    t = lambda model: model._meta.db_table  # noqa: E731
    units = f"SELECT id FROM {t(OrgUnit)} WHERE code = %(p)s OR code LIKE %(like)s"
    users = f"SELECT id FROM {t(User)} WHERE username LIKE %(ulike)s"
    decisions = f"SELECT id FROM {t(Decision)} WHERE org_unit_id IN ({units})"
    pships = (f"SELECT s.id FROM {t(Partnership)} s JOIN {t(Partner)} p ON p.id = s.partner_id "
              f"WHERE p.name LIKE %(plike)s")
    kpis = f"SELECT id FROM {t(KPI)} WHERE code LIKE %(klike)s"
    dtypes = f"SELECT id FROM {t(DecisionType)} WHERE code LIKE %(like)s"
    statements = [
        *(f"DELETE FROM {t(m)} WHERE decision_id IN ({decisions})" for m in (DecisionEvent, DecisionParticipant,
                                                                            Escalation, DecisionStage, Chase,
                                                                            DecisionPause)),
        f"DELETE FROM {t(Decision)} WHERE org_unit_id IN ({units})",
        *(f"DELETE FROM {t(m)} WHERE org_unit_id IN ({units})" for m in (Measurement, Target, ScorecardCell)),
        f"DELETE FROM {t(Notification)} WHERE recipient_id IN ({users})",
        f"DELETE FROM {t(AuthToken)} WHERE user_id IN ({users})",
        f"DELETE FROM {t(SecurityEvent)} WHERE user_id IN ({users})",
        f"DELETE FROM {t(KPIOwnership)} WHERE kpi_id IN ({kpis}) OR partnership_id IN ({pships})",
        f"DELETE FROM {t(Partnership.org_units.through)} WHERE partnership_id IN ({pships})",
        f"DELETE FROM {t(Partnership)} WHERE id IN ({pships})",
        f"DELETE FROM {t(Partner)} WHERE name LIKE %(plike)s",
        f"DELETE FROM {t(KPI)} WHERE code LIKE %(klike)s",
        f"DELETE FROM {t(MatrixCell)} WHERE decision_type_id IN ({dtypes})",
        f"DELETE FROM {t(DecisionType)} WHERE code LIKE %(like)s",
        f"DELETE FROM {t(Assignment)} WHERE user_id IN ({users})",
        f"DELETE FROM {t(User)} WHERE username LIKE %(ulike)s",
        f"DELETE FROM {t(Function)} WHERE code LIKE %(like)s",
        f"DELETE FROM {t(OrgUnitClosure)} WHERE descendant_id IN ({units})",
        *(f"DELETE FROM {t(OrgUnit)} WHERE level = '{lv}' AND (code = %(p)s OR code LIKE %(like)s)"
          for lv in ("market", "cluster", "region", "global")),
    ]
    args = {"p": prefix, "like": f"{prefix}-%", "ulike": f"{prefix.lower()}.%", "plike": f"{prefix} %",
            "klike": f"{prefix}-K%"}
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql, args)


def _skip_fk_triggers() -> None:
    """Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: at COMMIT PostgreSQL would check
    every copied row one by one (docs/benchmarks.md#figures-behind-code-comments). The rows are
    consistent by construction, so, as pg_restore --disable-triggers does, a superuser skips those
    checks for this transaction only."""
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cur.fetchone()[0]:
            cur.execute("SET LOCAL session_replication_role = replica")


@transaction.atomic
def generate(*, measurements: int, decisions: int, seed: int = 7, replace: bool = False,
             now: datetime | None = None, log=print, tiny: bool = False) -> dict:
    """``tiny``: a tenth of the org (47 markets, 20 KPIs, 50 partnerships, 6 target months) for
    smoke tests; the shape and every code path stay the same."""
    n_markets, n_kpis, n_pships, n_target_months, per_pship = (
        (47, 20, 50, 6, 5) if tiny else (MARKETS, KPIS, PARTNERSHIPS, TARGET_MONTHS, KPIS_PER_PARTNERSHIP))
    rnd = random.Random(seed)
    prefix = prefix_for(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    started = time.perf_counter()
    _skip_fk_triggers()
    if OrgUnit.objects.filter(code=prefix).exists():
        if not replace:
            raise CommandError(f"Data set {prefix} exists already: pass --replace (or another --seed).")
        delete_scale_data(prefix)
        log(f"deleted the previous {prefix} data set ({time.perf_counter() - started:.1f}s)")

    # --- org tree, functions, users and their assignments ------------------------------------
    root = OrgUnit.objects.create(code=prefix, name=f"Scale {seed} Global", level="global")
    regions = OrgUnit.objects.bulk_create(
        [OrgUnit(code=f"{prefix}-R{r}", name=f"Scale region {r}", level="region", parent=root)
         for r in range(1, REGIONS + 1)])
    clusters = OrgUnit.objects.bulk_create(
        [OrgUnit(code=f"{reg.code}C{c}", name=f"Scale cluster {reg.code[-1]}.{c}", level="cluster", parent=reg)
         for reg in regions for c in range(1, CLUSTERS_PER_REGION + 1)])
    markets = OrgUnit.objects.bulk_create(
        [OrgUnit(code=f"{clusters[i % len(clusters)].code}M{i:03d}", name=f"Scale market {i:03d}", level="market",
                 parent=clusters[i % len(clusters)], timezone="Europe/Berlin")
         for i in range(n_markets)])
    units = [root, *regions, *clusters, *markets]
    parent = {u.pk: u.parent_id for u in units}
    closure = []
    for u in units:
        depth, cursor = 0, u.pk
        while cursor is not None:
            closure.append(OrgUnitClosure(ancestor_id=cursor, descendant_id=u.pk, depth=depth))
            cursor, depth = parent[cursor], depth + 1
    OrgUnitClosure.objects.bulk_create(closure, batch_size=5000)

    functions = Function.objects.bulk_create(
        [Function(code=f"{prefix}-{c}", name=f"Scale {c.lower()}") for c in ("SALES", "MEDICAL", "ACCESS", "FINANCE")])
    decider_fn = functions[0]
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"{prefix.lower()}.{u.code.lower()}", role=Role.MANAGER if u.level == "market" else Role.LEADER,
              password=unusable, first_name="Holder", last_name=u.code) for u in units])
    holder = {u.pk: usr.pk for u, usr in zip(units, users, strict=True)}
    Assignment.objects.bulk_create([Assignment(user_id=holder[u.pk], function=decider_fn, org_unit=u) for u in units])
    admin = User.objects.create(username=f"{prefix.lower()}.admin", role=Role.ADMIN, password=unusable,
                                first_name="Bench", last_name="Admin")

    # --- KPIs, partnerships, ownerships ---------------------------------------------------------
    kpis = KPI.objects.bulk_create(
        [KPI(code=f"{prefix}-K{i:03d}", name=f"Scale KPI {i:03d} ({AGGREGATIONS[i % 4]})",
             aggregation=AGGREGATIONS[i % 4], direction="lower" if i % 7 == 0 else "higher",
             category=("launch", "adoption", "access", "acceleration", "other")[i % 5],
             unit="%" if AGGREGATIONS[i % 4] == "ratio" else "EUR",
             kind="percent" if AGGREGATIONS[i % 4] == "ratio" else "currency")
         for i in range(n_kpis)])
    partners = Partner.objects.bulk_create(
        [Partner(name=f"{prefix} partner {i:04d}", kind="distributor") for i in range(n_pships)])
    start = month_shift(date(now.year, now.month, 1), -MONTHS)  # 60 months ending last month
    pships = Partnership.objects.bulk_create(
        [Partnership(partner=p, name=f"{p.name} distribution", type="distribution", owner_function=functions[i % 4],
                     start=start, owner_id=holder[root.pk]) for i, p in enumerate(partners)])
    through = Partnership.org_units.through
    pship_markets: dict[int, list[OrgUnit]] = {}
    links = []
    for p in pships:
        chosen = rnd.sample(markets, rnd.choice((1, 2, 2, 3)))
        pship_markets[p.pk] = chosen
        links.extend(through(partnership_id=p.pk, orgunit_id=m.pk) for m in chosen)
    through.objects.bulk_create(links, batch_size=5000)
    ownerships = [KPIOwnership(kpi=k, function=functions[i % 4], weight=1) for i, k in enumerate(kpis)]
    ownerships += [KPIOwnership(kpi=k, function=functions[(i + 1) % 4], weight=0.5)
                   for i, k in enumerate(kpis) if i % 3 == 0]
    pship_kpis: dict[int, list[KPI]] = {}
    for p in pships:
        pship_kpis[p.pk] = rnd.sample(kpis, per_pship)
        ownerships.extend(KPIOwnership(kpi=k, partnership=p, weight=1) for k in pship_kpis[p.pk])
    KPIOwnership.objects.bulk_create(ownerships, batch_size=5000)

    # --- measurements: series (market, kpi, partnership) × 60 months, streamed in index order ----
    months = [month_shift(start, i) for i in range(MONTHS)]
    series = [(m.pk, k.pk, 0) for m in markets for k in kpis]
    rnd.shuffle(series)
    extra = [(m.pk, k.pk, p.pk) for p in pships for m in pship_markets[p.pk] for k in pship_kpis[p.pk]]
    rnd.shuffle(extra)
    wanted = -(-measurements // MONTHS)
    chosen = (series + extra)[:wanted]
    if len(chosen) < wanted:
        raise CommandError(f"At most {len(series + extra) * MONTHS} measurements fit this org.")
    chosen.sort()
    aggregation = {k.pk: k.aggregation for k in kpis}
    entered = now.isoformat()
    period_text = [m.isoformat() for m in months]
    factor = [1 + 0.15 * ((i % 12) - 5.5) / 5.5 + 0.004 * i for i in range(MONTHS)]

    def measurement_rows():
        left = measurements
        for unit_id, kpi_id, pkey in chosen:
            u, k, p = str(unit_id), str(kpi_id), str(pkey)
            pid = p if pkey else None
            base = rnd.uniform(50, 5000)
            ratio = aggregation[kpi_id] == "ratio"
            for i in range(min(MONTHS, left)):
                v = base * factor[i] * (0.9 + 0.2 * rnd.random())
                if ratio:
                    den = v * 2 + 1
                    yield (k, u, pid, p, period_text[i], f"{v / den:.6f}", f"{v:.2f}", f"{den:.2f}", "scale",
                           None, entered)
                else:
                    yield (k, u, pid, p, period_text[i], f"{v:.2f}", None, None, "scale", None, entered)
            left -= MONTHS

    t0 = time.perf_counter()
    n_meas = _copy(Measurement._meta.db_table,
                   ["kpi_id", "org_unit_id", "partnership_id", "partnership_key", "period", "value", "numerator",
                    "denominator", "source", "entered_by_id", "entered_at"], measurement_rows())
    log(f"measurements: {n_meas} rows in {time.perf_counter() - t0:.1f}s")

    # --- targets: every cluster × KPI for the last 24 months ---------------------------------
    markets_in = {c.pk: sum(1 for m in markets if m.parent_id == c.pk) for c in clusters}

    def target_rows():
        for c in clusters:
            for k in kpis:
                scale = markets_in[c.pk] if k.aggregation in ("sum", "latest") else 1
                base = rnd.uniform(0.3, 3) * 2500 * scale if k.aggregation != "ratio" else rnd.uniform(0.3, 0.5)
                for m in months[-n_target_months:]:
                    yield (str(k.pk), str(c.pk), None, "0", m.isoformat(), f"{base:.6f}", "1.000", "0.900")

    n_targets = _copy(Target._meta.db_table, ["kpi_id", "org_unit_id", "partnership_id", "partnership_key", "period",
                                              "value", "green_at", "red_at"], target_rows())

    # --- decisions ---------------------------------------------------------------------------
    n_dec = _decisions(decisions, rnd=rnd, prefix=prefix, now=now, markets=markets, holder=holder,
                       decider_fn=decider_fn, pships=pship_markets, log=log, functions=functions)
    connection.cursor().execute(f"ANALYZE {Measurement._meta.db_table}")
    return {"prefix": prefix, "units": len(units), "kpis": len(kpis), "partnerships": len(pships),
            "measurements": n_meas, "targets": n_targets, "decisions": n_dec, "admin": admin.username,
            "seconds": round(time.perf_counter() - started, 1)}


def _decisions(count: int, *, rnd: random.Random, prefix: str, now: datetime, markets, holder, decider_fn, pships,
               log, functions) -> int:
    dtype = DecisionType.objects.create(code=f"{prefix}-PRICE", name=f"Scale pricing ({prefix})",
                                        decided_at_level="market", sla_hours=SLA_HOURS, calendar="24x7")
    version = MatrixVersion.objects.order_by("-number").first()
    if version is None:
        version = MatrixVersion.objects.create(number=1, effective_at=now - timedelta(days=3650), created_at=now)
    # A new type's cells join the version in force: no other type's rights change.
    MatrixCell.objects.create(version=version, decision_type=dtype, function=decider_fn, role="D")
    table = Decision._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first_id = cur.fetchone()[0] + 1
    by_market = {}
    for pid, ms in pships.items():
        for m in ms:
            by_market.setdefault(m.pk, []).append(pid)
    sla = timedelta(hours=SLA_HOURS)
    warn = timedelta(hours=SLA_HOURS * 0.75)
    iso = datetime.isoformat
    plan = []  # (id, market, requested_at, state)
    for i in range(count):
        r = rnd.random()
        state = "overdue" if r < 0.01 else "open" if r < 0.05 else "decided"
        plan.append((first_id + i, markets[i % len(markets)], state))

    def decision_rows():
        for did, m, state in plan:
            u = holder[m.pk]
            p = by_market.get(m.pk)
            pid = str(p[did % len(p)]) if p and did % 4 == 0 else None
            if state == "overdue":
                due = now - timedelta(minutes=rnd.randint(1, 600))
                started = due - sla
                warn_at, nxt = None, iso(due)
            elif state == "open":
                started = now - timedelta(minutes=rnd.randint(1, int(SLA_HOURS * 0.7 * 60)))
                due = started + sla
                warn_at = iso(started + warn)
                nxt = warn_at
            else:
                started = now - timedelta(days=rnd.uniform(30, 1800))
                due = started + sla
                warn_at, nxt = None, None
            decided = state == "decided"
            yield (str(did), f"Price change {did}", "", str(dtype.pk), str(m.pk), pid, "normal", "[]",
                   "decided" if decided else "open", str(version.pk), str(u), iso(started), str(u),
                   str(decider_fn.pk), str(m.pk), "0", "f", iso(started), iso(due), iso(due), warn_at, nxt,
                   str(u) if decided else None, iso(started + sla * rnd.uniform(0.1, 1.2)) if decided else None,
                   "Approved" if decided else "", "")

    t0 = time.perf_counter()
    n = _copy(table, ["id", "title", "description", "decision_type_id", "org_unit_id", "partnership_id", "priority",
                      "options", "status", "matrix_version_id", "requested_by_id", "requested_at", "decider_id",
                      "decider_function_id", "deciding_unit_id", "escalation_level", "escalation_exhausted",
                      "clock_started_at", "sla_due_at", "due_at", "warn_at", "next_deadline_at", "decided_by_id",
                      "decided_at", "outcome", "rationale"], decision_rows())
    with connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first_id + count])
        # One "decide" participant and one "logged" event per decision, set-based from the rows above.
        cur.execute(
            f"INSERT INTO {DecisionParticipant._meta.db_table} (decision_id, user_id, function_id, org_unit_id, role, "
            f"level, input_text, comment) SELECT id, decider_id, decider_function_id, deciding_unit_id, 'D', 0, '', '' "
            f"FROM {table} WHERE id >= %s", [first_id])
        cur.execute(
            f"INSERT INTO {DecisionEvent._meta.db_table} (decision_id, kind, actor_id, at, level, message, data) "
            f"SELECT id, 'logged', requested_by_id, requested_at, 0, '', '{{}}'::jsonb FROM {table} WHERE id >= %s",
            [first_id])
        # Its stage intervals (issue 18): each decision waited on its decider from the request to the
        # decision (24×7: business seconds are elapsed seconds) ...
        cur.execute(
            f"INSERT INTO {DecisionStage._meta.db_table} (decision_id, stage, party_kind, party_key, function_id, "
            f"org_unit_id, level, round, started_at, ended_at, business_seconds) "
            f"SELECT id, 'decision', 'function', 'function:' || decider_function_id || '@' || deciding_unit_id, "
            f"decider_function_id, deciding_unit_id, 0, 1, requested_at, decided_at, "
            f"EXTRACT(EPOCH FROM decided_at - requested_at)::bigint FROM {table} WHERE id >= %s", [first_id])
        # ... and, inside that span, on the other parties (``_stage_intervals``).
        _stage_intervals(cur, first_id=first_id, now=now, functions=functions)
        cur.execute(f"ANALYZE {table}")
    log(f"decisions: {n} rows (+ participants, events) in {time.perf_counter() - t0:.1f}s")
    return n


# The waits inside a decision's span [requested, decided or now], as fractions of it: (stage, party
# kind, function index or None, at the market / its cluster, starts at, ends at, which decisions).
# h1, h2: two per-decision pseudo-random numbers in [0, 1) from its id (deterministic, no RNG state).
STAGE_SHAPES = (
    ("drafting", "requester", None, None, "0.0", "0.02 + 0.08 * h1", "d.id %% 5 = 0"),
    ("input", "function", 1, "m", "0.1", "0.15 + 0.4 * h1", "d.id %% 2 = 0"),
    ("agree", "function", 2, "m", "0.1", "0.2 + 0.6 * h2", "TRUE"),
    ("agree", "function", 3, "c", "0.1", "0.15 + 0.7 * h1 * h2", "d.id %% 3 = 0"),
    ("paused", "partner", None, None, "0.5", "0.55 + 0.3 * h2", "d.partner_id IS NOT NULL AND d.id %% 8 = 0"),
    ("paused", "function", 3, "c", "0.6", "0.62 + 0.2 * h1", "d.id %% 10 = 3"),
)


def _stage_intervals(cur, *, first_id: int, now: datetime, functions) -> None:
    """Set-based, one INSERT … SELECT: several intervals per decision besides the decider's — the
    requester drafting (1 in 5), input from the market's medical function (1 in 2), agreement from
    its access function (all) and its cluster's finance function (1 in 3), a pause on the partner
    (half of the partnership decisions) or on the cluster's finance review (1 in 10): ~3.3 intervals
    per decision in all. Open decisions keep their later waits open (still waiting now)."""
    shapes = []
    for stage, kind, fn, at, lo, hi, keep in STAGE_SHAPES:
        fn_sql = str(functions[fn].pk) if fn is not None else "NULL"
        unit_sql = f"d.{at}" if at else "NULL"
        partner_sql = "d.partner_id" if kind == "partner" else "NULL"
        key = {"function": f"'function:{fn_sql}@' || {unit_sql}", "partner": "'partner:' || d.partner_id",
               "requester": "'requester'"}[kind]
        shapes.append(f"('{stage}', '{kind}', {key}, {fn_sql}::int, {unit_sql}::int, {partner_sql}::int, "
                      f"({lo})::float8, ({hi})::float8, {keep})")
    cur.execute(
        f"WITH d AS (SELECT d.id, d.requested_at AS r, COALESCE(d.decided_at, %(now)s) - d.requested_at AS span, "
        f"d.decided_at IS NULL AS open, d.org_unit_id AS m, u.parent_id AS c, p.partner_id, "
        f"(d.id * 2654435761 %% 1000003) / 1000003.0 AS h1, (d.id * 40503 %% 10007) / 10007.0 AS h2 "
        f"FROM {Decision._meta.db_table} d JOIN {OrgUnit._meta.db_table} u ON u.id = d.org_unit_id "
        f"LEFT JOIN {Partnership._meta.db_table} p ON p.id = d.partnership_id WHERE d.id >= %(first)s), "
        f"s AS (SELECT d.id, v.*, d.r + v.lo * d.span AS started, "
        f"CASE WHEN d.open AND v.hi >= 0.5 THEN NULL ELSE d.r + v.hi * d.span END AS ended "
        f"FROM d CROSS JOIN LATERAL (VALUES {', '.join(shapes)}) "
        f"v(stage, kind, key, fn, unit, partner, lo, hi, keep) WHERE v.keep) "
        f"INSERT INTO {DecisionStage._meta.db_table} (decision_id, stage, party_kind, party_key, function_id, "
        f"org_unit_id, partner_id, level, round, started_at, ended_at, business_seconds) "
        f"SELECT id, stage, kind, key, fn, unit, partner, 0, 1, started, ended, "
        f"round(EXTRACT(EPOCH FROM ended - started))::bigint FROM s ORDER BY id",
        {"now": now, "first": first_id})
    cur.execute(f"ANALYZE {DecisionStage._meta.db_table}")
