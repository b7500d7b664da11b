"""Imports that run as a job: a measurements file too large to import while the page waits.

The page checks the file's shape at once (``kpis.files.check_shape``: a bad header, encoding or
delimiter answers 400 and nothing is queued); a file of more than ``INLINE_MAX_ROWS`` rows is then
stored on an ``ImportJob`` row (``import_job_request``) and imported by the worker
(``import_job_run``), which the job page polls.

The job follows the house protocol of stored jobs (``governance.jobs``): enqueued after its row
commits; claimed with a compare-and-set, so two workers given the same job run it once; progress
written as it goes (its own small UPDATEs, outside the write's transaction); the measurements are
written all or nothing (``measurements_write``) in one transaction with the status ``done`` —
never half an import. Row errors end the job ``failed`` with the errors listed; values far from
their history end it ``confirm`` with the warnings, and confirming (``import_job_confirm``) queues
the same job again with ``confirm``. Any other failure is recorded on the row and logged. A job
whose message was lost or whose worker died is sent again by the periodic catch-up
(``import_jobs_catch_up``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from governance.jobs import claim, enqueue, enqueue_on_commit, lost, record_progress
from governance.models import User
from kpis.files import Shape, read_table
from kpis.models import ImportJob, ImportStatus, Measurement
from kpis.plausibility import PlausibilityWarning
from kpis.rows import MAX_ERRORS, BulkValidationError
from kpis.services.measurements import MeasurementConflict, measurements_prepare, measurements_write
from kpis.values import value_formatter

log = logging.getLogger("accord.kpis")

INLINE_MAX_ROWS = 500
"""Files of up to this many data rows are imported while the page waits (well under a second);
larger ones — and workbooks with more rows than ``kpis.files`` counts at once — run as an ``ImportJob``. It is
the set-based write's ``COPY_THRESHOLD`` too: below it an import is a handful of ORM statements."""

STALE_AFTER = timedelta(minutes=10)  # a running job silent this long lost its worker: claimable again
SAMPLE = 20  # changed keys listed on the job page
RUN_IMPORT = "kpis.tasks.run_import"  # the task, by name (kpis.tasks imports this module)


def runs_inline(shape: Shape) -> bool:
    """Whether the page imports a file of this shape at once rather than as a job."""
    return shape.exact and shape.rows is not None and shape.rows <= INLINE_MAX_ROWS


def import_job_request(*, actor: User, raw: bytes, filename: str, shape: Shape, decimal: str = "",
                       confirm: bool = False, now: datetime | None = None) -> ImportJob:
    """Store an upload whose shape was checked (``kpis.files.check_shape``) and queue its import
    (``confirm``: questioned values are recorded as they are, as the API's ``confirm=true``)."""
    with transaction.atomic():
        job = ImportJob.objects.create(
            requested_by=actor, requested_at=now or timezone.now(), filename=filename[:200], fmt=shape.kind,
            content=raw, size=len(raw), decimal=decimal if decimal in ("comma", "point") else "", rows=shape.rows,
            confirm=confirm)
        enqueue_on_commit(RUN_IMPORT, job_id=job.pk)
    return job


def import_jobs_catch_up(*, now: datetime | None = None, limit: int = 100) -> int:
    """The periodic catch-up (beat, every minute): send again, oldest first, the jobs whose message
    was lost (queued for over a minute) or whose worker died (running, silent past ``STALE_AFTER``)
    — ``governance.jobs.lost``. Returns how many were sent. Idempotent and safe with two beats: a job
    sent twice is claimed by one run. (A job queued again by a confirmation keeps its old
    ``requested_at``, so it may be sent once more; that run finds it taken and does nothing.)"""
    now = now or timezone.now()
    due = lost(ImportJob.objects.all(), now=now, stale_after=STALE_AFTER)
    ids = list(due.order_by("requested_at", "pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        enqueue(RUN_IMPORT, job_id=pk)
    if ids:
        log.warning("import jobs sent again (lost message or worker): %s", ids)
    return len(ids)


def import_job_confirm(*, actor: User, job: ImportJob) -> bool:
    """The uploader confirms the questioned values: the job runs again with ``confirm`` (a
    compare-and-set from ``confirm``, so a double click queues it once). False if it was not waiting."""
    if job.requested_by_id != actor.pk:
        raise PermissionDenied("Only whoever uploaded the file confirms its values.")
    with transaction.atomic():
        queued = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CONFIRM).update(
            status=ImportStatus.QUEUED, confirm=True, progress=0, step="", finished_at=None)
        if queued:
            enqueue_on_commit(RUN_IMPORT, job_id=job.pk)
    return queued == 1


def import_job_run(job_id: int, *, now: datetime | None = None) -> bool:
    """Run the import (the job). True when this call imported the file; False when another run has
    it, it is finished, or it ended failed / waiting for a confirmation (recorded on the row)."""
    now = now or timezone.now()
    if not claim(ImportJob.objects.filter(pk=job_id), now=now, stale_after=STALE_AFTER):
        return False
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    mine = ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING, started_at=job.started_at)
    try:
        return _run(job, mine, now)
    except BulkValidationError as exc:
        _end(mine, ImportStatus.FAILED, errors=exc.public_errors(), error_count=exc.error_count,
             error=f"{exc.error_count} problem{'s' if exc.error_count != 1 else ''} found: nothing was imported.")
    except PlausibilityWarning as exc:
        payload = exc.payload(limit=MAX_ERRORS)
        _end(mine, ImportStatus.CONFIRM, warnings=payload["warnings"], warning_count=payload["warning_count"])
    except MeasurementConflict:
        _end(mine, ImportStatus.FAILED, error="Someone else recorded some of these measurements at the same "
                                              "moment: upload the file again.")
    except PermissionDenied as exc:
        _end(mine, ImportStatus.FAILED, error=str(exc))
    except Exception as exc:  # recorded on the row for the page; the log keeps the traceback
        log.exception("import job %s failed", job_id)
        _end(mine, ImportStatus.FAILED, error=f"The import failed: {exc}"[:2000])
    return False


def _end(mine, status: str, **fields) -> None:
    mine.update(status=status, finished_at=timezone.now(), step=ImportStatus(status).label,
                progress=100 if status == ImportStatus.DONE else 0, **fields)


def _run(job: ImportJob, mine, now: datetime) -> bool:
    actor = job.requested_by
    if actor is None or not actor.is_active:
        raise PermissionDenied("The person who uploaded this file can no longer import measurements.")
    expected = max(job.rows or 0, 1)

    def read(n: int) -> None:
        record_progress(mine, 5 + 35 * min(n, expected) // expected, f"Reading the file: {n:,} rows")

    record_progress(mine, 5, "Reading the file")
    table = read_table(bytes(job.content), decimal=job.decimal, on_rows=read)
    mine.update(rows=len(table.rows))
    record_progress(mine, 40, f"Checking {len(table.rows):,} rows against their KPIs and history")
    resolved = measurements_prepare(actor=actor, rows=table.rows, now=now, first_row=2,
                                    decimal_comma=table.decimal_comma, confirm=job.confirm)
    record_progress(mine, 70, f"Writing {len(resolved):,} measurements")
    with transaction.atomic():
        if not mine.select_for_update().exists():
            return False  # a later run reclaimed the job as stale: it imports, not this one
        stored = _stored(resolved)
        result = measurements_write(resolved, actor=actor, source=table.kind, now=now)
        unchanged = sum(1 for r in resolved if stored.get(r["key"]) == _values(r))
        changes = [_change(r, stored.get(r["key"])) for r in resolved if stored.get(r["key"]) != _values(r)]
        _end(mine, ImportStatus.DONE, created=result.created, corrected=result.updated - unchanged,
             unchanged=unchanged, changes=changes[:SAMPLE], errors=[], error_count=0, warnings=[], warning_count=0)
    return True


Values = tuple[Decimal | None, Decimal | None, Decimal | None]


def _values(r: dict) -> Values:
    return r["value"], r["numerator"], r["denominator"]


def _stored(resolved: list[dict]) -> dict[tuple, Values]:
    """The values stored now under the rows' keys (one query over the keys' KPIs, units, months)."""
    keys = {r["key"] for r in resolved}
    rows = Measurement.objects.filter(
        kpi_id__in={k[0] for k in keys}, org_unit_id__in={k[1] for k in keys},
        partnership_key__in={k[2] for k in keys}, period__in={k[3] for k in keys},
    ).values_list("kpi_id", "org_unit_id", "partnership_key", "period", "value", "numerator", "denominator")
    return {key: (v, n, d) for *key_parts, v, n, d in rows.iterator(chunk_size=5000)
            if (key := tuple(key_parts)) in keys}


def _change(r: dict, before: Values | None) -> dict:
    """One changed key as the job page lists it (formatted as the KPI's figures read)."""
    kpi = r["kpi"]
    fmt = value_formatter(kpi)
    return {"row": r["row"], "kpi": kpi.code, "org_unit": r["org_unit"].code, "partnership": r["partnership_id"],
            "period": f"{r['key'][3]:%Y-%m}", "value": fmt(r["value"]),
            "previous": None if before is None else fmt(before[0])}
