"""Enqueueing background jobs safely.

The database row, not the broker, is the truth: every job can be re-derived from the database
(dirty cells, overdue deadlines), and beat re-runs the sweeps. So a broker outage must never fail
a user's write: the enqueue happens after commit, is attempted briefly, and a failure is logged.
"""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger("accord.jobs")

# Fail fast when the broker is down: the periodic sweep will pick the work up later.
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def enqueue(task, *args, **kwargs) -> None:
    """Send ``task`` now; log (never raise) if the broker is unreachable."""
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy=_RETRY_POLICY)
    except Exception:  # broker down or misconfigured: the DB-driven sweep catches up
        log.exception("could not enqueue %s; the periodic job will catch up", getattr(task, "name", task))


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueue ``task`` once the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
