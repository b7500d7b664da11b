"""Measurement files (issue 15): CSV as spreadsheets save it (semicolon/tab, BOM, decimal comma only
where declared or proven, clear refusals of unknown encodings and delimiters), XLSX import, and
templates per unit and period that round-trip."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from kpis.models import KPI, Measurement
from kpis.services.definitions import kpi_create

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/measurements/import/"


@pytest.fixture
def typed(db, functions):
    sales = [(functions["SALES"], None, 1)]
    return {
        "FCST": kpi_create(code="FCST", name="Forecast accuracy", unit="%", aggregation="average",
                           category="acceleration", owners=sales),
        "DEALS": kpi_create(code="DEALS", name="Deals closed", unit="deals", kind="count", aggregation="sum",
                            category="acceleration", owners=sales),
    }


def upload(content: bytes, name="actuals.csv"):
    f = io.BytesIO(content)
    f.name = name
    return f


def post(api, user, content: bytes, name="actuals.csv", **extra):
    return api(user).post(IMPORT, {"file": upload(content, name), **extra}, format="multipart")


def values():
    return {(m.kpi.code, f"{m.period:%Y-%m}"): m.value for m in Measurement.objects.select_related("kpi")}


def test_a_german_excel_file_semicolons_bom_and_decimal_commas_imports(api, cast, typed):
    text = ("\ufeffkpi;org_unit;partnership;period;value;numerator;denominator\r\n"
            "FCST;DE;;2025-01;0,828;;\r\nDEALS;DE;;2025-01;18;;\r\nFCST;DE;;2025-02;81,5%;;\r\n")
    response = post(api, cast["manager_de"], text.encode())
    assert response.status_code == 201, response.content
    assert values() == {("FCST", "2025-01"): Decimal("0.828"), ("DEALS", "2025-01"): 18,
                        ("FCST", "2025-02"): Decimal("0.815")}


def test_tab_separated_files_import(api, cast, typed):
    text = "kpi\torg_unit\tpartnership\tperiod\tvalue\tnumerator\tdenominator\nDEALS\tDE\t\t2025-01\t7\t\t\n"
    assert post(api, cast["manager_de"], text.encode()).status_code == 201
    assert values() == {("DEALS", "2025-01"): 7}


def test_a_decimal_comma_is_read_only_where_declared_or_proven(api, cast, typed):
    head = "kpi;org_unit;partnership;period;value;numerator;denominator\n"
    ambiguous = (head + "DEALS;DE;;2025-01;1,000;;\n").encode()
    response = post(api, cast["manager_de"], ambiguous)
    assert response.status_code == 400 and "thousands separator" in response.json()["errors"][0]["message"]
    assert post(api, cast["manager_de"], ambiguous, decimal="comma").status_code == 201
    assert values() == {("DEALS", "2025-01"): 1}
    mixed = (head + "FCST;DE;;2025-02;0,5;;\nFCST;DE;;2025-03;0.5;;\n").encode()
    response = post(api, cast["manager_de"], mixed)
    assert response.status_code == 400 and "both decimal commas and decimal points" in response.content.decode()
    comma_file = "kpi,org_unit,partnership,period,value,numerator,denominator\nFCST,DE,,2025-04,\"0,5\",,\n"
    response = post(api, cast["manager_de"], comma_file.encode())
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "value"


@pytest.mark.parametrize(("content", "message"), [
    ("kpi,org_unit,period,value\nDEALS,Österreich,2025-01,1\n".encode("cp1252"), "not UTF-8"),
    ("kpi,org_unit,period,value\n".encode("utf-16"), "UTF-16"),
    (b"kpi|org_unit|partnership|period|value\nDEALS|DE||2025-01|1\n", "separated by commas, semicolons or tabs"),
    (b"Kennzahl;Einheit;Monat;Wert\nDEALS;DE;2025-01;1\n", "separated by commas, semicolons or tabs"),
])
def test_unknown_encodings_and_delimiters_are_named(api, cast, typed, content, message):
    response = post(api, cast["manager_de"], content)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"] and response.json()["errors"][0]["field"] == "file"
    assert not Measurement.objects.exists()


def _xlsx(rows, header=("kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_imports_with_excel_numbers_percent_cells_and_date_months(api, cast, typed):
    content = _xlsx([("FCST", "DE", None, date(2025, 1, 1), 0.1 + 0.7, None, None),
                     ("DEALS", "DE", None, "2025-01", 18, None, None)])
    response = post(api, cast["manager_de"], content, name="actuals.xlsx")
    assert response.status_code == 201, response.content
    assert values() == {("FCST", "2025-01"): Decimal("0.8"), ("DEALS", "2025-01"): 18}
    assert set(Measurement.objects.values_list("source", flat=True)) == {"xlsx"}
    bad = post(api, cast["manager_de"], _xlsx([("DEALS", "DE", None, "2025-02", -3, None, None)]), name="b.xlsx")
    assert bad.status_code == 400 and bad.json()["errors"][0]["row"] == 2
    assert post(api, cast["manager_de"], b"PK\x03\x04 broken", name="c.xlsx").status_code == 400


def test_the_template_per_unit_and_period_round_trips_as_xlsx(client, api, cast, typed, target, record, org):
    target(typed["DEALS"], org["DE"], "2025-03", 20)
    target(typed["FCST"], org["DE"], "2025-03", "0.9")
    record(typed["DEALS"], org["DE"], "2025-02", value=17)
    client.force_login(cast["manager_de"])
    response = client.get("/kpis/import/template/?unit=DE&period=2025-03&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator"]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"DEALS", "FCST"}
    assert rows["DEALS"]["previous"] == 17 and rows["DEALS"]["period"] == "2025-03"
    fcst_row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "FCST")
    assert fcst_row[4].number_format == "0.0%"
    # A person fills it in and uploads it back.
    for r in sheet.iter_rows(min_row=2):
        r[4].value = 19 if r[0].value == "DEALS" else 0.875
    out = io.BytesIO()
    book.save(out)
    response = post(api, cast["manager_de"], out.getvalue(), name="filled.xlsx")
    assert response.status_code == 201, response.content
    assert values()[("DEALS", "2025-03")] == 19 and values()[("FCST", "2025-03")] == Decimal("0.875")
    # Downloaded again, it carries the figures, and uploading it unchanged changes nothing.
    again = client.get("/kpis/import/template/?unit=DE&period=2025-03&format=xlsx").content
    response = post(api, cast["manager_de"], again, name="again.xlsx")
    assert response.json() == {"created": 0, "updated": 2}
    assert values()[("FCST", "2025-03")] == Decimal("0.875")


def test_the_csv_template_and_the_xlsx_export(client, cast, typed, target, record, org):
    target(typed["DEALS"], org["DE"], "2025-03", 20)
    record(typed["DEALS"], org["DE"], "2025-03", value=21)
    client.force_login(cast["manager_de"])
    text = client.get("/kpis/import/template/?unit=DE&period=2025-03").content.decode()
    assert text.splitlines()[1].startswith("DEALS,DE,,2025-03,21,,")
    export = client.get("/kpis/measurements/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[2]][:5] == ["DEALS", "DE", None, "2025-03", 21]


def test_text_in_the_xlsx_template_is_never_a_formula(client, cast, typed, target, org):
    """A KPI named ``=HYPERLINK(…)`` is shown as that name in the workbook, never run as a formula
    (the CSV template prefixes it with ' instead: ``csv_safe``)."""
    target(typed["DEALS"], org["DE"], "2025-03", 20)
    KPI.objects.filter(code="DEALS").update(
        name='=HYPERLINK("http://evil.example/x","click")', unit="=1+1")
    client.force_login(cast["manager_de"])
    book = client.get("/kpis/import/template/?unit=DE&period=2025-03&format=xlsx").content
    row = {c.column_letter: c for c in load_workbook(io.BytesIO(book)).active[2]}
    assert row["A"].value == "DEALS"
    assert (row["H"].value, row["H"].data_type) == ('=HYPERLINK("http://evil.example/x","click")', "s")
    assert (row["I"].value, row["I"].data_type) == ("=1+1", "s")
    text = client.get("/kpis/import/template/?unit=DE&period=2025-03").content.decode()
    assert "'=HYPERLINK" in text.splitlines()[1]


def test_a_large_xlsx_export_is_written_in_time_proportional_to_its_rows():
    """20,000 rows with formats: seconds, not minutes (each row's cells are reached by index; the
    sheet is never measured per row)."""
    import time

    from kpis.files import write_xlsx

    rows = [["DEALS", "DE", None, f"{2000 + i // 12}-{i % 12 + 1:02d}", Decimal("10.5"), None, None]
            for i in range(20_000)]
    started = time.monotonic()
    book = write_xlsx(["kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator"], rows,
                      title="Measurements", row_formats=[[None, None, None, None, "0.0%"]] * len(rows))
    assert time.monotonic() - started < 30  # ~2 s; it took 110 s when each row measured the sheet
    sheet = load_workbook(io.BytesIO(book), read_only=True).active
    last = list(sheet.iter_rows(min_row=20_001, max_row=20_001, values_only=True))[0]
    assert last == ("DEALS", "DE", None, "3666-08", 10.5, None, None)
