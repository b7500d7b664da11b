"""Pages of import jobs (``kpis.services.imports``): watch one run (htmx poll), read what it did,
confirm its questioned values. A job is its uploader's alone (``ImportJob.objects.restrict``:
anyone else's answers 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kpis.models import ImportJob
from kpis.services.imports import import_job_confirm


def _job_or_404(request, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.restrict(request.user, "view").defer("content"), pk=pk)


@login_required
def import_job(request, pk: int):
    return render(request, "kpis/import_job.html", {"job": _job_or_404(request, pk)})


@login_required
def import_job_status(request, pk: int):
    """The fragment the job page polls (htmx) until the import is finished."""
    return render(request, "kpis/_import_job_status.html", {"job": _job_or_404(request, pk)})


@login_required
@require_POST
def import_job_confirm_view(request, pk: int):
    """"Confirm and import": the job runs again, the questioned values recorded as confirmed."""
    job = _job_or_404(request, pk)
    import_job_confirm(actor=request.user, job=job)  # a job no longer waiting (a second click) stays as it is
    return redirect("kpis:import-job", pk=job.pk)
