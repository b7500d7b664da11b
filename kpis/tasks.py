"""Thin Celery tasks over the KPI services (idempotent: two rollups at once queue on the rollup lock;
late-reporter reminders are de-duplicated per unit, partnership and month; an import job is claimed
by one run, so the minute catch-up may send one again)."""

from celery import shared_task
from django.utils import timezone

from governance.jobs import coalesced_run_starting
from governance.periods import last_month, parse_period
from kpis.services import rollup
from kpis.services.dirty import ROLLUP_TASK
from kpis.services.enablement import enablement_feed
from kpis.services.imports import import_job_run, import_jobs_catch_up
from kpis.services.late import remind_late_reporters as remind


@shared_task(name="kpis.tasks.rollup_scorecards", ignore_result=True)
def rollup_scorecards(full: bool = False) -> None:
    """The incremental rollup (beat, after commit); ``full=True`` rebuilds every cell."""
    if full:
        rollup.rollup_full()
    else:
        coalesced_run_starting(ROLLUP_TASK)  # before reading the dirty cells: later writes send a new run
        rollup.rollup_incremental()


@shared_task(name="kpis.tasks.remind_late_reporters", ignore_result=True)
def remind_late_reporters() -> None:
    """Daily: remind the owners of reports still missing for the last closed month (once each)."""
    remind(now=timezone.now())


@shared_task(name="kpis.tasks.catch_up_imports", ignore_result=True)
def catch_up_imports() -> int:
    """Every minute: send again the import jobs whose message was lost or whose worker died."""
    return import_jobs_catch_up()


@shared_task(name="kpis.tasks.run_import", ignore_result=True)
def run_import(*, job_id: int) -> bool:
    """Import an uploaded measurements file (safe to run twice: the job row is claimed)."""
    return import_job_run(job_id)


@shared_task(name="kpis.tasks.feed_enablement", ignore_result=True)
def feed_enablement(month: str | None = None) -> int:
    """Daily: the ENABLEMENT KPI's actuals for ``month`` (``YYYY-MM``; default the last closed month)
    from the partnerships' enablement items (idempotent: the same figures again)."""
    return enablement_feed(parse_period(month) if month else last_month())
