"""Thin Celery tasks over ``reports.services``."""

from celery import shared_task

from reports import services


@shared_task(name="reports.tasks.build_book", ignore_result=True)
def build_book(*, book_id: int) -> bool:
    """Build a requested briefing book or region pack (safe to run twice: the row is claimed)."""
    return services.book_build(book_id=book_id)
