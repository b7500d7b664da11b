"""Issue 16: the leader's dashboard with its stuck decisions and tile changes, looked at (and
under a deuteranopia simulation); axe-core on the decision list, analytics, matrix editor, entry
grid and partner portal: no serious or critical violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.looking import axe_violations, simulate_deuteranopia
from tests.browser.test_leader_journey import scorecard  # noqa: F401 - the DACH/EMEA dashboard world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stuck_world(scorecard, log_de, holders):  # noqa: F811
    from decisions import services

    now = timezone.now()
    log_de(title="Tender price for MedDistrib", now=now - timedelta(days=3))
    log_de(title="Rebate for the spring campaign", now=now - timedelta(hours=13))  # Compliance past its answer time
    fine = log_de(title="Agreed listing fee", now=now)
    services.decision_agree(decision=fine, actor=holders["compliance_de"], agree=True, now=now)
    return scorecard


def test_the_dashboard_links_its_stuck_decisions(page, live_server, login, screenshot, holders, stuck_world):
    login(holders["leader"])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/kpis/dashboard/?unit=DACH&period=2025-12")
    panel = page.get_by_test_id("stuck-decisions")
    expect(panel.locator("li a")).to_have_text(["Tender price for MedDistrib", "Rebate for the spring campaign"])
    expect(panel.locator("li").first).to_contain_text("overdue")
    assert axe_violations(page, live_server.url) == []
    screenshot(page, "1-dashboard")
    simulate_deuteranopia(page)
    screenshot(page, "2-deuteranopia")
    simulate_deuteranopia(page, on=False)
    panel.locator("li a").first.click()
    expect(page.locator("h1")).to_contain_text("Tender price for MedDistrib")


PAGES = [("leader", "/decisions/list/"), ("leader", "/decisions/list/?stuck=on&org_unit=DACH"),
         ("leader", "/decisions/analytics/?period=365"), ("admin", "/decisions/matrix/"),
         ("manager_de", "/kpis/entry/"), ("partner", "/partners/portal/")]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_no_serious_or_critical_accessibility_violation(page, live_server, login, screenshot, holders, stuck_world,
                                                        who, path):
    login(holders[who])
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page, live_server.url)
    screenshot(page, "page")
    assert violations == [], violations
