"""A real Celery worker and beat, on Redis (or the filesystem broker where there is no Redis), run
the scheduled heartbeat job against the test database."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from governance.models import Heartbeat
from tests.reliability.support import pytest_db_url, shared_redis_url, subprocess_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _sessions() -> int:
    """Database sessions opened so far to the test database (PostgreSQL's statistics)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_worker_and_beat_run_the_scheduled_heartbeat(tmp_path):
    env = subprocess_env(database_url=pytest_db_url(), redis_url=shared_redis_url(15), ACCORD_HEARTBEAT_SECONDS="1")
    celery = [sys.executable, "-m", "celery", "-A", "governance"]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}  # noqa: SIM115
    procs = [
        subprocess.Popen([*celery, "worker", "--pool=solo", "--loglevel=INFO", "-n", "it-worker@%h"],
                         env=env, stdout=logs["worker"], stderr=subprocess.STDOUT, start_new_session=True),
        subprocess.Popen([*celery, "beat", "--loglevel=INFO", "-s", str(tmp_path / "beat-schedule")],
                         env=env, stdout=logs["beat"], stderr=subprocess.STDOUT, start_new_session=True),
    ]
    try:
        deadline = time.monotonic() + 60
        beats = 0
        while time.monotonic() < deadline:
            beat = Heartbeat.objects.filter(name="beat").first()
            beats = beat.beats if beat else 0
            if beats >= 2:  # scheduled at least twice: beat is ticking and the worker keeps up
                break
            time.sleep(0.5)
        assert beats >= 2, (tmp_path / "worker.log").read_text()[-3000:] + (tmp_path / "beat.log").read_text()[-3000:]
        # Three more heartbeats: the worker runs them on the database connection it already has
        # (Celery's Django fixup would open one per task; governance.celery keeps it).
        sessions_before = _sessions()
        while beats < 5 and time.monotonic() < deadline + 30:
            time.sleep(0.5)
            beats = Heartbeat.objects.get(name="beat").beats
        assert beats >= 5
        assert _sessions() - sessions_before <= 1, "the worker opened a database connection per task"
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for log in logs.values():
            log.close()
