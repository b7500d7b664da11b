"""A real Celery worker and beat, on Redis, run the scheduled heartbeat job against the test database."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from governance.models import Heartbeat
from tests.reliability.support import RUN_QUEUE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _subprocess_env(redis_url: str) -> dict:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "governance.settings_test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ACCORD_CELERY_QUEUE": RUN_QUEUE,
        "ACCORD_HEARTBEAT_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }


def test_worker_and_beat_run_the_scheduled_heartbeat(tmp_path):
    redis_url = settings.REDIS_URL.rsplit("/", 1)[0] + "/15"
    env = _subprocess_env(redis_url)
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
