"""Large imports run as a job (issue 15): the page checks the file's shape at once (400, nothing
queued), stores the upload on an ``ImportJob``, sends the uploader to the job's page, and the
worker imports it all or nothing with its progress on the row — the page then lists what changed,
the row errors, or the values to confirm. A job is its uploader's alone; two workers given the
same job import it once."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse

from kpis import files
from kpis.models import ImportJob, Measurement
from kpis.services import imports
from kpis.services.imports import INLINE_MAX_ROWS, STALE_AFTER, import_job_run
from kpis.services.measurements import measurements_record

from .conftest import NOW

HEADER = "kpi,org_unit,partnership,period,value,numerator,denominator\n"
KPIS = ("REV", "NPS", "ACCTS", "DAYS")


def rows_text(n: int, value=10, unit="DE") -> str:
    """``n`` distinct keys at ``unit``: the four plain KPIs × consecutive months from 2012-01."""
    lines = []
    for i in range(n):
        month = i // len(KPIS)
        lines.append(f"{KPIS[i % len(KPIS)]},{unit},,{2012 + month // 12}-{month % 12 + 1:02d},{value},,\n")
    return HEADER + "".join(lines)


def upload(text: str | bytes, name="actuals.csv"):
    f = io.BytesIO(text.encode() if isinstance(text, str) else text)
    f.name = name
    return f


def post(client, user, file, django_capture_on_commit_callbacks, **data):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("kpis:import"), {"file": file, **data})


pytestmark = pytest.mark.django_db


def test_a_large_file_becomes_a_job_whose_progress_the_page_shows_until_it_lists_what_changed(
        client, cast, kpis, sent, monkeypatch, django_capture_on_commit_callbacks):
    rows = INLINE_MAX_ROWS + 100
    response = post(client, cast["manager_de"], upload(rows_text(rows)), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/kpis/import/jobs/{job.pk}/"
    assert sent == [{"job_id": job.pk}]  # enqueued once, after the row committed
    assert (job.status, job.rows, job.fmt, job.size, job.requested_by) == ("queued", rows, "csv",
                                                                           len(rows_text(rows)), cast["manager_de"])
    assert not Measurement.objects.exists()
    page = client.get(f"/kpis/import/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "Queued: waiting for a worker (0%)" in page

    seen = []  # every progress write, as the polling page would read the row right after it
    real = imports.record_progress

    def spy(queryset, percent, step):
        real(queryset, percent, step)
        seen.append(ImportJob.objects.values_list("progress", "step").get(pk=job.pk))

    monkeypatch.setattr(imports, "record_progress", spy)
    monkeypatch.setattr(files, "PROGRESS_EVERY", 200)
    assert import_job_run(job.pk) is True
    assert seen == [(5, "Reading the file"), (16, "Reading the file: 200 rows"), (28, "Reading the file: 400 rows"),
                    (40, "Reading the file: 600 rows"), (40, f"Checking {rows} rows against their KPIs and history"),
                    (70, f"Writing {rows} measurements")]
    job.refresh_from_db()
    assert (job.status, job.progress, job.created, job.corrected, job.unchanged) == ("done", 100, rows, 0, 0)
    assert Measurement.objects.filter(org_unit__code="DE", entered_by=cast["manager_de"]).count() == rows
    assert len(job.changes) == imports.SAMPLE and job.changes[0] == {
        "row": 2, "kpi": "REV", "org_unit": "DE", "partnership": None, "period": "2012-01", "value": "10 u",
        "previous": None}
    status = client.get(f"/kpis/import/jobs/{job.pk}/status/").content.decode()
    assert "hx-trigger" not in status  # the poll stops
    assert f"{rows} new, 0 corrected measurements" in status and "the first 20 of 600" in status
    assert import_job_run(job.pk) is False  # a second delivery of the task imports nothing
    assert Measurement.history.count() == rows


def test_corrections_and_unchanged_rows_are_counted_and_listed_with_their_previous_value(
        client, cast, kpis, sent, django_capture_on_commit_callbacks):
    rows = INLINE_MAX_ROWS + 4
    measurements_record(actor=cast["manager_de"], rows=[
        {"kpi": "REV", "org_unit": "DE", "period": "2012-01", "value": 7},  # corrected to 10
        {"kpi": "NPS", "org_unit": "DE", "period": "2012-01", "value": "10.000"},  # the same value again
    ], now=NOW, confirm=True)
    post(client, cast["manager_de"], upload(rows_text(rows)), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert import_job_run(job.pk)
    job.refresh_from_db()
    assert (job.created, job.corrected, job.unchanged) == (rows - 2, 1, 1)
    assert job.changes[0] == {"row": 2, "kpi": "REV", "org_unit": "DE", "partnership": None, "period": "2012-01",
                              "value": "10 u", "previous": "7 u"}
    assert all(c["kpi"] != "NPS" or c["period"] != "2012-01" for c in job.changes)  # unchanged: not listed
    page = client.get(f"/kpis/import/jobs/{job.pk}/").content.decode()
    assert f"{rows - 2} new, 1 corrected and 1 unchanged" in page


def test_row_errors_end_the_job_failed_listing_row_and_column_and_nothing_is_written(
        client, cast, kpis, sent, django_capture_on_commit_callbacks):
    text = rows_text(INLINE_MAX_ROWS + 10) + "REV,JP,,2024-01,5,,\nREV,DE,,2024-02,abc,,\n"
    post(client, cast["manager_de"], upload(text), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert import_job_run(job.pk) is False
    job.refresh_from_db()
    assert job.status == "failed" and job.error_count == 2
    assert [(e["row"], e["field"]) for e in job.errors] == [(INLINE_MAX_ROWS + 12, "org_unit"),
                                                            (INLINE_MAX_ROWS + 13, "value")]
    assert not Measurement.objects.exists()
    page = client.get(f"/kpis/import/jobs/{job.pk}/status/").content.decode()
    assert "Nothing was imported: 2 problems found" in page and "Unknown org unit &#x27;JP&#x27;." in page
    assert f"<td>{INLINE_MAX_ROWS + 13}</td><td><code>value</code></td>" in page


def test_an_import_that_is_all_errors_lists_the_first_thousand_and_counts_them_all(
        client, cast, kpis, sent, django_capture_on_commit_callbacks):
    text = HEADER + "".join(f"REV,XX{m},,2024-01,1,,\n" for m in range(1, 1201))
    post(client, cast["admin"], upload(text), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    import_job_run(job.pk)
    page = client.get(f"/kpis/import/jobs/{job.pk}/").content.decode()
    assert "1200 problems found" in page and "The first 1000 of 1200 problems are listed." in page
    assert len(ImportJob.objects.get().errors) == 1000


def test_values_far_from_their_history_wait_for_confirm_and_import(client, cast, kpis, sent,
                                                                   django_capture_on_commit_callbacks):
    history = [{"kpi": "REV", "org_unit": "AT", "period": f"2025-{m:02d}", "value": v}
               for m, v in enumerate([100, 102, 98, 101, 99, 100], start=1)]
    measurements_record(actor=cast["admin"], rows=history, now=NOW)
    text = rows_text(INLINE_MAX_ROWS + 10) + "REV,AT,,2025-07,1000,,\n"
    post(client, cast["leader"], upload(text), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert import_job_run(job.pk, now=NOW) is False
    job.refresh_from_db()
    assert (job.status, job.warning_count) == ("confirm", 1) and "10× jump" in job.warnings[0]["message"]
    assert Measurement.objects.count() == len(history)
    page = client.get(f"/kpis/import/jobs/{job.pk}/").content.decode()
    assert "Confirm and import" in page and "10× jump" in page and "hx-trigger" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/kpis/import/jobs/{job.pk}/confirm/")
        client.post(f"/kpis/import/jobs/{job.pk}/confirm/")  # a double click queues it once
    assert response.status_code == 302 and sent == [{"job_id": job.pk}] * 2
    job.refresh_from_db()
    assert (job.status, job.confirm) == ("queued", True)
    assert import_job_run(job.pk, now=NOW) is True
    job.refresh_from_db()
    assert job.status == "done" and job.created == INLINE_MAX_ROWS + 11
    assert "10× jump" in Measurement.objects.get(org_unit__code="AT", period__month=7).outlier_note


def test_a_job_is_its_uploaders_alone(client, cast, kpis, sent, django_capture_on_commit_callbacks):
    history = [{"kpi": "REV", "org_unit": "DE", "period": f"2025-{m:02d}", "value": 100} for m in range(1, 7)]
    measurements_record(actor=cast["admin"], rows=history, now=NOW)
    text = rows_text(INLINE_MAX_ROWS + 10) + "REV,DE,,2025-07,1000,,\n"
    post(client, cast["manager_de"], upload(text), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    import_job_run(job.pk, now=NOW)
    for other in ("leader", "manager_jp", "partner", "admin"):
        client.force_login(cast[other])
        for url in (f"/kpis/import/jobs/{job.pk}/", f"/kpis/import/jobs/{job.pk}/status/"):
            assert client.get(url).status_code == 404, (other, url)
        assert client.post(f"/kpis/import/jobs/{job.pk}/confirm/").status_code == 404
        assert job.filename not in client.get("/kpis/import/").content.decode()
    job.refresh_from_db()
    assert job.status == "confirm" and not job.confirm and len(sent) == 1
    client.force_login(cast["manager_de"])
    assert "actuals.csv" in client.get("/kpis/import/").content.decode()  # listed among their recent imports


@pytest.mark.parametrize(("text", "message"), [
    (HEADER.replace(",", "|") + "REV|DE||2024-01|1||\n" * 600, "Could not tell how the columns"),
    ("kpi,unit,period,value\n" + "REV,DE,2024-01,1\n" * 600, "missing: org_unit"),
    (rows_text(INLINE_MAX_ROWS + 10).encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04 not really a workbook", "not a readable XLSX workbook"),
])
def test_a_file_of_the_wrong_shape_answers_400_at_once_and_queues_nothing(
        client, cast, kpis, sent, django_capture_on_commit_callbacks, text, message):
    response = post(client, cast["manager_de"], upload(text), django_capture_on_commit_callbacks)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ImportJob.objects.exists() and sent == []


def test_the_upload_script_is_sent_to_the_job_page(client, cast, kpis, sent, django_capture_on_commit_callbacks):
    client.force_login(cast["manager_de"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kpis:import"), {"file": upload(rows_text(INLINE_MAX_ROWS + 1))},
                               HTTP_HX_REQUEST="true")
    assert response.status_code == 202
    assert response["HX-Redirect"] == f"/kpis/import/jobs/{ImportJob.objects.get().pk}/"


def test_a_small_file_is_still_imported_while_the_page_waits(client, cast, kpis, sent,
                                                             django_capture_on_commit_callbacks):
    response = post(client, cast["manager_de"], upload(rows_text(INLINE_MAX_ROWS)), django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/kpis/import/"
    assert Measurement.objects.count() == INLINE_MAX_ROWS and not ImportJob.objects.exists()


def test_an_xlsx_workbook_runs_as_a_job(client, cast, kpis, sent, django_capture_on_commit_callbacks):
    lines = [line.split(",") for line in rows_text(INLINE_MAX_ROWS + 5).splitlines()]
    book = files.write_xlsx(lines[0], [[c or None for c in row[:4]] + [int(row[4]), None, None] for row in lines[1:]],
                            title="Actuals")
    post(client, cast["manager_de"], upload(book, "actuals.xlsx"), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.fmt, job.rows) == ("xlsx", INLINE_MAX_ROWS + 5)
    assert import_job_run(job.pk)
    assert Measurement.objects.filter(source="xlsx").count() == INLINE_MAX_ROWS + 5


def test_a_failure_is_recorded_on_the_job_and_nothing_is_half_written(
        client, cast, kpis, sent, monkeypatch, django_capture_on_commit_callbacks):
    from kpis.services import bulk

    post(client, cast["manager_de"], upload(rows_text(INLINE_MAX_ROWS + 10)), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    real = bulk.upsert_with_history

    def write_then_fail(*args, **kwargs):  # the rows are in; then the write fails before the commit
        real(*args, **kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("kpis.services.measurements.upsert_with_history", write_then_fail)
    assert import_job_run(job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "The import failed: the disk is full")
    assert not Measurement.objects.exists() and not Measurement.history.exists()
    assert "the disk is full" in client.get(f"/kpis/import/jobs/{job.pk}/").content.decode()


def test_a_run_that_lost_its_claim_as_stale_writes_nothing(client, cast, kpis, sent, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    """Worker A is slow; after ``STALE_AFTER`` worker B reclaims the job and imports it. When A
    reaches its write, the job is no longer its own: A writes nothing."""
    post(client, cast["manager_de"], upload(rows_text(INLINE_MAX_ROWS + 10)), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    real = imports.measurements_prepare
    results: list = []

    def slow_prepare(**kwargs):
        if not results:  # A, mid-run: B arrives after the stale limit and runs to the end
            results.append("B started")
            results.append(import_job_run(job.pk, now=kwargs["now"] + STALE_AFTER + timedelta(seconds=1)))
        return real(**kwargs)

    monkeypatch.setattr(imports, "measurements_prepare", slow_prepare)
    assert import_job_run(job.pk) is False and results == ["B started", True]
    assert Measurement.objects.count() == INLINE_MAX_ROWS + 10 == Measurement.history.count()


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_job_at_once_import_it_once(cast, kpis):
    raw = rows_text(INLINE_MAX_ROWS + 100).encode()
    with mock.patch("kpis.tasks.run_import.apply_async"):
        job = imports.import_job_request(actor=cast["manager_de"], raw=raw, filename="a.csv",
                                         shape=files.check_shape(raw))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(import_job_run(job.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(results) == [False, True]
    assert Measurement.objects.count() == INLINE_MAX_ROWS + 100 == Measurement.history.count()
    assert ImportJob.objects.get().created == INLINE_MAX_ROWS + 100
    assert Measurement.objects.filter(value=Decimal(10)).count() == INLINE_MAX_ROWS + 100


def test_the_api_stays_synchronous_and_imports_as_a_job_when_asked(api, cast, kpis, sent,
                                                                     django_capture_on_commit_callbacks):
    url = "/api/v1/measurements/import/"
    rows = INLINE_MAX_ROWS + 10
    response = api(cast["manager_de"]).post(url, {"file": upload(rows_text(rows))}, format="multipart")
    assert response.status_code == 201 and response.json() == {"created": rows, "updated": 0}  # as documented
    assert not ImportJob.objects.exists()

    bad = api(cast["manager_de"]).post(url + "?async=1", {"file": upload("kpi,unit,period,value\nREV,DE,2024-01,1\n")},
                                       format="multipart")
    assert bad.status_code == 400 and "missing: org_unit" in bad.json()["errors"][0]["message"]
    assert not ImportJob.objects.exists() and sent == []

    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast["manager_de"]).post(url + "?async=1", {"file": upload(rows_text(rows, value=11))},
                                                format="multipart")
    job = ImportJob.objects.get()
    assert response.status_code == 202 and sent == [{"job_id": job.pk}]
    assert response["Location"] == response.json()["url"] == f"/api/v1/import-jobs/{job.pk}/"
    assert response.json()["status"] == "queued" and "content" not in response.json()
    import_job_run(job.pk)
    body = api(cast["manager_de"]).get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert (body["status"], body["progress"], body["created"], body["corrected"]) == ("done", 100, 0, rows)
    assert [j["id"] for j in api(cast["manager_de"]).get("/api/v1/import-jobs/").json()["results"]] == [job.pk]
    for other in ("admin", "manager_jp", "leader"):
        assert api(cast[other]).get(f"/api/v1/import-jobs/{job.pk}/").status_code == 404
        assert api(cast[other]).get("/api/v1/import-jobs/").json()["results"] == []


def _job(user, *, status="queued", requested=NOW, started=None, rows=8) -> ImportJob:
    raw = rows_text(rows).encode()
    return ImportJob.objects.create(requested_by=user, requested_at=requested, filename="a.csv", fmt="csv",
                                    content=raw, size=len(raw), status=status, started_at=started)


def test_a_job_whose_message_was_lost_is_sent_again_by_the_next_sweep_and_imported_once(cast, kpis, sent):
    """The broker was down when the job was queued (nothing sent): a minute later the beat's
    catch-up sends it, as it does a job whose worker died; two sweeps at once import it once."""
    user = cast["manager_de"]
    lost_message = _job(user, requested=NOW - timedelta(minutes=2))
    just_queued = _job(user, requested=NOW - timedelta(seconds=20))
    dead_worker = _job(user, status="running", requested=NOW - timedelta(hours=1),
                       started=NOW - STALE_AFTER - timedelta(seconds=1))
    working = _job(user, status="running", requested=NOW - timedelta(hours=1), started=NOW - timedelta(minutes=9))
    for finished in ("done", "failed", "confirm"):
        _job(user, status=finished, requested=NOW - timedelta(hours=1), started=NOW - timedelta(hours=1))

    assert imports.import_jobs_catch_up(now=NOW) == 2
    assert imports.import_jobs_catch_up(now=NOW) == 2  # a second beat at the same moment
    assert sent == [{"job_id": dead_worker.pk}, {"job_id": lost_message.pk}] * 2  # oldest first

    results = [import_job_run(job_id, now=NOW) for job_id in (c["job_id"] for c in sent)]
    assert results == [True, True, False, False]  # each imported once, the copies find it taken
    assert {j.pk: j.status for j in ImportJob.objects.filter(pk__in=[lost_message.pk, dead_worker.pk])} == {
        lost_message.pk: "done", dead_worker.pk: "done"}
    assert ImportJob.objects.get(pk=just_queued.pk).status == "queued"
    assert ImportJob.objects.get(pk=working.pk).status == "running"
    assert Measurement.objects.count() == 8 and Measurement.history.count() == 16  # written, then corrected
    sent.clear()
    assert imports.import_jobs_catch_up(now=NOW) == 0 and sent == []


def test_the_catch_up_runs_every_minute_and_survives_the_broker_being_down(cast, kpis, monkeypatch, caplog):
    from django.conf import settings

    from governance.celery import app
    from kpis import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["kpis-catch-up-imports"]
    assert entry["task"] == "kpis.tasks.catch_up_imports" in app.tasks and entry["schedule"] <= 60

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.run_import, "apply_async", broker_down)
    job = _job(cast["manager_de"], requested=NOW - timedelta(minutes=5))
    with mock.patch("kpis.services.imports.timezone.now", return_value=NOW):
        assert tasks.catch_up_imports() == 1  # logged, not raised: the next minute tries again
    assert ImportJob.objects.get(pk=job.pk).status == "queued"
    assert "could not enqueue kpis.tasks.run_import" in caplog.text
