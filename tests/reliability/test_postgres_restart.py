"""PostgreSQL restarts under a running web app and worker: both recover without a restart of
their own (``CONN_HEALTH_CHECKS``; the worker's connection is checked before each task), and
every write the API acknowledged (201) is in the database afterwards.

A private PostgreSQL 15 cluster on port 5499 (or a free port) in a temporary directory, run as
the ``postgres`` OS user — never the shared cluster. Redis: the shared one, db /12.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.reliability.support import (
    ROOT,
    PrivatePostgres,
    api,
    free_port,
    shared_redis_url,
    start_beat,
    start_gunicorn,
    start_worker,
    subprocess_env,
    wait_until,
    wait_worker_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

REDIS_DB = 12


def _pg_port() -> int:
    import socket

    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 5499)) != 0:
            return 5499
    return free_port()


class Writer(threading.Thread):
    """Logs decisions through the API in a loop; remembers what was acknowledged and when."""

    def __init__(self, port: int, token: str, name: str):
        super().__init__(daemon=True)
        self.port, self.token, self.label = port, token, name
        self.results: list[tuple[float, float, int, int | None]] = []  # (start, end, status, id)
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            start = time.monotonic()
            try:
                status, data = api(self.port, "POST", "/api/v1/decisions/", token=self.token, timeout=20, body={
                    "title": f"{self.label} {n}", "decision_type": "PRICE_EXC", "org_unit": "DE"})
            except OSError:
                status, data = 0, None
            pk = data.get("id") if status == 201 and isinstance(data, dict) else None
            self.results.append((start, time.monotonic(), status, pk))
            time.sleep(0.05)


def test_postgres_restart_web_and_worker_recover_and_no_acknowledged_write_is_lost(processes, tmp_path):
    port = _pg_port()
    # Not under pytest's tmp_path: that is private to root, and the cluster runs as ``postgres``.
    pg = PrivatePostgres(port, Path(tempfile.gettempdir()) / f"accord-pg-{os.getpid()}-{port}")
    pg.init()
    try:
        _run(pg, processes, tmp_path)
    finally:
        for proc in processes.started:
            proc.stop()
        pg.destroy()


def _sql(pg: PrivatePostgres, query: str, *args):
    with psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="accord", autocommit=True) as conn:
        cur = conn.execute(query, args)
        return cur.fetchall() if cur.description else cur.rowcount


def _run(pg: PrivatePostgres, processes, tmp_path):
    env = subprocess_env(database_url=pg.url, redis_url=shared_redis_url(REDIS_DB),
                         ACCORD_ESCALATION_SWEEP_SECONDS="2", ACCORD_HEARTBEAT_SECONDS="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    seeded = subprocess.run([sys.executable, "-m", "tests.reliability.pg_seed"], env=env, cwd=ROOT, check=True,
                            capture_output=True, text=True)
    token = json.loads(seeded.stdout.strip().splitlines()[-1])["manager_token"]

    port = free_port()
    web = processes.add(start_gunicorn("gunicorn", env, tmp_path, port=port, workers=2))
    worker = processes.add(start_worker("worker", env, tmp_path))
    wait_worker_ready(worker)
    processes.add(start_beat("beat", env, tmp_path))
    wait_until(lambda: _sql(pg, "SELECT beats FROM governance_heartbeat WHERE name='beat'"), timeout=30,
               what="the worker's first heartbeat")

    writers = [Writer(port, token, f"Writer {i}") for i in range(3)]
    for w in writers:
        w.start()
    time.sleep(4)
    restart_began = time.monotonic()
    pg.restart()  # fast mode: every client connection is cut
    restart_done = time.monotonic()
    beats_after_restart = _sql(pg, "SELECT beats FROM governance_heartbeat WHERE name='beat'")[0][0]
    time.sleep(8)
    for w in writers:
        w.stop.set()
    for w in writers:
        w.join(timeout=30)

    results = [r for w in writers for r in w.results]
    acknowledged = [pk for *_, status, pk in results if status == 201]
    after = [r for r in results if r[0] > restart_done + 0.5]
    failed_after = [r for r in after if r[2] != 201]
    assert len(after) >= 20 and not failed_after, f"writes after the restart failed: {failed_after[:5]}"
    assert web.alive() and worker.alive(), "neither web nor worker may need a restart"

    # The worker recovered on its own: beat's heartbeats run again, and an overdue decision escalates.
    wait_until(lambda: _sql(pg, "SELECT beats FROM governance_heartbeat WHERE name='beat'")[0][0]
               > beats_after_restart + 2, timeout=30, what="heartbeats after the restart")
    overdue = acknowledged[-1]
    _sql(pg, "UPDATE decisions_decision SET due_at = now() - interval '1 minute', "
             "next_deadline_at = now() - interval '1 minute' WHERE id = %s", overdue)
    wait_until(lambda: _sql(pg, "SELECT count(*) FROM decisions_escalation WHERE decision_id = %s", overdue)[0][0],
               timeout=30, what="the worker to escalate after the restart")

    stored = {row[0] for row in _sql(pg, "SELECT id FROM decisions_decision WHERE id = ANY(%s)", acknowledged)}
    assert stored == set(acknowledged), f"{len(set(acknowledged) - stored)} acknowledged decisions lost"
    during = [r for r in results if r[1] >= restart_began and r[0] <= restart_done + 0.5]
    print(f"PostgreSQL restart took {restart_done - restart_began:.1f}s; {len(acknowledged)} decisions acknowledged, "
          f"all stored; {sum(r[2] != 201 for r in during)} of {len(during)} requests in flight during the restart "
          f"failed (not acknowledged); {len(after)} after it all succeeded; worker escalated without a restart")
