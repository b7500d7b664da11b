"""Redis down: the web app keeps serving pages and accepting decisions and measurements; no
acknowledged write is lost; the enqueue failure is logged, never shown to the user. Once Redis is
back, the escalations that fell due during the outage and the scorecard rollup of the measurements
recorded during it catch up within two sweep periods.

A private redis-server (port 6390, or a free one) is started and stopped by the test — never the
shared one. gunicorn, a worker and beat run as real processes against the pytest test database.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.reliability.kpi_data import no_enqueue, seed_kpis, seed_targets
from tests.reliability.support import (
    PrivateRedis,
    api,
    free_port,
    http_status,
    needs_redis,
    pytest_db_url,
    start_beat,
    start_gunicorn,
    start_worker,
    subprocess_env,
    wait_until,
    wait_worker_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.django_db(transaction=True),
              needs_redis("this test stops and restarts a private redis-server")]

SWEEP_PERIOD = 10.0  # seconds, for this test (production: 60)
OUTAGE = 20.0  # seconds Redis stays down


def _redis_port() -> int:
    import socket

    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 6390)) != 0:
            return 6390
    return free_port()


def _page(port: int, path: str, session: str) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    status = conn.getresponse().status
    conn.close()
    return status


def _cells_caught_up(posted: dict) -> bool:
    from kpis.models import ScorecardCell

    found = {(c.kpi.code, c.period.strftime("%Y-%m")): c.actual for c in ScorecardCell.objects.filter(
        org_unit__code="DE", grain="month", partnership_key=0).select_related("kpi")}
    return all(found.get(key) is not None and float(found[key]) == value for key, value in posted.items())


def test_redis_outage_loses_nothing_and_escalations_and_rollups_catch_up(
        log_de, holders, functions, org, processes, tmp_path, monkeypatch):
    from decisions.models import Decision, Escalation

    no_enqueue(monkeypatch)
    seed_targets(seed_kpis(functions), org, months=[f"2026-{m:02d}" for m in range(1, 13)])
    redis = PrivateRedis(_redis_port(), tmp_path / "redis")
    redis.start()
    try:
        _run(redis, log_de, holders, processes, tmp_path, Decision, Escalation)
    finally:
        redis.stop()


def _run(redis, log_de, holders, processes, tmp_path, Decision, Escalation):
    from governance.tokens import token_issue
    from kpis.models import Measurement

    token = token_issue(user=holders["manager_de"])[1]
    browser = Client()
    browser.force_login(holders["leader"])
    session = browser.cookies["sessionid"].value
    env = subprocess_env(database_url=pytest_db_url(), redis_url=redis.url,
                         ACCORD_ESCALATION_SWEEP_SECONDS=str(SWEEP_PERIOD),
                         ACCORD_ROLLUP_SWEEP_SECONDS=str(SWEEP_PERIOD))
    port = free_port()
    web = processes.add(start_gunicorn("gunicorn", env, tmp_path, port=port, workers=2))
    worker = processes.add(start_worker("worker", env, tmp_path))
    wait_worker_ready(worker)
    beat = processes.add(start_beat("beat", env, tmp_path))

    body = {"title": "Before the outage", "decision_type": "PRICE_EXC", "org_unit": "DE"}
    status, data = api(port, "POST", "/api/v1/decisions/", token=token, body=body)
    assert status == 201, data
    acknowledged = [data["id"]]

    redis.stop()
    down_at = timezone.now()
    # Decisions that fall due while Redis is down (their sweeps cannot be sent).
    template = log_de(now=down_at + timedelta(seconds=3) - timedelta(hours=24), title="Falls due in the outage 0")
    row = Decision.objects.filter(pk=template.pk).values().get()
    row.pop("id")
    Decision.objects.bulk_create([Decision(**{**row, "title": f"Falls due in the outage {i}"}) for i in range(1, 10)])
    falling_due = set(Decision.objects.filter(title__startswith="Falls due").values_list("pk", flat=True))

    began = time.monotonic()
    pages = 0
    n = 0
    posted: dict[tuple[str, str], float] = {}
    measurements: list[int] = []
    while time.monotonic() - began < OUTAGE:
        n += 1
        t0 = time.monotonic()
        status, data = api(port, "POST", "/api/v1/decisions/", token=token,
                           body={**body, "title": f"Logged during the outage {n}"})
        assert status == 201, data
        assert time.monotonic() - t0 < 5, "a write must not hang on the broker"
        acknowledged.append(data["id"])
        kpi, month, value = ("NET_SALES", "ACCESS_WINS", "CALLS")[n % 3], f"2026-{(n // 3) % 12 + 1:02d}", 100.0 + n
        t0 = time.monotonic()
        status, m = api(port, "POST", "/api/v1/measurements/", token=token,
                        body={"kpi": kpi, "org_unit": "DE", "period": month, "value": value})
        assert status == 201, m
        assert time.monotonic() - t0 < 5, "a write must not hang on the broker"
        posted[(kpi, month)] = value
        measurements.append(m["id"])
        for path in ("/kpis/dashboard/?unit=EMEA", "/decisions/list/", f"/decisions/{data['id']}/",
                     "/decisions/analytics/"):
            assert _page(port, path, session) == 200, path
            pages += 1
        time.sleep(0.5)
    assert web.alive() and worker.alive() and beat.alive(), "no process may die of the outage"
    assert Escalation.objects.filter(decision__in=falling_due).count() == 0, "nothing can run while Redis is down"

    assert "could not enqueue kpis.tasks.rollup_scorecards" in web.log(10_000_000), "the failure must be logged"
    assert not _cells_caught_up(posted)

    redis.start()  # an empty Redis: every queued message is gone; the database still knows the work
    back = time.monotonic()
    wait_until(lambda: Escalation.objects.filter(decision__in=falling_due).count() == len(falling_due),
               timeout=2 * SWEEP_PERIOD + 15, interval=0.25, what="the missed escalations")
    escalations_caught_up = time.monotonic() - back
    wait_until(lambda: _cells_caught_up(posted), timeout=2 * SWEEP_PERIOD + 15, interval=0.25,
               what="the rollup of the measurements recorded during the outage")
    caught_up = time.monotonic() - back
    assert caught_up <= 2 * SWEEP_PERIOD, f"caught up in {caught_up:.1f}s, more than two sweep periods"
    assert Measurement.objects.filter(pk__in=measurements).count() == len(set(measurements))

    stored = set(Decision.objects.filter(pk__in=acknowledged).values_list("pk", flat=True))
    assert stored == set(acknowledged), "an acknowledged decision was lost"
    assert http_status(port, "/accounts/login/") == 200
    print(f"Redis down {OUTAGE:.0f}s: {len(acknowledged) - 1} decisions and {len(measurements)} measurements "
          f"recorded and {pages} pages served during the outage; {len(falling_due)} missed escalations caught up "
          f"{escalations_caught_up:.1f}s and the rollup {caught_up:.1f}s after Redis returned "
          f"(sweep periods {SWEEP_PERIOD:.0f}s)")
