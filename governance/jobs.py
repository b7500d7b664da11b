"""Enqueueing background jobs safely.

The database row, not the broker, is the truth: every job can be re-derived from the database
(dirty cells, overdue deadlines), and beat re-runs the sweeps. So a broker outage must never fail
a user's write: the enqueue happens after commit, is attempted briefly, and a failure is logged.

Services name the task they enqueue (``enqueue_on_commit("kpis.tasks.rollup_scorecards")``) rather
than import it: a tasks module imports its services, so a service importing its tasks module back
would be an import cycle.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from importlib import import_module

from celery import Task
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from governance.celery import app

log = logging.getLogger("accord.jobs")

# Fail fast when the broker is down: the periodic sweep will pick the work up later.
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def task_named(name: str) -> Task:
    """The Celery task registered as ``name``, which is its module's dotted path and the function's
    name (``kpis.tasks.rollup_scorecards``). A worker registers every task when it starts; any other
    process (web, shell) imports the task's module the first time it names one. Python's import
    lock makes that safe with threads: another thread naming a task of the same module waits until
    the module has run (Celery's on-demand autodiscovery was not: with gthread workers, threads
    found tasks "never registered" while another thread was importing their module). An unknown
    name raises ``KeyError`` (a typo, never a broker outage)."""
    if name not in app.tasks:
        import_module(name.rpartition(".")[0])
    return app.tasks[name]


def enqueue(task: Task | str, *args, countdown: float | None = None, **kwargs) -> bool:
    """Send ``task`` (a task, or its registered name) now, to run ``countdown`` seconds from now (at
    once: ``None``); log (never raise) if the broker is unreachable. Whether it was sent."""
    task = task_named(task) if isinstance(task, str) else task
    try:
        task.apply_async(args=args, kwargs=kwargs, countdown=countdown, retry=True, retry_policy=_RETRY_POLICY)
    except Exception:  # broker down or misconfigured: the DB-driven sweep catches up
        log.exception("could not enqueue %s; the periodic job will catch up", getattr(task, "name", task))
        return False
    return True


def enqueue_on_commit(task: Task | str, *args, **kwargs) -> None:
    """Enqueue ``task`` (a task, or its registered name) once the current transaction commits
    (immediately outside one). A name is looked up now, so a typo fails the caller, not the commit."""
    task = task_named(task) if isinstance(task, str) else task
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


# --- coalesced runs ----------------------------------------------------------------------------
# A job that reads everything outstanding (the incremental rollup reads every dirty cell) needs one
# run for many writes, not one each. The mark "a run is queued and has not started" lives in the
# shared cache for at most this long (then the next write enqueues again; the periodic sweep covers
# anything in between).
_QUEUED_MARK_SECONDS = 60


def _queued_mark(name: str) -> str:
    return f"jobs:queued:{name}"


def enqueue_coalesced_on_commit(name: str, *, delay: float) -> None:
    """Run the task ``name`` (no arguments) ``delay`` seconds after the current transaction commits,
    unless a run of it is already queued and has not started: that run reads what this transaction
    wrote, so the writes of those seconds share one run. The task calls ``coalesced_run_starting``
    before it reads anything.

    Why that is safe: a write commits, then looks for the mark. If it finds the mark, the run has not
    yet cleared it, so the run's reads start later and see the write. If it finds none, it enqueues
    a run of its own. Two writes that both find none enqueue two runs, which is harmless. While the
    cache is unreachable, every write enqueues (the cache fails open), and an enqueue that fails
    clears the mark."""
    task = task_named(name)

    def send() -> None:
        mark = _queued_mark(name)
        if cache.get(mark) is not None:
            return
        cache.set(mark, 1, timeout=_QUEUED_MARK_SECONDS)
        if not enqueue(task, countdown=delay):
            cache.delete(mark)

    transaction.on_commit(send)


def coalesced_run_starting(name: str) -> None:
    """Called by a coalesced task before it reads: writes committed from now on enqueue a new run."""
    cache.delete(_queued_mark(name))


# --- stored jobs -------------------------------------------------------------------------------
# A job that a person waits for (a briefing book, an import) is a row with ``status`` ("queued",
# "running", then the job's own end states), ``started_at``, ``progress`` (percent), ``step`` and
# ``error``; the page polls the row. These two helpers are the whole protocol between the row and
# the worker.

QUEUED, RUNNING = "queued", "running"
QUEUED_GRACE = timedelta(minutes=1)  # a queued job not started by then has most likely lost its message


def claim(queryset, *, now: datetime, stale_after: timedelta) -> bool:
    """Compare-and-set: mark the job (``queryset`` = its row) running if it is queued, or running but
    silent since ``now - stale_after`` (a worker that died). True for exactly one of two workers
    given the same job at once — the other gets False and must do nothing."""
    stale = now - stale_after
    claimed = queryset.filter(Q(status=QUEUED) | Q(status=RUNNING, started_at__lt=stale)).update(
        status=RUNNING, started_at=now, progress=1, step="Starting", error="")
    return claimed == 1


def lost(queryset, *, now: datetime, stale_after: timedelta, queued_for: timedelta = QUEUED_GRACE):
    """The jobs in ``queryset`` the periodic catch-up sends again: queued since before ``now -
    queued_for`` (``requested_at``; the message was lost, e.g. the broker was down) or running but
    silent since ``now - stale_after`` (the worker died). Sending one again is always safe: a job
    already taken by a worker is not ``claim``-ed twice, a finished one is no longer queued."""
    return queryset.filter(Q(status=QUEUED, requested_at__lt=now - queued_for)
                           | Q(status=RUNNING, started_at__lt=now - stale_after))


def record_progress(queryset, percent: int, step: str) -> None:
    """Write the job's progress for the page to poll: its own small UPDATE (call it outside the job's
    transaction, or the page sees nothing until the end); only while the row is still running."""
    queryset.filter(status=RUNNING).update(progress=max(0, min(100, percent)), step=step[:120])
