"""``make prod-check``: run what the image and the compose file run, natively, and use it.

The commands come from ``Dockerfile`` and ``docker-compose.yml`` (``ops.deployment``), with the
compose file's variables; only what must differ on one machine changes: the web port (a free
one on 127.0.0.1), the database (``accord_prodcheck_<pid>``, created here and dropped after),
the Celery queue (``accord-prodcheck-<pid>``, so a test run on the same Redis never takes our
tasks), the static folder (a temporary one), a fresh secret key, and a 2-second escalation sweep.

Steps: collectstatic with ``DJANGO_DEBUG=0`` (hashed, compressed) → migrate → demo data
(``seed_demo --force``: the check needs users and decisions) → gunicorn with the compose web
arguments, one worker, one beat → health checks (the image's and the worker's) → sign in, the
dashboard, a decision page, the API docs and schema, a hashed static file (compressed, immutable)
→ an admin shortens the SLA of urgent price exceptions to 7 seconds on a 24×7 clock through the
API, a manager logs an urgent one, and beat's sweep escalates it → everything stopped. Requests
carry ``X-Forwarded-Proto: https`` as the TLS proxy in front of gunicorn would (secure cookies,
HSTS). Logs: ``test-artifacts/prod-check/``.

PostgreSQL: the server of ``DATABASE_URL`` if set, else 127.0.0.1:5432, else the embedded one.
Redis: ``REDIS_URL`` or 127.0.0.1:6379 — required (production runs on Redis).
"""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import requests

from ops.deployment import ROOT, read_compose, read_image
from ops.harness import LOGS, Browser, CheckFailed, Database, Processes, Report, expect, free_port, redis_url, wait

DEMO_PASSWORD = "accord-demo"  # noqa: S105 - seed_demo's published password (README)
FAST_SLA_HOURS = 0.002  # 7.2 s: the urgent price exception's SLA during the check
SWEEP_SECONDS = "2"


# --- the check -------------------------------------------------------------------------------


def _token(web: Browser, username: str) -> dict:
    r = expect(web.request("POST", "/api/v1/auth/token/", json={"username": username, "password": DEMO_PASSWORD}),
               200, f"API token for {username}")
    return {"Authorization": f"Token {r.json()['token']}"}


def run(report: Report) -> None:
    image, compose = read_image(), read_compose()
    pid = os.getpid()
    LOGS.mkdir(parents=True, exist_ok=True)
    broker = redis_url()
    db = Database(f"accord_prodcheck_{pid}")
    work = Path(tempfile.mkdtemp(prefix="accord-prodcheck-"))
    port = free_port()
    queue = f"accord-prodcheck-{pid}"
    report.say(f"  PostgreSQL  {db.where}; database {db.name} (dropped after)")
    report.say(f"  Redis       {broker}; Celery queue {queue}")
    report.say(f"  web         gunicorn on 127.0.0.1:{port}; logs in {LOGS.relative_to(ROOT)}/")
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "ACCORD_", "CELERY_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env = {**keep, **compose.environment,
           "DJANGO_SETTINGS_MODULE": "governance.settings", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "DATABASE_URL": db.url, "REDIS_URL": broker, "DJANGO_STATIC_ROOT": str(work / "static"),
           "ACCORD_VAR_DIR": str(work / "var"), "ACCORD_CELERY_QUEUE": queue,
           "ACCORD_ESCALATION_SWEEP_SECONDS": SWEEP_SECONDS, "PYTHONUNBUFFERED": "1",
           # Mail goes to the worker's log instead of an SMTP server on localhost:25.
           "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    procs = Processes(env)
    try:
        _run(report, image, compose, procs, port, work)
    finally:
        codes = procs.stop_all()
        if codes and any(code not in (0, -signal.SIGTERM) for code in codes.values()):
            report.say(f"  ! processes stopped with {codes}")
        db.close()
        shutil.rmtree(work, ignore_errors=True)


def _run(report: Report, image, compose, procs: Processes, port: int, work: Path) -> None:
    _prepare(report, image, compose, procs, work)
    web = _serve(report, image, compose, procs, port)
    _browse(report, web)
    _escalation(report, web, procs)
    _stop(report, procs)


def _prepare(report: Report, image, compose, procs: Processes, work: Path) -> None:
    """The image's build step, then the compose file's one-shot migrate, then demo data."""
    with report.step("collectstatic (DJANGO_DEBUG=0: hashed, compressed)") as s:
        build_env, argv = image.build_step("collectstatic")
        procs.run("collectstatic", argv, extra_env=build_env)
        static = work / "static"
        hashed = [p for p in static.rglob("*") if re.search(r"\.[0-9a-f]{12}\.\w+$", p.name)]
        gz = [p for p in static.rglob("*.gz")]
        if not (static / "staticfiles.json").is_file() or not hashed or not gz:
            raise CheckFailed("collectstatic wrote no manifest, hashed or compressed files")
        s.detail = f"{len(hashed)} hashed files, {len(gz)} gzipped"
    with report.step("migrate (compose: migrate)") as s:
        out = procs.run("migrate", compose.commands["migrate"])
        s.detail = f"{out.count(' OK')} migrations applied"
    with report.step("demo data (seed_demo --force, for the check)") as s:
        procs.run("seed_demo", ["python", "manage.py", "seed_demo", "--force"])
        s.detail = "users, org, KPIs, decisions"


def _serve(report: Report, image, compose, procs: Processes, port: int) -> Browser:
    """gunicorn, a worker and one beat with the compose commands; the image's and worker's health checks."""
    with report.step("start web (compose args), worker, one beat") as s:
        web_cmd = [a.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for a in compose.commands["web"]]
        procs.start("web", web_cmd)
        procs.start("worker", compose.commands["worker"])
        procs.start("beat", compose.commands["beat"])
        web = Browser(port)
        wait(lambda: _status(web, "/healthz") == 200, timeout=60, what="gunicorn to answer", procs=procs)
        wait(lambda: "ready." in procs.log("worker"), timeout=60, what="the worker to be ready", procs=procs)
        workers = len(re.findall(r"Booting worker", procs.log("web")))
        s.detail = f"gunicorn {workers} workers; {' '.join(web_cmd[2:])}"
    with report.step("health checks (image HEALTHCHECK, worker's)") as s:
        health = [a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in image.healthcheck]
        procs.run("healthcheck-web", health, timeout=30)
        worker_check = compose.services["worker"]["healthcheck"]["test"][1].replace("$$HOSTNAME", "$HOSTNAME")
        worker_check = worker_check.replace("celery ", f"{sys.executable} -m celery ", 1)
        procs.run("healthcheck-worker", ["sh", "-c", worker_check], extra_env={"HOSTNAME": socket.gethostname()},
                  timeout=60)
        s.detail = "/healthz 200; celery inspect ping answered"
    return web


def _browse(report: Report, web: Browser) -> None:
    """Sign in, then the pages an operator opens first after a deployment."""
    with report.step("sign in as manager.de") as s:
        login = expect(web.get("/accounts/login/"), 200, "login page")
        form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        r = web.request("POST", "/accounts/login/", data={"username": "manager.de", "password": DEMO_PASSWORD,
                                                           "csrfmiddlewaretoken": form_token})
        if r.status_code != 302 or "sessionid" not in web.cookies:
            raise CheckFailed(f"sign-in answered {r.status_code} without a session: {r.text[:300]}")
        secure = "Secure" in r.headers.get("Set-Cookie", "")
        s.detail = f"302 → {r.headers['Location']}; session cookie {'Secure' if secure else 'NOT Secure'}"
        if not secure:
            raise CheckFailed("the session cookie is not Secure behind the TLS proxy")
    with report.step("dashboard") as s:
        dash = expect(web.get("/kpis/dashboard/"), 200, "dashboard")
        for header in ("Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options"):
            if header not in dash.headers:
                raise CheckFailed(f"the dashboard lacks {header}")
        s.detail = f"200, {len(dash.content) // 1024} KB; HSTS, CSP, X-Frame-Options set"
    with report.step("a decision page") as s:
        first = expect(web.get("/api/v1/decisions/?page_size=1"), 200, "decision list").json()["results"][0]
        page = expect(web.get(f"/decisions/{first['id']}/"), 200, "decision page")
        if html.escape(first["title"][:20]) not in page.text:
            raise CheckFailed("the decision page does not show the decision's title")
        s.detail = f"/decisions/{first['id']}/ 200: {first['title'][:40]!r}"
    with report.step("API docs and schema") as s:
        docs = expect(web.get("/api/v1/docs/"), 200, "API docs")
        schema = expect(web.get("/api/v1/schema/", headers={"Accept": "application/json"}), 200, "schema")
        assets = re.findall(r'src="(/static/drf_spectacular_sidecar/[^"]+)"', docs.text)
        for asset in assets:
            expect(web.get(asset), 200, "API docs asset")
        s.detail = f"/api/v1/docs/ 200 ({len(assets)} local assets 200), schema {len(schema.content) // 1024} KB"
    with report.step("hashed static file, compressed") as s:
        href = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', dash.text)
        if href is None:
            raise CheckFailed("the dashboard does not link a hashed bootstrap.min.css")
        css = expect(web.get(href.group(1), headers={"Accept-Encoding": "br, gzip"}), 200, "hashed static file")
        encoding, cache = css.headers.get("Content-Encoding", ""), css.headers.get("Cache-Control", "")
        if encoding not in ("gzip", "br") or "immutable" not in cache:
            raise CheckFailed(f"{href.group(1)}: Content-Encoding {encoding!r}, Cache-Control {cache!r}")
        plain = web.get("/static/vendor/bootstrap/bootstrap.min.css").status_code
        s.detail = f"{href.group(1).rsplit('/', 1)[1]} {encoding}, {cache}; unhashed name {plain}"


def _escalation(report: Report, web: Browser, procs: Processes) -> None:
    """An urgent decision with a 7-second SLA on a 24×7 clock, escalated by beat's sweep on the worker."""
    with report.step("a new decision escalates through beat") as s:
        admin, manager = _token(web, "admin"), _token(web, "manager.de")
        expect(web.request("PATCH", "/api/v1/decision-types/PRICE_EXC/", headers=admin,
                           json={"calendar": "24x7", "sla_hours_by_priority": {"urgent": FAST_SLA_HOURS}}),
               200, "shorten the SLA (admin)")
        created = expect(web.request("POST", "/api/v1/decisions/", headers=manager, json={
            "title": f"prod-check {time.strftime('%H:%M:%S')}: urgent price exception", "decision_type": "PRICE_EXC",
            "org_unit": "DE", "priority": "urgent"}), 201, "log a decision").json()
        path = f"/api/v1/decisions/{created['id']}/"
        t0 = time.monotonic()

        def escalated():
            d = expect(web.get(path, headers=manager), 200, "decision").json()
            return d if d["escalation_level"] >= 1 else None

        d = wait(escalated, timeout=120, what="beat's sweep to escalate the decision", procs=procs)
        took = time.monotonic() - t0
        events = expect(web.get(path + "events/", headers=manager), 200, "events").json()
        kinds = [e["kind"] for e in (events["results"] if isinstance(events, dict) else events)]
        if "escalated" not in kinds:
            raise CheckFailed(f"no 'escalated' event on the decision: {kinds}")
        # The console mail backend writes the worker's emails to its log; they link the decision.
        wait(lambda: f"/decisions/{created['id']}/" in procs.log("worker"), timeout=30,
             what="the worker's escalation email", procs=procs)
        sweeps = procs.log("beat").count("decisions.tasks.escalate_overdue")
        s.detail = (f"#{created['id']} (SLA {FAST_SLA_HOURS * 3600:.1f} s) at level {d['escalation_level']} "
                    f"{took:.1f} s after it was logged; beat sent {sweeps} sweeps; worker emailed it")


def _stop(report: Report, procs: Processes) -> None:
    with report.step("stop web, worker, beat (SIGTERM)") as s:
        codes = procs.stop_all()
        if any(code is None for code in codes.values()):
            raise CheckFailed(f"did not stop on SIGTERM: {codes}")
        s.detail = ", ".join(f"{name} {code}" for name, code in codes.items())


def _status(web: Browser, path: str) -> int | None:
    try:
        return web.get(path).status_code
    except requests.RequestException:
        return None


def main() -> int:
    report = Report()
    report.say("make prod-check: the image's and docker-compose.yml's commands, run natively")
    try:
        run(report)
    except CheckFailed as exc:
        report.say(f"prod-check FAILED after {time.monotonic() - report.started:.0f} s: {str(exc).splitlines()[0]}")
        report.say(f"(logs in {LOGS})")
        return 1
    report.say(f"prod-check passed in {time.monotonic() - report.started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
