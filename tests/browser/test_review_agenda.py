"""Issue 16, "Reviews that produce decisions", in the browser: a manager logs a decision from the
review page, links an action to what it serves and drafts the next review's agenda; the partner user
reads the shared agenda. Screenshots of each step; axe-core on the review pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.looking import axe_violations
from tests.kpis.conftest import kpis, record, target  # noqa: F401 - reused fixtures
from tests.reports.test_review_outcomes import review, standing  # noqa: F401 - the hand-built partnership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_review_produces_decisions_links_and_the_next_agenda(page, live_server, login, screenshot, holders,
                                                                review, standing, price_exception, org):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    login(holders["manager_de"])
    page.goto(f"{live_server.url}/partners/reviews/{review.pk}/")
    page.get_by_role("link", name="Log a decision").click()
    expect(page.get_by_test_id("from-review")).to_contain_text("QBR with MedDistrib")
    page.fill("#id_title", "Extend the tender discount to Q2")
    page.select_option("#id_decision_type", str(price_exception.pk))
    page.check("input[name=visibility][value=shared]")
    expect(page.locator("#routing-preview")).to_contain_text("Compliance")
    screenshot(page, "1-log-from-review")
    page.get_by_role("button", name="Log decision").click()
    decisions = page.get_by_test_id("review-decisions")
    expect(decisions).to_contain_text("Extend the tender discount to Q2")
    expect(decisions).to_contain_text("shared")

    page.locator("tr", has_text="Send the tender file").get_by_role("link", name="Link decisions and KPIs").click()
    page.get_by_label("Extend the tender discount to Q2 (Distributor price exception)").check()
    page.get_by_label("Rev (REV)").check()
    page.get_by_role("button", name="Save links").click()
    expect(page.locator("tr", has_text="Send the tender file").get_by_test_id("action-serves")).to_contain_text(
        "Rev (REV)")
    assert axe_violations(page, live_server.url) == []
    screenshot(page, "2-review-with-decisions")

    page.get_by_role("button", name="Draft next review's agenda").click()
    agenda = page.get_by_test_id("review-agenda")
    expect(agenda.get_by_test_id("agenda-action").locator("li")).to_have_count(2)
    expect(agenda.get_by_test_id("agenda-kpi").locator("li").first).to_contain_text("red")
    assert axe_violations(page, live_server.url) == []
    screenshot(page, "3-drafted-agenda")
    planned = page.url

    page.context.clear_cookies()
    login(holders["partner"])
    page.goto(planned)
    expect(page.get_by_test_id("agenda-decision")).to_contain_text("Joint promo budget")
    expect(page.get_by_test_id("review-agenda")).not_to_contain_text("Internal margin floor")
    expect(page.get_by_role("button", name="Draft next review's agenda")).to_have_count(0)
    screenshot(page, "4-partner-agenda")
