"""Thin Celery tasks over the decisions services."""

from celery import shared_task

from decisions import services


@shared_task(name="decisions.tasks.escalate_overdue", ignore_result=True)
def escalate_overdue() -> dict:
    """The escalation sweep (beat: every minute). Idempotent; safe to overlap with itself."""
    return services.escalate_overdue()
