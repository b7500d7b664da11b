"""Thin Celery tasks over the decisions services."""

from celery import shared_task

from decisions import services
from decisions.services.analytics_snapshots import refresh_analytics_snapshots as refresh


@shared_task(name="decisions.tasks.escalate_overdue", ignore_result=True)
def escalate_overdue(batch_size: int | None = None) -> dict:
    """The escalation sweep (beat: every minute, default batch size). Idempotent; safe to overlap
    with itself. ``batch_size``: due decisions per transaction (the kill tests make it small). Then
    the missing agreements and inputs are reminded and chased (``services.chase_overdue``), and the
    decisions still open after their forum met move to its next meeting (``services.roll_agenda``)."""
    kwargs = {"batch_size": batch_size} if batch_size else {}
    counts = services.escalate_overdue(**kwargs)
    return {**counts, **services.chase_overdue(**kwargs), "rolled": services.roll_agenda()}


@shared_task(name="decisions.tasks.resume_due_pauses", ignore_result=True)
def resume_due_pauses() -> int:
    """Resume the pauses whose date has passed (beat: with the escalation sweep). Idempotent."""
    return services.resume_due_pauses()


@shared_task(name="decisions.tasks.refresh_analytics_snapshots", ignore_result=True)
def refresh_analytics_snapshots() -> dict:
    """The analytics page's default view, precomputed per scope key (beat: every
    ``ACCORD_ANALYTICS_SNAPSHOT_SECONDS``, default 600). Idempotent; safe to overlap with itself."""
    return refresh()
