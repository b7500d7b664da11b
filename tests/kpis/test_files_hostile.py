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

pytestmark = pytest.mark.django_db

HEADER = ("kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator")
SHEET = "xl/worksheets/sheet1.xml"


def xlsx(rows, header=HEADER) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
    f = io.BytesIO(content.encode() if isinstance(content, str) else content)
    f.name = name
    return f


@pytest.fixture
def sent(monkeypatch):
    from kpis import tasks

    calls = []
    monkeypatch.setattr(tasks.run_import, "apply_async", lambda *a, **k: calls.append(k["kwargs"]))
    return calls


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
