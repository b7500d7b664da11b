"""``python -m bench.request_cost``: what one request costs, in CPU, on the production settings.

In-process Django test client, ``governance.settings`` with ``DJANGO_DEBUG=0`` (hashed static files
from a ``collectstatic`` into ``var/bench-static``, HTTPS as behind the proxy, Redis for cache,
sessions and throttles as deployed — ``REDIS_URL`` defaults to 127.0.0.1:6379/5), on the demo
organisation (``seed_demo`` into ``DATABASE_URL``, by default the dedicated ``accord_bench_demo``,
created when missing, migrated and seeded anew — ``seed_demo --force`` — on each run but those with
``--no-prepare``). Each request type is sent ``--warmup`` times, then
``--requests`` times; the figure is the median **CPU time of this process** (``time.process_time``)
per request — load-independent on a shared machine, and without PostgreSQL's own CPU — beside the
issue's budget and the query count (``CaptureQueriesContext``). ``--profile NAME`` prints a cProfile
summary of ``--requests`` requests of that type; ``--only NAME`` runs one type.

CPU time still moves with the machine's load (caches, frequency, other processes' interference).
``--instructions`` adds the load-independent figure: each type runs again in a child process under
``valgrind --tool=callgrind`` with instrumentation switched on (``callgrind_control -i on``) only
around ``--ir-requests`` warm requests, and the column is instructions executed per request.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

# (name, budget ms) — issue 22's table; the URLs and users are resolved on the demo data below.
BUDGETS = {
    "trivial API call (/api/v1/org-units/)": 3,
    "leader dashboard": 12,
    "decision page": 8,
    "log-decision form (GET)": 8,
    "decisions API, first page": 15,
    "matrix editor": 15,
}


def _environment() -> None:
    """Production settings as a deployment sets them (before Django is imported)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "governance.settings"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "accord-bench-secret-key-not-for-production-0123456789abcdef")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_STATIC_ROOT", str(ROOT / "var" / "bench-static"))
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/accord_bench_demo")
    # Redis as deployed (cache, sessions, throttles, broker), with names of the bench's own. Without
    # it the settings fall back to a file cache whose culling costs more as var/cache fills: the
    # trivial API call measured 15.5 or 17.2 M instructions depending on the checkout's var/.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    os.environ.setdefault("ACCORD_CACHE_PREFIX", "accord-bench")
    os.environ.setdefault("ACCORD_CELERY_QUEUE", "accord-bench")


def _prepare() -> None:
    """Database (created, migrated, demo data) and hashed static files, in subprocesses so this
    process only ever sees the production settings with DEBUG off."""
    from bench.__main__ import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True)
    subprocess.run([*manage, "seed_demo", "--force"], check=True, stdout=subprocess.DEVNULL)
    manifest = Path(os.environ["DJANGO_STATIC_ROOT"]) / "staticfiles.json"
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True)
    assert manifest.exists(), manifest


def _requests() -> list[dict]:
    """Who asks for what, on the demo data: issue 22's six budgeted requests, then the load test's
    mix (``make load``; no budget of their own — their sum per request is what the load goal needs)."""
    from decisions.models import Decision
    from governance.models import OrgUnit, User
    from partners.demo import PARTNER_HOME, PARTNER_USERNAME
    from partners.models import Partnership

    users = {u.username: u for u in User.objects.filter(
        username__in=["admin", "leader.emea", "manager.de", PARTNER_USERNAME])}
    dach = OrgUnit.objects.get(code="DACH")
    decision = (Decision.objects.restrict(users["leader.emea"], "view")
                .filter(org_unit__code="DE").order_by("pk").first())
    home = Partnership.objects.get(name=PARTNER_HOME)
    return _budgeted(users, decision) + _load_mix(users, home) if dach else []


def _rollup_committed() -> None:
    """What a rollup's commit does to the dashboard's cached pages: the cells' version moves on."""
    from django.db import connection

    from kpis.services.data_version import cells_changed

    with connection.cursor() as cursor:
        cells_changed(cursor)


def _budgeted(users: dict, decision) -> list[dict]:
    return [
        {"name": "trivial API call (/api/v1/org-units/)", "user": users["manager.de"], "token": True,
         "url": "/api/v1/org-units/"},
        {"name": "leader dashboard", "user": users["leader.emea"], "url": "/kpis/dashboard/"},
        {"name": "decision page", "user": users["leader.emea"], "url": f"/decisions/{decision.pk}/"},
        {"name": "log-decision form (GET)", "user": users["manager.de"], "url": "/decisions/new/"},
        {"name": "decisions API, first page", "user": users["leader.emea"], "token": True,
         "url": "/api/v1/decisions/"},
        {"name": "matrix editor", "user": users["admin"], "url": "/decisions/matrix/"},
        # The dashboard when a rollup has just committed: its cached page is not used but built anew.
        {"name": "leader dashboard, after a rollup (built anew)", "user": users["leader.emea"],
         "url": "/kpis/dashboard/", "before": _rollup_committed},
    ]


def _load_mix(users: dict, home) -> list[dict]:
    """``make load``'s requests (tests/load/test_load.py) on the demo data. The writes are prepared
    outside the timed request: each agree and decide gets a decision of its own, logged first;
    each measurement post a KPI-month not stored yet."""
    from decisions.models import Decision
    from partners.demo import PARTNER_USERNAME

    manager, partner = users["manager.de"], users[PARTNER_USERNAME]
    leader = users["leader.emea"]
    decision_body = {"title": BENCH_DECISION_TITLE, "decision_type": "PRICE_EXC", "org_unit": "DE",
                     "priority": "normal", "options": [{"option": "Approve", "pros": "Win", "cons": "Margin"}]}

    def log(clients):
        return "post", "/api/v1/decisions/", decision_body, clients(manager)

    def logged(clients) -> dict:
        response = clients(manager).post("/api/v1/decisions/", decision_body, content_type="application/json",
                                         secure=True)
        assert response.status_code == 201, response.content
        return response.json()

    def agree(clients):
        from decisions.models import DecisionParticipant

        pk = logged(clients)["id"]
        seat = DecisionParticipant.objects.filter(decision_id=pk, role="A").select_related("user").first()
        return "post", f"/api/v1/decisions/{pk}/agree/", {"agree": True, "comment": "Within policy."}, \
            clients(seat.user)

    def decide(clients):
        method, url, body, client = agree(clients)
        assert client.post(url, body, content_type="application/json", secure=True).status_code == 200
        return "post", url.replace("/agree/", "/decide/"), {"outcome": "Approved", "rationale": "Volume."}, \
            clients(manager)

    kpi = (home.kpi_ownerships.filter(kpi__aggregation="sum").order_by("kpi__code")
           .values_list("kpi__code", flat=True).first())
    unit = home.org_units.order_by("code").values_list("code", flat=True).first()
    # Months before the demo's history; once the bench has used them all, its own rows there go.
    months = [date(2000 + m // 12, m % 12 + 1, 1) for m in range(12 * 20)]

    def measurement(clients):
        from kpis.models import Measurement

        ours = Measurement.objects.filter(partnership=home, kpi__code=kpi, period__lt=date(2020, 1, 1))
        stored = set(ours.values_list("period", flat=True))
        if len(stored) == len(months):
            ours.delete()
            stored = set()
        period = next(p for p in months if p not in stored)
        return "post", "/api/v1/measurements/?confirm=true", {
            "kpi": kpi, "org_unit": unit, "partnership": home.pk, "period": period.strftime("%Y-%m"), "value": 42}, \
            clients(partner)

    return [
        {"name": "load: API log decision (POST)", "user": manager, "token": True, "prepare": log, "status": 201},
        {"name": "load: API agree (POST)", "user": manager, "token": True, "prepare": agree},
        {"name": "load: API decide (POST)", "user": manager, "token": True, "prepare": decide},
        {"name": "load: API decision detail", "user": manager, "token": True,
         "url": f"/api/v1/decisions/{Decision.objects.restrict(manager, 'view').order_by('-pk').first().pk}/"},
        {"name": "load: API list open decisions", "user": manager, "token": True,
         "url": "/api/v1/decisions/?status=open&page_size=25"},
        {"name": "load: API post measurement (POST)", "user": partner, "token": True, "prepare": measurement,
         "status": 201},
        {"name": "load: partnership page (partner)", "user": partner, "url": f"/partners/partnerships/{home.pk}/"},
        *({"name": f"load: page {url.split('?')[0]}", "user": leader, "url": url} for url in LEADER_PAGES),
    ]


# What the write requests log; removed before each measuring process starts (``forget_bench_decisions``).
BENCH_DECISION_TITLE = "Bench price exception"


def forget_bench_decisions() -> int:
    """Delete the decisions earlier runs' write requests logged (with their participants, stages and
    events), so that every run reads the same data: the first page of the decisions API lists the
    newest decisions, and after a few runs those were all the bench's own (608 of 959, their page
    136 KB of near-identical JSON instead of the demo's 212 KB). Within a run the budgeted reads
    come first and see the demo alone; the load mix's reads after its writes (the manager's open
    decisions) include that run's own, alike in every run."""
    from decisions.models import Decision

    deleted, _ = Decision.objects.filter(title=BENCH_DECISION_TITLE).delete()
    return deleted


# The leader's pages in ``make load`` (tests/load/test_load.py LEADER_PAGES, on the demo's months).
LEADER_PAGES = ["/kpis/dashboard/?unit=DACH&period=2026-10", "/kpis/kpi/ACL-REV/?unit=DACH&period=2026-10",
                "/decisions/list/", "/decisions/analytics/", "/partners/", "/decisions/queue/"]


def _client(spec: dict):
    from django.test import Client

    from governance.tokens import token_issue

    client = Client(enforce_csrf_checks=True)
    if spec.get("token"):
        _, token = token_issue(user=spec["user"])
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    else:
        client.force_login(spec["user"], backend="django.contrib.auth.backends.ModelBackend")
    return client


# What a browser sends: answers come compressed where the server compresses.
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def _get(client, url: str):
    return client.get(url, secure=True, headers=BROWSER)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _raw(response, body: bytes | None = None) -> bytes:
    body = _body(response) if body is None else body
    encoding = response.get("Content-Encoding")
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    return gzip.decompress(body) if encoding == "gzip" else body


_ASSET = re.compile(r'<(?:link[^>]*?href|script[^>]*?src|img[^>]*?src)="(/static/[^"]+)"')
_FONT_SRC = re.compile(r"src:\s*url\(['\"]?([^'\")]+)")


def cold_load(spec: dict) -> dict:
    """A first visit with an empty browser cache: the page and every static file it pulls in
    (stylesheets, scripts, images, and the first font of each ``@font-face``), in bytes as
    transferred (gzip where offered) — WhiteNoise answers the static files in-process."""
    client = _client(spec)
    page = _get(client, spec["url"])
    body = _body(page)
    files = {spec["url"]: len(body)}
    queue = list(dict.fromkeys(_ASSET.findall(_raw(page, body).decode())))
    while queue:
        url = queue.pop(0)
        if url in files:
            continue
        response = _get(client, url)
        assert response.status_code == 200, (url, response.status_code)
        body = _body(response)
        files[url] = len(body)
        if url.endswith(".css"):
            for ref in _FONT_SRC.findall(_raw(response, body).decode()):
                queue.append(urljoin(url, ref.split("?")[0]))
    return {"name": spec["name"], "total_bytes": sum(files.values()), "files": files}


def _sender(spec: dict):
    """``prepare()`` for one request type: it does the untimed setup of the next request (a write's
    own decision, a new KPI-month) and returns the request itself, to be timed, as a function."""
    if "prepare" not in spec:
        client = _client(spec)
        before = spec.get("before")

        def get():
            if before is not None:
                before()
            return lambda: _get(client, spec["url"])

        return get
    clients: dict = {}

    def client_for(user):
        if user.pk not in clients:
            clients[user.pk] = _client({"user": user, "token": True})
        return clients[user.pk]

    def prepare():
        method, url, body, client = spec["prepare"](client_for)
        return lambda: getattr(client, method)(url, body, content_type="application/json", secure=True,
                                               headers=BROWSER)

    return prepare


def _check(spec: dict, response) -> None:
    assert response.status_code == spec.get("status", 200), (spec["name"], response.status_code, response.content[:300])


def measure(spec: dict, *, requests_n: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    prepare = _sender(spec)
    for _ in range(warmup):
        _check(spec, prepare()())
    send = prepare()
    with CaptureQueriesContext(connection) as ctx:
        response = send()
    queries = len(ctx.captured_queries)
    cpu, wall = [], []
    for _ in range(requests_n):
        send = prepare()
        c0, w0 = time.process_time(), time.perf_counter()
        response = send()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        _check(spec, response)
    body = _body(response)
    budget = BUDGETS.get(spec["name"])
    return {"name": spec["name"], "url": spec.get("url", ""), "cpu_ms": statistics.median(cpu),
            "cpu_ms_min": min(cpu), "wall_ms": statistics.median(wall), "queries": queries,
            "bytes": len(body), "raw_bytes": len(_raw(response, body)), "budget_ms": budget,
            "met": None if budget is None else statistics.median(cpu) <= budget}


def instructions(name: str, *, requests_n: int) -> float:
    """Instructions per request of the type ``name`` (callgrind, in a child process)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}.%p",
                        sys.executable, "-m", "bench.request_cost", "--no-prepare", "--ir-child", name,
                        "--requests", str(requests_n)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        dumps = list(Path(tmp).glob("cg.out.*.1"))  # the dump taken after the measured requests
        totals = [line for line in dumps[0].read_text().splitlines() if line.startswith("totals:")]
        return int(totals[0].split()[1]) / requests_n


def _ir_child(name: str, requests_n: int) -> None:
    spec = next(s for s in _requests() if s["name"] == name)
    prepare = _sender(spec)
    for _ in range(3):
        prepare()()
    pid = str(os.getpid())

    def counting(on: bool) -> None:
        subprocess.run(["callgrind_control", "-i", "on" if on else "off", pid], check=True, capture_output=True)

    if "before" in spec:  # what happens before each request must happen right before it, uncounted
        for _ in range(requests_n):
            send = prepare()
            counting(True)
            send()
            counting(False)
    else:
        sends = [prepare() for _ in range(requests_n)]  # the writes' setup before counting starts
        counting(True)
        for send in sends:
            send()
        counting(False)
    subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)


def profile(spec: dict, *, requests_n: int, warmup: int, limit: int = 35) -> str:
    prepare = _sender(spec)
    for _ in range(warmup):
        prepare()()
    prof = cProfile.Profile(time.process_time)
    for _ in range(requests_n):
        send = prepare()  # not profiled
        prof.enable()
        send()
        prof.disable()
    if dump := os.environ.get("BENCH_PROFILE_DUMP"):
        prof.dump_stats(dump)  # for pstats' callers/callees views
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    if not os.environ.get("BENCH_PROFILE_PATHS"):
        stats.strip_dirs()
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def markdown(rows: list[dict], cold: list[dict] = ()) -> str:
    ir = any(r.get("instructions") for r in rows)
    lines = ["| request | CPU ms (median) | budget | met | queries | bytes sent (uncompressed) |"
             + (" M instructions |" if ir else ""), "|---|---:|---:|---|---:|---:|" + ("---:|" if ir else "")]
    lines += [f"| {r['name']} | {r['cpu_ms']:.1f} | "
              + ("— | — |" if r["budget_ms"] is None else f"≤ {r['budget_ms']} | {'yes' if r['met'] else 'no'} |")
              + " "
              f"{r['queries']} | {r['bytes']:,} ({r.get('raw_bytes', r['bytes']):,}) |"
              + (f" {r['instructions'] / 1e6:.1f} |" if ir else "") for r in rows]
    for c in cold:
        lines += ["", f"Cold load of the {c['name']} (empty cache, as transferred): "
                  f"**{c['total_bytes'] / 1024:.0f} KB** (goal ≤ 200 KB) in {len(c['files'])} files: "
                  + ", ".join(f"{u.rstrip('/').rsplit('/', 1)[-1]} {b / 1024:.1f} KB" for u, b in c["files"].items())]
    return "\n".join(lines)


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m bench.request_cost", description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=30, help="Measured requests per type (median reported).")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--only", help="Run only the request type whose name contains this.")
    p.add_argument("--profile", help="Print a cProfile summary for the request type whose name contains this.")
    p.add_argument("--no-prepare", action="store_true", help="Skip migrate / seed_demo / collectstatic.")
    p.add_argument("--instructions", action="store_true",
                   help="Also count instructions per request under callgrind (load-independent; slow).")
    p.add_argument("--ir-requests", type=int, default=10, help="Requests per type under callgrind.")
    p.add_argument("--ir-child", help=argparse.SUPPRESS)
    p.add_argument("--output", default=str(RESULTS / "request-cost.json"))
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse(argv)
    _environment()
    if not args.no_prepare:
        _prepare()
    import django

    django.setup()
    from django.conf import settings

    assert not settings.DEBUG
    forget_bench_decisions()
    if args.ir_child:
        _ir_child(args.ir_child, args.requests)
        return {}
    specs = _requests()
    if args.only:
        specs = [s for s in specs if args.only in s["name"]]
    if args.profile:
        for spec in (s for s in specs if args.profile in s["name"]):
            print(f"## {spec['name']} — {spec.get('url', 'a prepared write')} ({args.requests} requests, CPU time)")
            print(profile(spec, requests_n=args.requests, warmup=args.warmup))
        return {}
    rows = [measure(s, requests_n=args.requests, warmup=args.warmup) for s in specs]
    if args.instructions:
        for row in rows:
            row["instructions"] = instructions(row["name"], requests_n=args.ir_requests)
    cold = [cold_load(s) for s in specs if s["name"] == "leader dashboard"]
    result = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "database": urlparse(
        os.environ["DATABASE_URL"]).path.lstrip("/"), "requests": args.requests, "rows": rows,
        "cold_load": cold, "markdown": markdown(rows, cold)}
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print("Request cost (in-process, production settings, DEBUG off, demo data; median CPU time of this "
          f"process over {args.requests} warm requests):\n")
    print(result["markdown"])
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
