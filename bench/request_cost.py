"""``python -m bench.request_cost``: what one request costs, in CPU, on the production settings.

In-process Django test client, ``governance.settings`` with ``DJANGO_DEBUG=0`` (hashed static files
from a ``collectstatic`` into ``var/bench-static``, HTTPS as behind the proxy), on the demo
organisation (``seed_demo`` into ``DATABASE_URL``, by default the dedicated ``accord_bench_demo``,
created, migrated and seeded when empty). Each request type is sent ``--warmup`` times, then
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
    """Who asks for what, on the demo data."""
    from decisions.models import Decision
    from governance.models import OrgUnit, User

    users = {u.username: u for u in User.objects.filter(
        username__in=["admin", "leader.emea", "manager.de"])}
    dach = OrgUnit.objects.get(code="DACH")
    decision = (Decision.objects.restrict(users["leader.emea"], "view")
                .filter(org_unit__code="DE").order_by("pk").first())
    return [
        {"name": "trivial API call (/api/v1/org-units/)", "user": users["manager.de"], "token": True,
         "url": "/api/v1/org-units/"},
        {"name": "leader dashboard", "user": users["leader.emea"], "url": "/kpis/dashboard/"},
        {"name": "decision page", "user": users["leader.emea"], "url": f"/decisions/{decision.pk}/"},
        {"name": "log-decision form (GET)", "user": users["manager.de"], "url": "/decisions/new/"},
        {"name": "decisions API, first page", "user": users["leader.emea"], "token": True,
         "url": "/api/v1/decisions/"},
        {"name": "matrix editor", "user": users["admin"], "url": "/decisions/matrix/"},
    ] if dach else []


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


def measure(spec: dict, *, requests_n: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(spec)
    for _ in range(warmup):
        response = _get(client, spec["url"])
        assert response.status_code == 200, (spec["url"], response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        response = _get(client, spec["url"])
    queries = len(ctx.captured_queries)
    cpu, wall = [], []
    for _ in range(requests_n):
        c0, w0 = time.process_time(), time.perf_counter()
        response = _get(client, spec["url"])
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        assert response.status_code == 200, (spec["url"], response.status_code)
    body = _body(response)
    return {"name": spec["name"], "url": spec["url"], "cpu_ms": statistics.median(cpu),
            "cpu_ms_min": min(cpu), "wall_ms": statistics.median(wall), "queries": queries,
            "bytes": len(body), "raw_bytes": len(_raw(response, body)), "budget_ms": BUDGETS[spec["name"]],
            "met": statistics.median(cpu) <= BUDGETS[spec["name"]]}


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
    client = _client(spec)
    for _ in range(3):
        _get(client, spec["url"])
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    for _ in range(requests_n):
        _get(client, spec["url"])
    subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)


def profile(spec: dict, *, requests_n: int, warmup: int, limit: int = 35) -> str:
    client = _client(spec)
    for _ in range(warmup):
        _get(client, spec["url"])
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(requests_n):
        _get(client, spec["url"])
    prof.disable()
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
    lines += [f"| {r['name']} | {r['cpu_ms']:.1f} | ≤ {r['budget_ms']} | {'yes' if r['met'] else 'no'} | "
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
    if args.ir_child:
        _ir_child(args.ir_child, args.requests)
        return {}
    specs = _requests()
    if args.only:
        specs = [s for s in specs if args.only in s["name"]]
    if args.profile:
        for spec in (s for s in specs if args.profile in s["name"]):
            print(f"## {spec['name']} — {spec['url']} ({args.requests} requests, CPU time)")
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
