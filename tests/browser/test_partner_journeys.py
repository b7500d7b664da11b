"""Issue 19 in a real browser: the partner agrees to a joint decision from their portal, and
negotiates a target (counters the company's proposal, then accepts its revision)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_partner_agrees_to_a_joint_decision_from_their_portal(page, live_server, login, screenshot, holders,
                                                                  functions, org, partner_a):
    from decisions import services
    from decisions.models import DecisionParticipant
    from governance.services import function_create

    partner_fn = function_create(code="PARTNER", name="Partner")
    joint = services.decision_type_create(
        actor=holders["admin"], code="JOINT_PROMO", name="Joint promotion plan", decided_at_level="market",
        sla_hours=24, calendar="24x7", rights=[(functions["SALES"], "D"), (partner_fn, "A")],
        now=datetime(2026, 1, 1, tzinfo=UTC))
    decision = services.decision_log(actor=holders["manager_de"], decision_type=joint, org_unit=org["DE"],
                                     partnership=partner_a, title="Joint Q1 hospital bundle")
    login(holders["partner"])
    page.goto(f"{live_server.url}/partners/portal/")
    card = page.get_by_test_id("answers-owed")
    expect(card).to_contain_text("Joint Q1 hospital bundle")
    screenshot(page, "1-portal")
    card.get_by_label("Comment on Joint Q1 hospital bundle").fill("Our field team is ready.")
    card.get_by_role("button", name="Agree").click()
    expect(page.locator("body")).to_contain_text("Your answer is recorded.")
    expect(page.locator("body")).not_to_contain_text("max.de")
    screenshot(page, "2-agreed")
    assert DecisionParticipant.objects.get(decision=decision, user=holders["partner"]).agreed is True


def test_the_partner_counters_a_target_and_accepts_the_revision(page, live_server, login, screenshot, cast,
                                                                functions, org, partner_a):
    from kpis.models import Target
    from kpis.services.definitions import kpi_create

    kpi = kpi_create(code="SELLOUT", name="Joint sell-out", unit="units", aggregation="sum", direction="higher",
                     category="adoption", owners=[(functions["SALES"], None, 1), (None, partner_a, 1)])
    login(cast["manager_de"])
    page.goto(f"{live_server.url}/kpis/targets/proposals/?org_unit=DE")
    form = page.get_by_test_id("propose-form")
    form.get_by_label("KPI").select_option(str(kpi.pk))
    form.get_by_label("Partnership").select_option(str(partner_a.pk))
    form.get_by_label("Period").fill("2026-03")
    form.get_by_label("Value").fill("1000")
    form.get_by_label("Comment").fill("Q1 plan: +10% on last year")
    form.get_by_role("button", name="Propose").click()
    expect(page.get_by_test_id("target-proposals")).to_contain_text("waiting on the partner")
    screenshot(page, "1-proposed")

    page.context.clear_cookies()
    login(cast["partner"])
    page.goto(f"{live_server.url}/partners/portal/")
    panel = page.get_by_test_id("target-proposals")
    expect(panel).to_contain_text("your turn")
    expect(panel).to_contain_text("by the company")
    panel.get_by_label("Your value").fill("850")
    panel.get_by_label("Why").fill("Two hospitals switch suppliers in February.")
    panel.get_by_role("button", name="Counter").click()
    expect(page.locator("body")).to_contain_text("Your value 850 units is on the table.")
    screenshot(page, "2-countered")

    page.context.clear_cookies()
    login(cast["manager_de"])
    page.goto(f"{live_server.url}/kpis/targets/proposals/?org_unit=DE")
    panel = page.get_by_test_id("target-proposals")
    expect(panel).to_contain_text("Two hospitals switch suppliers")
    panel.get_by_label("Your value").fill("900")
    panel.get_by_label("Why").fill("Halfway: the new account in Munich.")
    panel.get_by_role("button", name="Revise").click()

    page.context.clear_cookies()
    login(cast["partner"])
    page.goto(f"{live_server.url}/partners/portal/")
    panel = page.get_by_test_id("target-proposals")
    panel.get_by_role("button", name="Accept 900").click()
    expect(page.locator("body")).to_contain_text("Agreed: 900 units is the target")
    expect(page.get_by_test_id("target-proposals")).to_contain_text("agreed")
    screenshot(page, "3-agreed")
    assert Target.objects.get(kpi=kpi).value == Decimal("900")
