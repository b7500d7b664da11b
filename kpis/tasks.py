"""Thin Celery tasks over the rollup service (idempotent; two at once queue on the rollup lock)."""

from celery import shared_task

from kpis.services import rollup


@shared_task(name="kpis.tasks.rollup_scorecards", ignore_result=True)
def rollup_scorecards(full: bool = False) -> None:
    """The incremental rollup (beat, after commit); ``full=True`` rebuilds every cell."""
    if full:
        rollup.rollup_full()
    else:
        rollup.rollup_incremental()
