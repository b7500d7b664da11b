"""Thin Celery tasks over the rollup service (idempotent; two at once queue on the rollup lock)."""

from celery import shared_task

from kpis.services import rollup


@shared_task(name="kpis.tasks.rollup_scorecards", ignore_result=True)
def rollup_scorecards() -> None:
    rollup.rollup_incremental()
