"""Thin Celery tasks over ``reports.services``."""

from celery import shared_task

from reports import digests, services


@shared_task(name="reports.tasks.build_book", ignore_result=True)
def build_book(*, book_id: int) -> bool:
    """Build a requested briefing book or region pack (safe to run twice: the row is claimed)."""
    return services.book_build(book_id=book_id)


@shared_task(name="reports.tasks.send_digests", ignore_result=True)
def send_digests(*, cadence: str) -> int:
    """Every user's daily or weekly digest (beat); a user's digest goes out once per period."""
    return digests.digests_send(cadence=cadence)
