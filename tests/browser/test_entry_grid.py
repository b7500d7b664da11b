"""A country manager enters a month's figures in the grid with the keyboard: a typo is flagged as
typed (htmx), fixed, and the month is saved all at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owed(org, functions):
    from datetime import date
    from decimal import Decimal

    from kpis.services.definitions import kpi_create, target_set

    sales = [(functions["SALES"], None, 1)]
    deals = kpi_create(code="DEALS", name="Deals closed", unit="deals", kind="count", aggregation="sum",
                       category="acceleration", owners=sales)
    otif = kpi_create(code="OTIF", name="On-time in-full", unit="%", aggregation="ratio", category="acceleration",
                      owners=sales)
    for kpi, value in ((deals, 20), (otif, Decimal("0.95"))):
        target_set(kpi=kpi, org_unit=org["DE"], partnership=None, period=date(2025, 3, 1), value=Decimal(value))


def test_manager_enters_a_month_with_the_keyboard(page, live_server, login, screenshot, cast, owed):
    from kpis.models import Measurement

    login(cast["manager_de"])
    page.goto(f"{live_server.url}/kpis/entry/?unit=DE&period=2025-03")
    expect(page.locator("h1")).to_contain_text("Germany")
    deals = page.get_by_label("Deals closed DE value")
    expect(deals).to_be_focused()  # the first empty cell
    deals.type("-4")
    expect(page.locator(".entry-error")).to_contain_text("below the minimum of 0 deals")
    deals.fill("")
    deals.type("19")
    expect(page.locator(".entry-error")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.get_by_label("On-time in-full DE numerator")).to_be_focused()
    page.keyboard.type("93")
    page.keyboard.press("Enter")
    page.keyboard.type("100")
    screenshot(page, "typed")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".alert-success")).to_contain_text("Saved 2 new")
    screenshot(page, "saved")
    saved = {m.kpi.code: float(m.value) for m in Measurement.objects.select_related("kpi")}
    assert saved == {"DEALS": 19.0, "OTIF": 0.93}
