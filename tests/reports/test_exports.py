"""Issue 16, "export and print": every export is opened again (openpyxl, pdftotext) and holds the
figures the page shows for the same scope and period — read through the page's own selector, in
the reader's scope, redacted for partner users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kpis.templatetags.kpis_tags import kpi_value, pct
from kpis.values import display_scale
from tests.reports.conftest import pdf_text, read_xlsx, sheet_dicts

pytestmark = pytest.mark.django_db

DASH = "unit=DACH&period=2025-01&grain=month"


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_dashboard_xlsx_has_one_sheet_per_table_with_numbers_as_numbers_and_the_screens_figures(client, cast,
                                                                                                 rolled):
    page = _get(client, cast["leader"], f"/kpis/dashboard/?{DASH}").context["d"]
    response = client.get(f"/reports/dashboard.xlsx?{DASH}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="accord-dashboard-DACH-2025-01-month.xlsx"'
    book = read_xlsx(response.content)
    assert list(book) == ["About", "Heat-map", "Shared KPIs", "Function scorecards", "Partner scorecards",
                          "Coverage warnings"]
    assert book["About"][1][0] == f"{page.scope.unit.name} (DACH) · January 2025"
    heat = {(r["KPI code"], r["Org unit code"]): r for r in sheet_dicts(book["Heat-map"])}
    for row in page.rows:
        for unit, cell in [(page.scope.unit, row.cell), *zip(page.scope.children, row.children, strict=True)]:
            got = heat[(row.kpi.code, unit.code)]
            if cell is None:
                assert got["Actual"] is None and got["Status"] == "No data"
                continue
            assert got["Actual"] == float(cell.actual) * display_scale(row.kpi)
            assert got["Target"] == (None if cell.target is None else float(cell.target))
            assert got["Attainment"] == (None if cell.attainment is None else float(cell.attainment))
            assert got["Units reported"] == cell.reporting and got["Unit of measure"] == "u"
    rev_de = heat[("REV", "DE")]
    assert (rev_de["Actual"], rev_de["Target"], rev_de["Status"]) == (150.0, 100.0, "Green · on target")
    assert heat[("REV", "DACH")]["Status"] == "Amber · within tolerance"  # 190 of 200
    assert isinstance(rev_de["Attainment"], float)
    functions = {r["Function"]: r for r in sheet_dicts(book["Function scorecards"])}
    sales = next(c for c in page.function_cards if c.owner.code == "SALES")
    assert functions[sales.owner.name]["Weighted attainment"] == pytest.approx(0.95) == float(sales.score)
    assert functions[sales.owner.name]["Status"] == "Amber · within tolerance"
    partners = sheet_dicts(book["Partner scorecards"])
    assert [(r["Partnership"], r["Weighted attainment"]) for r in partners] == [("Partnership A", 0.75)]


def test_dashboard_pdf_shows_the_screens_figures_with_status_in_words(client, cast, rolled):
    response = _get(client, cast["leader"], f"/kpis/dashboard/?{DASH}")
    d, html = response.context["d"], response.content.decode()
    pdf = client.get(f"/reports/dashboard.pdf?{DASH}")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "January 2025" in text and "Internal · confidential" in text and "Page 1 of" in text
    lines = text.splitlines()
    for row in d.rows:
        for unit, cell in [(d.scope.unit, row.cell), *zip(d.scope.children, row.children, strict=True)]:
            if cell is None:
                continue
            shown = kpi_value(cell.actual, row.kpi)
            assert shown in html  # the heat-map cell on screen ...
            line = next(line for line in lines if f" {row.kpi.code} " in f" {line} " and f" {unit.code} " in line)
            squeezed = line.replace(" ", "")  # pdftotext may drop the space of "9 u"
            assert shown.replace(" ", "") in squeezed and pct(cell.attainment) in line  # ... and in the PDF's row
    assert "✓ Green · on target" in text and "! Amber · within tolerance" in text
    assert "Sales" in text and "95%" in text  # SALES weighted attainment


def test_exports_follow_the_readers_scope_like_the_page(client, cast, rolled, org):
    manager = cast["manager_de"]
    page = _get(client, manager, "/kpis/dashboard/?unit=DACH&period=2025-01").context["d"]
    assert page.scope.unit.code == "DE"  # out of scope: the page falls back to the reader's unit
    book = read_xlsx(client.get("/reports/dashboard.xlsx?unit=DACH&period=2025-01").content)
    assert {r["Org unit code"] for r in sheet_dicts(book["Heat-map"])} == {"DE"}
    assert _get(client, cast["partner"], f"/reports/dashboard.xlsx?{DASH}").status_code == 404
    assert _get(client, cast["manager_jp"], "/reports/kpi/REV.pdf?unit=DE&period=2025-01").status_code == 200
    client.logout()
    assert client.get(f"/reports/dashboard.pdf?{DASH}").status_code == 302


def test_kpi_export_has_the_trend_children_and_partnerships_of_the_page(client, cast, rolled, partner_a):
    page = _get(client, cast["leader"], "/kpis/kpi/REV/?unit=DE&period=2025-01").context["detail"]
    book = read_xlsx(client.get("/reports/kpi/REV.xlsx?unit=DE&period=2025-01").content)
    trend = sheet_dicts(book["Trend"])
    assert len(trend) == 24 == len(page.series) and trend[-1]["Month"] == "2025-01"
    assert trend[-1]["Actual"] == float(page.series[-1].actual) == 150.0
    assert [(r["Partnership"], r["Actual"]) for r in sheet_dicts(book["Partnerships"])] == [("Partnership A", 30.0)]
    text = pdf_text(client.get("/reports/kpi/REV.pdf?unit=DE&period=2025-01").content)
    assert "Rev (REV)" in text and "Partnership A" in text and "150 u" in text


def test_partner_user_exports_their_own_partnerships_scorecard_only(client, cast, rolled, partner_a, partner_b):
    from kpis.selectors import partnership_kpi_cells

    items = partnership_kpi_cells(cast["partner"], partner_a)
    response = _get(client, cast["partner"], f"/reports/partnerships/{partner_a.pk}/scorecard.xlsx")
    rows = sheet_dicts(read_xlsx(response.content)["Scorecard"])
    assert [(r["KPI code"], r["Actual"], r["Target"]) for r in rows] == [
        (k.code, float(c.actual), float(c.target)) for k, c in items] == [("REV", 30.0, 40.0)]
    assert rows[0]["Status"] == "Red · off target"
    text = pdf_text(client.get(f"/reports/partnerships/{partner_a.pk}/scorecard.pdf").content)
    assert "Shared with the partner" in text and "Internal" not in text
    assert client.get(f"/reports/partnerships/{partner_b.pk}/scorecard.pdf").status_code == 404


@pytest.fixture
def decisions(log_de, partner_a, holders):
    from decisions import services

    now = timezone.now()
    internal = log_de(title="=HYPERLINK(\"http://evil\") internal price floor", partnership=partner_a,
                      now=now - timedelta(days=3))
    shared = log_de(title="Joint promotion Q3", partnership=partner_a, visibility="shared",
                    now=now - timedelta(days=2))
    quick = log_de(title="Tender discount Charité", now=now - timedelta(hours=30))
    services.decision_agree(decision=quick, actor=holders["compliance_de"], agree=True, now=now - timedelta(hours=29))
    quick.refresh_from_db()
    services.decision_decide(decision=quick, actor=quick.decider, outcome="Go", now=now - timedelta(hours=20))
    return {"internal": internal, "shared": shared, "quick": quick}


def test_decision_list_export_keeps_the_lists_filters_order_and_text_cells(client, holders, decisions):
    page = _get(client, holders["manager_de"], "/decisions/list/?q=price&sort=oldest")
    on_screen = [d.pk for d in page.context["page"]]
    book = read_xlsx(client.get("/reports/decisions/list.xlsx?q=price&sort=oldest").content)
    rows = sheet_dicts(book["Decisions"])
    assert [r["ID"] for r in rows] == on_screen == [decisions["internal"].pk]
    assert rows[0]["Title"].startswith("=HYPERLINK")  # stored as text, never a formula
    assert rows[0]["Decider"] and rows[0]["State"] == "Open" and rows[0]["Overdue"] == "yes"
    assert "Search: price" in book["About"][1][0]
    everything = sheet_dicts(read_xlsx(client.get("/reports/decisions/list.xlsx").content)["Decisions"])
    assert {r["ID"] for r in everything} == {d.pk for d in decisions.values()}


def test_decision_list_export_for_a_partner_user_holds_only_what_was_shared_redacted(client, holders, decisions):
    response = _get(client, holders["partner"], "/reports/decisions/list.xlsx")
    book = read_xlsx(response.content)
    rows = sheet_dicts(book["Decisions"])
    assert [r["ID"] for r in rows] == [decisions["shared"].pk]
    assert "Decider" not in rows[0] and "Escalation level" not in rows[0] and rows[0]["Status"] == "Open"
    raw = repr(book)
    for name in ("max.de", "Max", "internal price floor", "Tender discount", "Carla"):
        assert name not in raw
    text = pdf_text(client.get("/reports/decisions/list.pdf").content)
    assert "Joint promotion Q3" in text and "internal price floor" not in text and "Max" not in text
    assert "Shared with the partner" in text


def test_decision_list_export_query_count_does_not_grow_with_rows(client, holders, decisions, log_de,
                                                                  django_assert_max_num_queries):
    client.force_login(holders["manager_de"])
    for i in range(10):
        log_de(title=f"More {i}", now=timezone.now())
    with django_assert_max_num_queries(12):
        assert client.get("/reports/decisions/list.xlsx").status_code == 200


def test_latency_export_equals_the_analytics_page(client, holders, decisions):
    page = _get(client, holders["leader"], "/decisions/analytics/?period=30&group_by=decision_type")
    data = page.context["data"]
    book = read_xlsx(client.get("/reports/decisions/latency.xlsx?period=30&group_by=decision_type").content)
    overall = sheet_dicts(book["Overall"])[0]
    assert overall["Decided"] == data["overall"]["decided"] == 1
    assert overall["Median to decision (h)"] == data["overall"]["median_hours"] == 10.0
    assert overall["Open"] == data["overall"]["open"] == 2
    groups = sheet_dicts(book["By decision type"])
    assert [(r["Decision type"], r["Decisions"]) for r in groups] == [(r["key"], r["decisions"]) for r in data["rows"]]
    text = pdf_text(client.get("/reports/decisions/latency.pdf?period=30&group_by=decision_type").content)
    assert "Last 30 days" in text and "Distributor price exception" in text and "10.0 h" in text
    assert _get(client, holders["partner"], "/reports/decisions/latency.pdf").status_code == 404


def test_bad_format_is_a_404_not_a_500(client, cast, rolled):
    assert _get(client, cast["leader"], f"/reports/dashboard.docx?{DASH}").status_code == 404
    assert client.get("/reports/dashboard.xlsx?unit=NOPE&period=garbage&grain=x").status_code == 200
    assert client.get("/reports/dashboard.xlsx?unit=%00").status_code == 400
