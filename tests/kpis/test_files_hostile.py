"""Hostile and broken measurement files (issue 15): a small workbook that unpacks to a huge one, a
field thousands of characters long, a sheet whose XML breaks half-way, a workbook with no sheet, a
sheet that understates its size. Each answers 400 with a short, clear message on the page and the
API (or ends its job failed) and writes nothing — never a 500, never the whole value echoed back."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.urls import reverse

from kpis import files
from kpis.models import ImportJob, Measurement
from tests.kpis.test_files import _xlsx as xlsx
from tests.kpis.test_import_jobs import upload as _upload

pytestmark = pytest.mark.django_db

HEADER = ("kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator")
SHEET = "xl/worksheets/sheet1.xml"


def rewrite(raw: bytes, name: str, change) -> bytes:
    """The workbook with one member's bytes replaced by ``change(old)``."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item.filename, change(data) if item.filename == name else data)
    return out.getvalue()


def upload(content: bytes | str, name="actuals.xlsx"):
    return _upload(content, name)


def refusals(client, api, user, content: bytes | str, name="actuals.xlsx"):
    """The page's, the API's and the API's ``?async=1`` answers to the same upload."""
    client.raise_request_exception = False
    client.force_login(user)
    page = client.post(reverse("kpis:import"), {"file": upload(content, name)})
    sync = api(user).post("/api/v1/measurements/import/", {"file": upload(content, name)}, format="multipart")
    later = api(user).post("/api/v1/measurements/import/?async=1", {"file": upload(content, name)},
                           format="multipart")
    return page, sync, later


def test_a_small_workbook_whose_cell_unpacks_to_30_mb_is_refused_in_a_short_answer(client, api, cast, kpis, sent):
    blob = b"A" * (30 * 1024 * 1024)
    raw = rewrite(xlsx([("REV", "DE", None, "2012-01", 1, None, None)]), SHEET,
                  lambda b: b.replace(b"<t>REV</t>", b"<t>" + blob + b"</t>", 1).replace(
                      b"<v>REV</v>", b"<v>" + blob + b"</v>", 1))
    assert len(raw) < 100 * 1024
    for response in refusals(client, api, cast["manager_de"], raw):
        assert response.status_code == 400 and len(response.content) < 100 * 1024
        assert "packed unlike a spreadsheet" in response.content.decode()
    assert not Measurement.objects.exists() and not ImportJob.objects.exists() and not sent


def test_a_workbook_unpacking_beyond_the_limit_is_refused(client, api, cast, kpis, sent, monkeypatch):
    monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 100 * 1024)  # a 1,000-row sheet unpacks to ~200 KB
    raw = xlsx([("REV", "DE", None, f"{2012 + i // 12}-{i % 12 + 1:02d}", 1, None, None) for i in range(1000)])
    for response in refusals(client, api, cast["manager_de"], raw):
        assert response.status_code == 400 and "unpacks to more than" in response.content.decode()
    assert not Measurement.objects.exists() and not ImportJob.objects.exists() and not sent


@pytest.mark.parametrize("name", ["actuals.csv", "actuals.xlsx"])
def test_a_field_longer_than_200_characters_is_refused_without_echoing_it(client, api, cast, kpis, sent, name):
    long_code = "X" * 50_000
    rows = [(long_code, "DE", None, "2012-01", 1, None, None), ("REV", "DE", None, "2012-02", "9" * 300, None, None),
            ("R" * 150, "DE", None, "2012-03", 1, None, None)]
    content = (",".join(HEADER) + "\n" + "".join(",".join("" if c is None else str(c) for c in r) + "\n" for r in rows)
               if name.endswith(".csv") else xlsx(rows))
    page, sync, _ = refusals(client, api, cast["manager_de"], content, name)
    assert page.status_code == 400 and len(page.content) < 100 * 1024
    assert sync.status_code == 400
    assert [(e["row"], e["field"], e["message"]) for e in sync.json()["errors"]] == [
        (2, "kpi", "Longer than 200 characters."), (3, "value", "Longer than 200 characters."),
        (4, "kpi", f"Unknown KPI '{'R' * 39}…'.")]
    assert not Measurement.objects.exists()


def test_a_json_batch_has_the_same_limit_on_a_field(api, cast, kpis):
    response = api(cast["manager_de"]).post("/api/v1/measurements/", [
        {"kpi": "REV", "org_unit": "D" * 201, "period": "2012-01", "value": 1}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Longer than 200 characters."


def test_an_unknown_column_is_named_shortly(api, cast, kpis):
    text = ",".join(HEADER) + "," + "c" * 100_000 + "\nREV,DE,,2012-01,1,,,\n"
    response = api(cast["manager_de"]).post("/api/v1/measurements/import/", {"file": upload(text, "a.csv")},
                                            format="multipart")
    assert response.status_code == 400 and len(response.content) < 1024
    assert re.search(r"unknown: c{39}…\)", response.json()["errors"][0]["message"])


def months(n: int, kpi="REV"):
    return [(kpi, "DE", None, f"{2012 + i // 12}-{i % 12 + 1:02d}", 10, None, None) for i in range(n)]


def broken_after_the_header(rows: int = 3) -> bytes:
    """A workbook whose sheet XML is cut in the middle of row 3 (the header still reads)."""
    return rewrite(xlsx(months(rows)), SHEET, lambda b: b[: b.index(b'<row r="3"') + 12] + b"<<<")


@pytest.mark.parametrize(("content", "message"), [
    (broken_after_the_header(), "cannot be read after row 2"),
    (rewrite(xlsx(months(1)), "xl/workbook.xml", lambda b: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", b,
                                                                   flags=re.S)), "has no worksheet"),
    (rewrite(xlsx(months(2)), SHEET, lambda b: b.replace(b'<row r="3"', b'<row r="2000000"')), "last row (1,048,576)"),
], ids=["xml-breaks-after-the-header", "no-worksheet", "row-past-excels-last"])
def test_a_broken_workbook_answers_400_naming_the_problem(client, api, cast, kpis, sent, content, message):
    for response in refusals(client, api, cast["manager_de"], content):
        assert response.status_code == 400, response.status_code
        assert message in response.content.decode()
    assert not Measurement.objects.exists() and not ImportJob.objects.exists() and not sent


def test_a_workbook_breaking_past_the_rows_counted_at_once_ends_its_job_failed(cast, kpis, sent):
    from kpis.services.imports import import_job_request, import_job_run

    raw = rewrite(xlsx(months(files.XLSX_COUNTED_ROWS + 50)), SHEET,
                  lambda b: b[: b.index(f'<row r="{files.XLSX_COUNTED_ROWS + 20}"'.encode()) + 12] + b"<<<")
    shape = files.check_shape(raw)
    assert not shape.exact  # too long to read while the page waits: the job finds the break
    job = import_job_request(actor=cast["manager_de"], raw=raw, filename="a.xlsx", shape=shape)
    assert import_job_run(job.pk) is False
    job.refresh_from_db()
    assert job.status == "failed" and job.errors[0]["message"].startswith(
        f"The workbook cannot be read after row {files.XLSX_COUNTED_ROWS + 19}")
    assert import_job_run(job.pk) is False and ImportJob.objects.get().status == "failed"  # no retry loop
    assert not Measurement.objects.exists()


def test_a_workbook_understating_its_size_is_imported_whole_as_a_job(client, cast, kpis, sent,
                                                                     django_capture_on_commit_callbacks):
    """The sheet says A1:G3 (two rows) but holds 600: never imported at once as two rows."""
    from kpis.services.imports import INLINE_MAX_ROWS, import_job_run

    rows = [(("REV", "NPS", "ACCTS", "DAYS")[i % 4], "DE", None, f"{2012 + i // 48}-{i // 4 % 12 + 1:02d}", 10, None,
             None) for i in range(600)]
    assert len(rows) > INLINE_MAX_ROWS
    raw = rewrite(xlsx(rows), SHEET, lambda b: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:G3"', b))
    client.force_login(cast["manager_de"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kpis:import"), {"file": upload(raw), "confirm": "on"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/kpis/import/jobs/{job.pk}/"
    assert not Measurement.objects.exists() and sent == [{"job_id": job.pk}]
    assert import_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows, job.created) == ("done", 600, 600) and Measurement.objects.count() == 600


def test_a_small_workbook_understating_its_size_is_still_read_whole(api, cast, kpis):
    raw = rewrite(xlsx(months(5)), SHEET, lambda b: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:G2"', b))
    assert files.check_shape(raw).rows == 5
    response = api(cast["manager_de"]).post("/api/v1/measurements/import/", {"file": upload(raw)}, format="multipart")
    assert response.status_code == 201 and response.json() == {"created": 5, "updated": 0}
