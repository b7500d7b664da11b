"""Load: 50 concurrent users against gunicorn on 127.0.0.1 — managers logging and acting on
decisions through the API, partners posting measurements, leaders opening dashboards and pages.

0 errors (5xx or an unexpected 4xx) and every acknowledged write is in the database afterwards.
The server runs as deployed: the production settings (``governance.settings``, DEBUG off, the
compose file's environment), static files hashed and compressed by the image's ``collectstatic``,
and gunicorn with docker-compose.yml's ``web`` command (``ops.deployment``); requests arrive as from
the TLS proxy (``X-Forwarded-Proto: https``) and as from a browser (``Accept-Encoding: gzip``).
``ACCORD_LOAD_GUNICORN`` replaces gunicorn's worker options to compare others (e.g.
``"--workers 2 --threads 8 --worker-class gthread"``).

``ACCORD_LOAD_THINK`` sets each user's pause between steps (default ``0.05-0.4`` seconds: the
machine saturated; ``make load`` also runs ``0.3-1.0``, whose report ends in ``-paced``).
``ACCORD_LOAD_SECONDS`` (default 20: the smoke run of ``make reliability``; ``make load`` runs 120
per run) and ``ACCORD_LOAD_MAX_REQUESTS`` bound the run. Figures go to
``test-artifacts/load-report.json`` and ``.md`` (``-paced``, ``-smoke``, ``-custom-gunicorn``, ``-N-users``
added to the name for a run unlike ``make load``'s first) — throughput, p50/p95/p99 per request type and
over all, and the CPU share of the web server, the worker, PostgreSQL, the load generator and the
rest of the machine; docs/benchmarks.md quotes ``make load`` runs.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client as DjangoClient

from ops.deployment import read_compose, read_image
from tests.load import loadgen
from tests.load.cpu import CpuMeter
from tests.load.loadgen import Client
from tests.reliability.kpi_data import (
    PARTNER_KPIS,
    no_enqueue,
    seed_actuals,
    seed_kpis,
    seed_partner_kpis,
    seed_targets,
)
from tests.reliability.support import (
    RUN_QUEUE,
    Proc,
    free_port,
    http_status,
    pytest_db_url,
    shared_redis_url,
    start_worker,
    wait_until,
    wait_worker_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

DURATION = float(os.environ.get("ACCORD_LOAD_SECONDS", "20"))
MAX_REQUESTS = int(os.environ.get("ACCORD_LOAD_MAX_REQUESTS", "200000"))
USERS = {"manager": 20, "partner": 15, "leader": 15}  # 50 concurrent users
if os.environ.get("ACCORD_LOAD_USERS"):  # e.g. "manager=1,partner=1,leader=1" for an unloaded baseline
    USERS = {k: int(v) for k, v in (p.split("=") for p in os.environ["ACCORD_LOAD_USERS"].split(","))}
# Each user's pause between two steps, uniform in [low, high] seconds: DEFAULT_THINK (the users
# saturate the machine) unless ``ACCORD_LOAD_THINK`` says otherwise ("0.3-1.0": ``make load``'s
# paced run, latency at the throughput issue 22 asks for).
DEFAULT_THINK = (0.05, 0.4)
THINK = (tuple(float(s) for s in os.environ["ACCORD_LOAD_THINK"].split("-")) if os.environ.get("ACCORD_LOAD_THINK")
         else DEFAULT_THINK)
SMOKE_BELOW_SECONDS = 60  # a shorter run is a smoke run (make reliability), not a measurement
# Worker options replacing the compose file's (--workers N, --threads N, --worker-class K).
GUNICORN_OVERRIDE = os.environ.get("ACCORD_LOAD_GUNICORN", "").split()
REDIS_DB = 11
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def load_cast(holders, price_exception, partner_user, partner_a, functions, org, monkeypatch):
    from governance.tokens import token_issue
    from kpis.services.rollup import rollup_full

    no_enqueue(monkeypatch)
    kpis = seed_kpis(functions)
    seed_targets(kpis, org)
    seed_actuals(holders["admin"], kpis, org)
    seed_partner_kpis(functions, partner_a, LOAD_PARTNER_KPIS)
    rollup_full()
    # A deployed database has planner statistics (autovacuum); this machine's server may run
    # without autovacuum, and plans made for empty tables cost PostgreSQL several times the CPU.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    def token(user):
        return token_issue(user=user)[1]

    markets = {
        "DE": (holders["manager_de"], holders["compliance_de"]),
        "AT": (holders["sales_at"], holders["compliance_at"]),
        "JP": (holders["manager_jp"], holders["compliance_jp"]),
    }
    return {
        "markets": {code: (token(decider), token(agreer)) for code, (decider, agreer) in markets.items()},
        "partner": {"token": token(partner_user), "user": partner_user, "partnership": partner_a},
        "leaders": [holders["leader"], holders["sales_global"]],
    }


def manager(port: int, market: str, tokens: tuple[str, str]):
    """Logs a price exception, lists open decisions, Compliance agrees, and most get decided."""
    decider_token, agreer_token = tokens

    def behaviour(stats, rng):
        me, compliance = Client(port, stats, token=decider_token), Client(port, stats, token=agreer_token)
        n = 0
        while True:
            n += 1
            d = me.json("API log decision (POST)", "POST", "/api/v1/decisions/", expect=(201,), body={
                "title": f"Load {market} {rng.randrange(10**9)} #{n}", "decision_type": "PRICE_EXC",
                "org_unit": market, "priority": rng.choice(["normal", "high"]),
                "options": [{"option": "Approve", "pros": "Win the tender", "cons": "Margin"}]})
            stats.ack("decision", d["id"])
            yield
            me.json("API list open decisions", "GET", "/api/v1/decisions/?status=open&page_size=25")
            yield
            compliance.json("API agree (POST)", "POST", f"/api/v1/decisions/{d['id']}/agree/",
                            body={"agree": True, "comment": "Within the compliance policy."})
            stats.ack("agree", d["id"])
            yield
            if rng.random() < 0.7:
                me.json("API decide (POST)", "POST", f"/api/v1/decisions/{d['id']}/decide/",
                        body={"outcome": "Approved", "rationale": "Tender volume justifies it."})
                stats.ack("decide", d["id"])
                yield
            me.json("API decision detail", "GET", f"/api/v1/decisions/{d['id']}/")
            yield

    return behaviour


def leader(port: int, session: str, pages: list[str]):
    def behaviour(stats, rng):
        me = Client(port, stats)
        me.cookies["sessionid"] = session
        while True:
            path = rng.choice(pages)
            me.request(f"page {path.split('?')[0]}", "GET", path)
            yield

    return behaviour


# The partner's KPIs: four, 1,292 KPI-months up to 2026-11 (two minutes at 11 posts a second).
LOAD_PARTNER_KPIS = (*PARTNER_KPIS, ("PARTNER_VISITS", "Partner visits"), ("PARTNER_QUOTES", "Partner quotes"))


def partner_keys(today: date) -> list[tuple[str, str]]:
    """Every (KPI, month) the partner may post, oldest first: from January 2000 (periods begin in
    2000) to last month — actuals of a month that has not begun are refused, and ``today``'s month
    may not have begun in every zone."""
    months = (today.year - 2000) * 12 + today.month - 1
    return [(code, f"{2000 + m // 12}-{m % 12 + 1:02d}") for m in range(months) for code, _ in LOAD_PARTNER_KPIS]


def partner(port: int, session: str, token: str, partnership_id: int, keys):
    """Posts its partnership's actuals (a new KPI-month each time; once every month is posted, the
    first ones again: corrections) and opens its partnership page."""

    def behaviour(stats, rng):
        me, api = Client(port, stats), Client(port, stats, token=token)
        me.cookies["sessionid"] = session
        while True:
            key = next(keys)
            value = rng.randrange(1, 500)
            # random values, confirmed: the plausibility check (issue 15) would question most of them
            m = api.json("API post measurement (POST)", "POST", "/api/v1/measurements/?confirm=true",
                         expect=(201,), body={
                "kpi": key[0], "org_unit": "DE", "partnership": partnership_id, "period": key[1], "value": value})
            stats.ack("measurement", (m["id"], key, value))  # a correction's value replaces the first's
            yield
            me.request("page partnership (partner)", "GET", f"/partners/partnerships/{partnership_id}/")
            yield

    return behaviour


def _session(user) -> str:
    client = DjangoClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


LEADER_PAGES = ["/kpis/dashboard/?unit=EMEA&period=2025-12", "/kpis/dashboard/?unit=DACH&period=2025-12",
                "/kpis/kpi/NET_SALES/?unit=DACH&period=2025-12", "/decisions/list/", "/decisions/analytics/",
                "/partners/", "/decisions/queue/"]


def test_fifty_concurrent_users_no_errors_and_every_acknowledged_write_stored(load_cast, processes, tmp_path):
    from decisions.models import Decision, DecisionParticipant, DecisionStatus
    from kpis.models import Measurement

    env = production_env(tmp_path)
    port = free_port()
    web_cmd = gunicorn_command(port)
    web = processes.add(Proc("gunicorn", web_cmd, env, tmp_path))
    wait_until(lambda: http_status(port, "/healthz") == 200 or not web.alive(), timeout=60, what="gunicorn")
    assert web.alive(), web.log()
    worker = processes.add(start_worker("worker", env, tmp_path, concurrency=1))
    wait_worker_ready(worker)

    behaviours = []
    markets = list(load_cast["markets"].items())
    for i in range(USERS["manager"]):
        code, tokens = markets[i % len(markets)]
        behaviours.append(manager(port, code, tokens))
    partner_session = _session(load_cast["partner"]["user"])
    # Shared by the partner threads: every post is a new key until all are posted, then a correction.
    keys = itertools.cycle(partner_keys(date.today()))
    for _ in range(USERS["partner"]):
        behaviours.append(partner(port, partner_session, load_cast["partner"]["token"],
                                  load_cast["partner"]["partnership"].pk, keys))
    leader_sessions = [_session(u) for u in load_cast["leaders"]]
    for i in range(USERS["leader"]):
        behaviours.append(leader(port, leader_sessions[i % len(leader_sessions)], LEADER_PAGES))
    assert len(behaviours) == sum(USERS.values())

    with CpuMeter({"web (gunicorn)": web.pid, "worker (celery)": worker.pid},
                  database=connection.settings_dict["NAME"]) as cpu:
        stats, elapsed = loadgen.run(behaviours, duration=DURATION, max_requests=MAX_REQUESTS, think=THINK)
    assert web.alive()
    assert not stats.errors, f"{len(stats.errors)} errors, e.g. {stats.errors[:5]}"

    acked = stats.acknowledged
    decisions = set(acked["decision"])
    assert decisions and Decision.objects.filter(pk__in=decisions).count() == len(decisions)
    assert Decision.objects.count() == len(decisions), "a write happened that was not acknowledged"
    agreed = set(acked["agree"])
    assert (DecisionParticipant.objects.filter(decision__in=agreed, role="A", agreed=True)
            .values("decision").distinct().count() == len(agreed))
    decided = set(acked["decide"])
    assert Decision.objects.filter(pk__in=decided, status=DecisionStatus.DECIDED).count() == len(decided)
    posted = {pk: value for pk, _key, value in acked["measurement"]}
    assert posted, "partners posted no measurement"
    stored = dict(Measurement.objects.filter(pk__in=posted).values_list("pk", "value"))
    assert {pk: float(v) for pk, v in stored.items()} == {pk: float(v) for pk, v in posted.items()}
    assert Measurement.objects.filter(partnership=load_cast["partner"]["partnership"]).count() == len(posted)

    report = {
        "duration_s": round(elapsed, 1), "users": USERS, "gunicorn": " ".join(web_cmd[web_cmd.index("--bind"):]),
        "think_s": THINK, "requests": stats.requests, "cpu": cpu.report(),
        "throughput_rps": round(stats.requests / elapsed, 1), "errors": len(stats.errors),
        "acknowledged_writes": {k: len(v) for k, v in acked.items()}, "table": stats.table(),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "python": interpreter(), "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": commit(),
    }
    _write_report(report)
    print(json.dumps(report, indent=1))


def production_env(tmp_path: Path) -> dict:
    """The compose file's environment with this run's database, Redis, queue and cache prefix, and
    the image's ``collectstatic`` (DEBUG off: hashed, compressed) run into a static root of its own."""
    from django.conf import settings

    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "ACCORD_", "CELERY_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env = {**keep, **read_compose().environment, "DJANGO_SETTINGS_MODULE": "governance.settings",
           # The sessions made here must be valid there.
           "DJANGO_SECRET_KEY": settings.SECRET_KEY, "DATABASE_URL": pytest_db_url(),
           "REDIS_URL": shared_redis_url(REDIS_DB), "ACCORD_CELERY_QUEUE": RUN_QUEUE,
           "ACCORD_CACHE_PREFIX": f"accord-load-{os.getpid()}", "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
           "ACCORD_VAR_DIR": str(tmp_path / "var"), "DJANGO_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
           "ACCORD_HEARTBEAT_SECONDS": "3600"}
    build_env, argv = read_image().build_step("collectstatic")
    subprocess.run([sys.executable if a == "python" else a for a in argv], env={**env, **build_env},
                   cwd=ARTIFACTS.parent, check=True, capture_output=True)
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    return env


def gunicorn_command(port: int) -> list[str]:
    """docker-compose.yml's web command on 127.0.0.1:``port`` (``ACCORD_LOAD_GUNICORN`` replacing
    its worker options), run with this interpreter."""
    cmd = [a.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for a in read_compose().commands["web"]]
    cmd = [sys.executable, "-m", "gunicorn", *cmd[1:]]
    if GUNICORN_OVERRIDE:
        options = ("--workers", "--threads", "--worker-class", "-w", "-k")
        for option in options:
            while option in cmd:
                i = cmd.index(option)
                del cmd[i:i + 2]
        cmd += GUNICORN_OVERRIDE
    return cmd


def interpreter() -> str:
    """The interpreter gunicorn ran on. How it was built matters: the image's (python:3.11-slim) is
    configured ``--enable-optimizations --with-lto``; on one host, Debian's optimised python3.11
    spent 17% less CPU per request of this mix than pyenv's default build, which has neither
    (docs/benchmarks.md, "The interpreter")."""
    return f"Python {platform.python_version()} ({os.path.realpath(sys.executable)})"


def commit() -> str | None:
    """The commit the run measured (``git describe --dirty``: "-dirty" when the work tree had
    changes), so ``bench.load_figures`` can say which code its figures are of; ``None`` outside git."""
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"], cwd=ARTIFACTS.parent,
                              capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _write_report(report: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    users = sum(report["users"].values())
    # ``make load``'s two runs are ``load-report`` and ``load-report-paced`` (what ``bench.load_figures``
    # reads); other runs are named for what differs, so they never pass for them
    name = "load-report" if users == 50 else f"load-report-{users}-users"
    if tuple(report["think_s"]) != DEFAULT_THINK:
        name += "-paced"
    if GUNICORN_OVERRIDE:
        name += "-custom-gunicorn"
    if DURATION < SMOKE_BELOW_SECONDS:
        name += "-smoke"  # make reliability's 20 s
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(report, indent=1))
    lines = ["| request | count | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['request']} | {r['count']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} |"
              for r in report["table"]]
    writes = ", ".join(f"{v} {k}" for k, v in report["acknowledged_writes"].items())
    cpu = report["cpu"]
    shares = ", ".join(f"{name} {g['share_pct']}% ({g['cpu_s']} s)" for name, g in cpu["groups"].items())
    low, high = report["think_s"]
    lines += ["", f"{users} users, each pausing {low:g}–{high:g} s between steps: "
                  f"{report['requests']} requests in {report['duration_s']} s ({report['throughput_rps']} req/s), "
                  f"{report['errors']} errors; acknowledged writes, all found in the database: {writes}.",
              "", f"gunicorn {report['gunicorn']}. CPU over the run, as a share of the machine's {cpu['cores']} "
                  f"cores: {shares}; the machine was {cpu['machine_busy_pct']}% busy in all.",
              "", f"{report['python']}."]
    (ARTIFACTS / f"{name}.md").write_text("\n".join(lines) + "\n")
