"""Issue 15: a manager uploads a large file of actuals; the page sends them to the import job's page,
which shows its progress (htmx poll) until it lists the row errors — then, for the fixed file, what
changed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kpis.models import ImportJob, Measurement
from kpis.services.imports import INLINE_MAX_ROWS, import_job_run
from tests.kpis.conftest import kpis  # noqa: F401 - reused fixture
from tests.kpis.test_import_jobs import rows_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def upload(page, live_server, text: str, name: str) -> ImportJob:
    page.goto(f"{live_server.url}/kpis/import/")
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}])
    page.get_by_role("button", name="Import").click()
    expect(page).to_have_url(re.compile(r"/kpis/import/jobs/\d+/$"))
    expect(page.locator("#import-job")).to_contain_text("Queued")
    return ImportJob.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


def test_manager_watches_a_large_import_reach_its_row_errors_then_done(page, live_server, login, screenshot, cast,
                                                                       kpis, monkeypatch):  # noqa: F811
    from kpis import tasks

    monkeypatch.setattr(tasks.run_import, "apply_async", lambda *a, **k: None)  # the test plays the worker
    rows = INLINE_MAX_ROWS + 100
    login(cast["manager_de"])
    bad = rows_text(rows).replace("REV,DE,,2012-02,10", "REV,JP,,2012-02,10").replace("NPS,DE,,2012-03,10",
                                                                                       "NPS,DE,,2012-03,ten")
    job = upload(page, live_server, bad, "march-actuals.csv")
    screenshot(page, "1-queued")
    assert import_job_run(job.pk) is False
    status = page.locator("#import-job")
    expect(status).to_contain_text("Nothing was imported: 2 problems found", timeout=15_000)  # the poll picked it up
    errors = page.locator("#import-job table tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.first).to_contain_text("Unknown org unit 'JP'.")
    expect(errors.nth(1)).to_contain_text("value")
    screenshot(page, "2-errors")
    assert not Measurement.objects.exists()

    job = upload(page, live_server, rows_text(rows), "march-actuals-fixed.csv")
    assert import_job_run(job.pk) is True
    expect(status).to_have_attribute("data-status", "done", timeout=15_000)
    expect(status).to_contain_text(f"{rows} new, 0 corrected measurements")
    expect(page.locator("#import-job table tbody tr")).to_have_count(20)
    screenshot(page, "3-done")
    assert Measurement.objects.count() == rows

    page.goto(f"{live_server.url}/kpis/import/")  # both uploads are among the manager's recent imports
    recent = page.locator(".list-group-item")
    expect(recent).to_have_count(2)
    expect(recent.first).to_contain_text("march-actuals-fixed.csv")
    expect(recent.nth(1)).to_contain_text("Not imported")
    screenshot(page, "4-recent")


def test_manager_uploading_a_broken_workbook_reads_what_is_wrong(page, live_server, login, screenshot, cast,
                                                                 kpis):  # noqa: F811
    from tests.kpis.test_files_hostile import broken_after_the_header

    login(cast["manager_de"])
    page.goto(f"{live_server.url}/kpis/import/")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    page.set_input_files("#file", files=[{"name": "march.xlsx", "buffer": broken_after_the_header(), "mimeType": xlsx}])
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("The workbook cannot be read after row 2")).to_be_visible()
    screenshot(page, "broken-workbook")
    assert not Measurement.objects.exists() and not ImportJob.objects.exists()
