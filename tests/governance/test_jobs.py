import time
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from governance import jobs
from governance.tasks import heartbeat

pytestmark = pytest.mark.django_db


class FailingBroker(Exception):
    pass


def test_enqueue_waits_for_commit(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(heartbeat, "apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        jobs.enqueue_on_commit(heartbeat)
        assert sent == []
    assert len(callbacks) == 1 and len(sent) == 1


def test_broker_outage_is_logged_not_raised(monkeypatch, caplog):
    def boom(**kwargs):
        raise FailingBroker("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(heartbeat, "apply_async", boom)
    jobs.enqueue(heartbeat)  # does not raise
    assert "could not enqueue governance.tasks.heartbeat" in caplog.text


RACE = """
import os, threading
os.environ["DJANGO_SETTINGS_MODULE"] = "governance.settings_test"
import django
django.setup()
from governance.jobs import task_named
names = NAMES
barrier, errors = threading.Barrier(16), []
def name_one(i):
    barrier.wait()
    try:
        task_named(names[i % len(names)])
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=name_one, args=(i,)) for i in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(errors), errors[:2])
"""


@pytest.mark.integration
def test_threads_naming_tasks_at_once_in_a_fresh_process_all_get_them():
    """A web process with threads (gunicorn gthread) names tasks before any tasks module is loaded:
    sixteen threads at once, four modules' tasks — none may find its task "never registered" (15 of
    16 did with Celery's on-demand autodiscovery; the load test saw 500s on its first writes)."""
    import subprocess
    import sys

    names = ["governance.tasks.send_notification_emails", "kpis.tasks.rollup_scorecards", "kpis.tasks.run_import",
             "reports.tasks.build_book"]
    script = RACE.replace("NAMES", repr(names))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout + out.stderr


def test_a_task_name_is_its_module_and_function():
    """``task_named`` imports a name's module: every registered task of ours must be named so."""
    from governance.celery import app

    ours = [name for name in app.tasks if name.split(".")[0] in {"governance", "partners", "kpis", "decisions",
                                                               "reports"}]
    assert ours
    for name in ours:
        module, _, function = name.rpartition(".")
        assert app.tasks[name].run.__module__ == module and app.tasks[name].run.__name__ == function, name


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_between_tasks_until_conn_max_age():
    """Between tasks (Celery's task_prerun / task_postrun) the connection is kept while usable and
    younger than CONN_MAX_AGE, and closed after; a task run eagerly leaves its caller's alone."""
    from governance.celery import close_old_database_connections

    worker_task = SimpleNamespace(request=SimpleNamespace(is_eager=False))
    connection.ensure_connection()
    connection.close_at = time.monotonic() + 60
    raw = connection.connection
    close_old_database_connections(task=worker_task)
    assert connection.connection is raw

    connection.close_at = time.monotonic() - 1
    close_old_database_connections(task=SimpleNamespace(request=SimpleNamespace(is_eager=True)))
    assert connection.connection is raw
    close_old_database_connections(task=worker_task)
    assert connection.connection is None
