"""The Celery application: workers and beat load it with ``celery -A governance``."""

import os

from celery import Celery, Task, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(task: Task | None = None, **kwargs: object) -> None:
    """Between tasks a worker treats its database connection as Django does between requests: it
    keeps it, and closes it only when it is older than ``CONN_MAX_AGE`` or no longer usable.

    Celery's Django fixup would close it before and after *every* task unless
    ``CELERY_DB_REUSE_MAX`` is set (settings; the fixup then closes it only every that many tasks),
    and each task then paid for a new PostgreSQL backend, forked and warmed from cold: ~1,350 of them
    in a 90 s ``make load`` (docs/benchmarks.md, "Connections and the rollup under load")."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in the caller's process (and maybe inside its transaction): its connection
    close_old_connections()
