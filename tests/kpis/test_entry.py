"""The month-entry grid (issue 15): the reports a unit owes with last period and target beside each
cell, validation as typed, all-or-nothing saves through the same rules as every other path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpis.models import Measurement
from kpis.services.definitions import kpi_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(org, functions, target, record):
    sales = [(functions["SALES"], None, 1)]
    kpis = {"DEALS": kpi_create(code="DEALS", name="Deals closed", unit="deals", kind="count", aggregation="sum",
                                category="acceleration", owners=sales),
            "OTIF": kpi_create(code="OTIF", name="On-time in-full", unit="%", aggregation="ratio",
                               category="acceleration", owners=sales)}
    target(kpis["DEALS"], org["DE"], "2025-03", 20)
    target(kpis["OTIF"], org["DE"], "2025-03", "0.95")
    record(kpis["DEALS"], org["DE"], "2025-02", value=17)
    target(kpis["DEALS"], org["JP"], "2025-03", 5)  # not Max's unit
    return kpis


def test_the_grid_lists_what_the_unit_owes_with_last_period_and_target(client, cast, owed):
    client.force_login(cast["manager_de"])
    response = client.get("/kpis/entry/?unit=DE&period=2025-03")
    html = response.content.decode()
    assert response.status_code == 200
    lines = response.context["lines"]
    assert [(li.owed.kpi.code, li.owed.org_unit.code) for li in lines] == [("DEALS", "DE"), ("OTIF", "DE")]
    assert "17 deals" in html and "Feb 2025" in html and "95.0%" in html
    assert 'name="OTIF|DE|0|numerator"' in html and 'name="DEALS|DE|0|value"' in html
    assert client.get("/kpis/entry/?unit=JP&period=2025-03").context["unit"].code == "DE"  # not in scope


def test_saving_is_all_or_nothing_with_errors_on_their_cells(client, cast, owed):
    client.force_login(cast["manager_de"])
    form = {"unit": "DE", "period": "2025-03", "DEALS|DE|0|value": "19", "OTIF|DE|0|numerator": "150",
            "OTIF|DE|0|denominator": "100"}
    response = client.post("/kpis/entry/", form)
    assert response.status_code == 400
    otif = response.context["lines"][1]
    assert "numerator" in otif.errors and "above the maximum of 100.0%" in otif.errors["numerator"][0]
    assert not Measurement.objects.filter(period__month=3).exists()
    response = client.post("/kpis/entry/", {**form, "OTIF|DE|0|numerator": "93"})
    assert response.status_code == 302
    saved = {m.kpi.code: m for m in Measurement.objects.filter(period__month=3).select_related("kpi")}
    assert saved["DEALS"].value == 19 and saved["OTIF"].value == Decimal("0.93")
    assert {m.source for m in saved.values()} == {"form"}


def test_the_grid_asks_to_confirm_an_outlier(client, cast, owed):
    client.force_login(cast["manager_de"])
    form = {"unit": "DE", "period": "2025-03", "DEALS|DE|0|value": "400"}
    response = client.post("/kpis/entry/", form)
    assert response.status_code == 409 and "10× jump" in response.content.decode()
    assert client.post("/kpis/entry/", {**form, "confirm": "on"}).status_code == 302
    assert "10× jump" in Measurement.objects.get(period__month=3).outlier_note


def test_the_htmx_check_validates_one_row_and_writes_nothing(client, cast, owed):
    client.force_login(cast["manager_de"])
    check = {"unit": "DE", "period": "2025-03", "check": "DEALS|DE|0", "OTIF|DE|0|numerator": "1"}
    bad = client.post("/kpis/entry/check/", {**check, "DEALS|DE|0|value": "-4"}, HTTP_HX_REQUEST="true")
    assert "entry-error" in bad.content.decode() and "below the minimum" in bad.content.decode()
    good = client.post("/kpis/entry/check/", {**check, "DEALS|DE|0|value": "18"}, HTTP_HX_REQUEST="true")
    assert "entry-ok" in good.content.decode() and "below" not in good.content.decode()
    assert not Measurement.objects.filter(period__month=3).exists()


def test_a_percent_figure_already_entered_reads_as_a_percentage_and_saves_back_unchanged(
        client, cast, org, functions, target, record):
    accuracy = kpi_create(code="FA", name="Forecast accuracy", unit="%", kind="percent", aggregation="average",
                          category="acceleration", owners=[(functions["SALES"], None, 1)])
    target(accuracy, org["DE"], "2025-03", "0.9")
    record(accuracy, org["DE"], "2025-03", value=Decimal("0.797207"))
    client.force_login(cast["manager_de"])
    html = client.get("/kpis/entry/?unit=DE&period=2025-03").content.decode()
    assert 'name="FA|DE|0|value"' in html and 'value="79.7207%"' in html
    saved = client.post("/kpis/entry/", {"unit": "DE", "period": "2025-03", "FA|DE|0|value": "79.7207%"})
    assert saved.status_code == 302
    assert Measurement.objects.get(kpi=accuracy, period__month=3).value == Decimal("0.797207")


def test_a_ratio_row_reads_as_numerator_over_denominator(client, cast, org, owed, record):
    record(owed["OTIF"], org["DE"], "2025-03", numerator=93, denominator=100)
    client.force_login(cast["manager_de"])
    html = client.get("/kpis/entry/?unit=DE&period=2025-03").content.decode()
    group = html[html.index('title="numerator / denominator"'):]
    assert group.index('value="93"') < group.index(">/<") < group.index('value="100"')
