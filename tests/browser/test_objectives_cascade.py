"""The objectives cascade in a browser (issue 19): the EMEA leader opens it from the sidebar and sees
global → EMEA → Germany → partnership with the gaps; the Germany manager follows "Add child" to
Manage and adds a market objective; then adds an enablement item on the partnership page through
the htmx form (an empty due date first: the form comes back with the error, nothing saved)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.looking import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cascade(org, partner_a):
    from kpis.services.objectives import objective_save

    grow = objective_save(code="GROW", title="Grow with partners", org_unit=org["GLOBAL"])
    emea = objective_save(code="GROW-EMEA", title="Grow EMEA", parent=grow, org_unit=org["EMEA"])
    de = objective_save(code="GROW-DE", title="Grow Germany", parent=emea, org_unit=org["DE"])
    objective_save(code="GROW-PA", title="Grow partnership A", parent=de, partnership=partner_a)


def test_leader_sees_the_cascade_and_a_manager_adds_to_it(page, live_server, login, screenshot, cast, cascade,
                                                          partner_a):
    from kpis.models import StrategicObjective
    from partners.enablement.models import EnablementItem

    login(cast["leader"])
    page.get_by_role("link", name="Objectives").first.click()
    expect(page.locator("h1")).to_have_text("Objectives cascade")
    tree = page.locator("#cascade")
    for title in ("Grow with partners", "Grow EMEA", "Grow Germany", "Grow partnership A"):
        expect(tree).to_contain_text(title)
    expect(page.locator("#objective-grow-emea .gap-markets").first).to_contain_text("Austria")
    assert axe_violations(page, live_server.url) == []
    screenshot(page, "cascade")

    page.context.clear_cookies()  # sign out
    login(cast["manager_de"])
    page.goto(f"{live_server.url}/kpis/objectives/")
    page.locator("#objective-grow-de a", has_text="Add child").first.click()
    expect(page.locator("select[name=parent]")).to_have_value("GROW-DE")
    page.fill("input[name=code]", "GROW-DE-HOSP")
    page.fill("input[name=title]", "Hospitals in Germany")
    page.select_option("select[name=org_unit]", "DE")
    page.get_by_role("button", name="Create objective").click()
    expect(page.locator(".alert-success").first).to_contain_text("saved")
    assert StrategicObjective.objects.get(code="GROW-DE-HOSP").parent.code == "GROW-DE"

    page.goto(f"{live_server.url}/partners/partnerships/{partner_a.pk}/")
    page.click("#enablement-add")
    form = page.locator(".enablement-form")
    form.locator("input[name=title]").fill("Launch training")
    form.locator("input[name=due_date]").fill("")
    form.get_by_role("button", name="Add").click()
    expect(page.locator(".enablement-form .invalid-feedback").first).to_be_visible()
    assert not EnablementItem.objects.exists()
    page.locator(".enablement-form input[name=due_date]").fill("2027-01-31")
    page.locator(".enablement-form").get_by_role("button", name="Add").click()
    expect(page.locator("#enablement .enablement-item")).to_contain_text("Launch training")
    assert EnablementItem.objects.get().due_date == date(2027, 1, 31)
    screenshot(page, "enablement")
