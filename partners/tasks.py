"""Thin Celery tasks over ``partners.services``."""

from celery import shared_task

from partners import services


@shared_task(name="partners.tasks.flag_overdue_reviews", ignore_result=True)
def flag_overdue_reviews() -> dict:
    """Flag overdue business reviews and review actions; notify their owners once each."""
    return services.flag_overdue()
