"""Journeys in a real browser: a regional manager's decisions, an admin's matrix change, and a
partner user's view limited to their partnership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kol_plan(holders, functions):
    """Compliance decides a KOL engagement plan at market level; Sales (max.de in Germany) gives input."""
    from decisions import services

    return services.decision_type_create(
        actor=holders["admin"], code="KOL_PLAN", name="KOL engagement plan", decided_at_level="market",
        sla_hours=40, calendar="24x7", rights=[(functions["COMPLIANCE"], "D"), (functions["SALES"], "I")],
        now=datetime(2026, 1, 2, tzinfo=UTC))


def test_regional_manager_logs_a_decision_gives_input_and_sees_an_escalation(
        page, live_server, login, screenshot, holders, price_exception, kol_plan, log_de, org):
    from decisions import services
    from decisions.models import Decision, DecisionParticipant

    kol = services.decision_log(actor=holders["compliance_de"], decision_type=kol_plan, org_unit=org["DE"],
                                title="KOL plan for the cardiology congress")
    escalated = log_de(now=timezone.now() - timedelta(hours=30), title="Tender price for Uniklinik Köln")
    assert services.escalate_overdue()["escalated"] == 1

    login(holders["manager_de"])
    page.goto(f"{live_server.url}/decisions/")
    expect(page.get_by_role("heading", name="My decision queue")).to_be_visible()
    tiles = {t.locator(".label").text_content().strip(): t.locator(".value").text_content().strip()
             for t in page.locator(".kpi-tile").all()}
    assert tiles == {"To decide": "0", "To agree": "0", "Input requested": "1", "My open requests": "1"}
    input_card = page.locator(".card", has_text="Your input is requested")
    expect(input_card.get_by_role("link", name=kol.title)).to_be_visible()
    # The escalated request is flagged: an amber "L1" badge, and Dirk (DACH) now decides it.
    row = page.locator("tr", has_text=escalated.title)
    expect(row.locator(".badge.text-bg-warning")).to_have_text("L1")
    expect(row).to_contain_text("Dirk")

    # Log a decision: the form shows who must agree and who decides before saving.
    page.get_by_role("link", name="Log a decision").first.click()
    page.fill("#id_title", "Rebate for MedDistrib Q3 tender")
    page.select_option("#id_decision_type", str(price_exception.pk))
    page.select_option("#id_org_unit", str(org["DE"].pk))
    preview = page.locator("#routing-preview")
    expect(preview).to_contain_text("Decided at Germany (market)")
    decides = preview.locator("h3:has-text('Decides') + ul")
    expect(decides).to_contain_text("max.de")
    expect(decides).to_contain_text("Sales")
    expect(preview.locator("h3:has-text('Must agree') + ul")).to_contain_text("Carla")
    gives_input = preview.locator("h3:has-text('Gives input') + ul")
    expect(gives_input).to_contain_text("Anna")
    expect(gives_input).to_contain_text("Fritz")
    screenshot(page, "1-log-form")
    page.get_by_role("button", name="Log decision").click()
    expect(page.locator(".alert, .toast").first).to_contain_text("Logged “Rebate for MedDistrib Q3 tender”")
    participants = page.locator(".card", has_text="Participants")
    expect(participants.locator("li", has_text="Carla")).to_contain_text("waiting")
    logged = Decision.objects.get(title="Rebate for MedDistrib Q3 tender")
    assert logged.requested_by == holders["manager_de"] and logged.decider == holders["manager_de"]

    # Give input on the KOL plan Compliance decides.
    page.goto(f"{live_server.url}/decisions/{kol.pk}/")
    page.fill("#input-comment", "Budget fits the Q3 plan; two speakers from Munich.")
    page.get_by_role("button", name="Give input").click()
    expect(page.locator(".card", has_text="Participants").locator("li", has_text="max.de")).to_contain_text(
        "input given")
    expect(page.get_by_text("Budget fits the Q3 plan; two speakers from Munich.").first).to_be_visible()
    assert DecisionParticipant.objects.get(decision=kol, user=holders["manager_de"]).input_at is not None

    # The escalated one: flagged on its page too.
    page.goto(f"{live_server.url}/decisions/{escalated.pk}/")
    expect(page.locator(".badge.text-bg-warning", has_text="Escalated ×1")).to_be_visible()
    screenshot(page)


def test_admin_fixes_two_deciders_publishes_and_a_new_decision_uses_the_new_version(
        page, live_server, login, screenshot, holders, price_exception, functions, org):
    from decisions.models import Decision, MatrixVersion

    before = MatrixVersion.objects.order_by("-number").first().number
    access_cell = f"select[name='cell-{price_exception.pk}-{functions['ACCESS'].pk}']"
    login(holders["admin"])
    page.goto(f"{live_server.url}/decisions/matrix/")
    expect(page.get_by_role("heading", name="Decision-rights matrix")).to_be_visible()
    expect(page.locator("#matrix-check")).to_contain_text("Valid")

    page.select_option(access_cell, "D")  # Market Access decides too: two deciders
    check = page.locator("#matrix-check")
    expect(check).to_contain_text("fix before publishing")
    expect(check).to_contain_text("2 deciders (ACCESS, SALES)")
    expect(page.locator(access_cell)).to_have_class("form-select form-select-sm role-select role-D")
    publish = page.get_by_role("button", name="Publish new version")
    expect(publish).to_be_disabled()  # while the lint has a conflict
    expect(page.get_by_test_id("conflict-mark")).to_contain_text("2 deciders (ACCESS, SALES)")
    screenshot(page, "1-conflict")

    page.select_option(access_cell, "R")  # fix: Market Access recommends
    expect(check).to_contain_text("Valid")
    expect(publish).to_be_enabled()
    expect(page.get_by_test_id("matrix-diff")).to_contain_text("PRICE_EXC · ACCESS: I → R")
    page.fill("#note", "Access recommends price exceptions")
    page.get_by_role("button", name="Publish new version").click()
    expect(page.locator(".alert", has_text="Published matrix").first).to_contain_text(f"v{before + 1}")

    page.goto(f"{live_server.url}/decisions/new/")
    page.fill("#id_title", "Price exception under the new matrix")
    page.select_option("#id_decision_type", str(price_exception.pk))
    page.select_option("#id_org_unit", str(org["DE"].pk))
    expect(page.locator("#routing-preview")).to_contain_text(f"matrix v{before + 1}")
    page.get_by_role("button", name="Log decision").click()
    expect(page.locator("dd", has_text=f"v{before + 1}")).to_be_visible()
    # Market Access now recommends (R) instead of giving input (I)
    anna = page.locator(".card", has_text="Participants").locator("li", has_text="Anna")
    expect(anna.locator(".badge")).to_have_text("R")
    decision = Decision.objects.get(title="Price exception under the new matrix")
    assert decision.matrix_version.number == before + 1
    screenshot(page)


def test_a_failed_publish_keeps_the_draft_and_shows_the_gap_beside_its_cell(
        page, live_server, login, screenshot, holders, price_exception, functions):
    from decisions.models import MatrixDraft, MatrixVersion

    t = price_exception.pk
    access_cell = f"select[name='cell-{t}-{functions['ACCESS'].pk}']"
    finance_cell = f"select[name='cell-{t}-{functions['FINANCE'].pk}']"
    login(holders["admin"])
    page.goto(f"{live_server.url}/decisions/matrix/")
    page.select_option(access_cell, "R")
    expect(page.get_by_test_id("matrix-diff")).to_contain_text("PRICE_EXC · ACCESS: I → R")
    page.select_option(finance_cell, "I")
    expect(page.get_by_test_id("matrix-diff")).to_contain_text("PRICE_EXC · FINANCE: R → I")
    page.fill("#note", "Access recommends, Finance gives input")
    # While the admin edits, Japan's only Compliance officer leaves: Japan now has a gap.
    holders["compliance_jp"].assignments.all().delete()
    page.get_by_role("button", name="Publish new version").click()

    expect(page.get_by_test_id("publish-error")).to_contain_text("Not published — your draft is kept")
    expect(page.get_by_test_id("publish-error")).to_contain_text("nobody holds Compliance (A) at Japan or above")
    # The edits survived the failed publish, and the gap is shown beside the Compliance cell.
    expect(page.locator(access_cell)).to_have_value("R")
    expect(page.locator(finance_cell)).to_have_value("I")
    expect(page.locator("#note")).to_have_value("Access recommends, Finance gives input")
    gap = page.locator(f"#mark-{t}-{functions['COMPLIANCE'].pk} [data-testid=gap-mark]")
    expect(gap).to_have_attribute("title", "Nobody holds Compliance at or above: JP")
    expect(page.get_by_test_id("draft-banner")).to_be_visible()
    publish = page.get_by_role("button", name="Publish new version")
    expect(publish).to_be_disabled()  # until the gap is acknowledged
    assert MatrixVersion.objects.count() == 1 and MatrixDraft.objects.filter(user=holders["admin"]).exists()
    screenshot(page, "1-failed-publish-keeps-draft")

    # Reloading (or coming back tomorrow) still shows the draft.
    page.reload()
    expect(page.locator(access_cell)).to_have_value("R")
    page.get_by_label("I acknowledge the").check()
    expect(publish).to_be_enabled()
    publish.click()
    expect(page.locator(".alert", has_text="Published matrix").first).to_contain_text("v2")
    expect(page.get_by_test_id("draft-banner")).to_have_count(0)
    version = MatrixVersion.objects.get(number=2)
    assert "Published over 1 acknowledged gap" in version.note
    assert not MatrixDraft.objects.filter(user=holders["admin"]).exists()
    page.goto(f"{live_server.url}/decisions/matrix/versions/")
    expect(page.get_by_test_id("versions")).to_contain_text("Published over 1 acknowledged gap")
    screenshot(page, "2-versions")
    page.get_by_role("button", name="Compare").click()  # v1 → v2 preselected
    expect(page.get_by_test_id("diff")).to_contain_text("ACCESS")
    expect(page.get_by_test_id("diff").locator("tbody tr")).to_have_count(2)
    screenshot(page, "3-diff")
    page.goto(f"{live_server.url}/decisions/matrix/versions/1/")
    expect(page.get_by_role("heading", name="Matrix v1")).to_contain_text("superseded")
    screenshot(page, "4-version")


def test_a_second_admin_publishing_first_leads_to_the_three_way_merge(
        page, live_server, login, screenshot, holders, price_exception, functions):
    from decisions import services
    from decisions.models import MatrixVersion
    from tests.decisions.conftest import _user

    t = price_exception.pk
    access_cell = f"select[name='cell-{t}-{functions['ACCESS'].pk}']"
    login(holders["admin"])
    page.goto(f"{live_server.url}/decisions/matrix/")
    page.select_option(access_cell, "R")
    expect(page.get_by_test_id("matrix-diff")).to_contain_text("ACCESS: I → R")
    # Another admin publishes first: Access performs.
    other = _user("otto.admin", "admin", [])
    cells = services.matrix_cells(MatrixVersion.objects.head())
    services.matrix_publish(actor=other, cells={**cells, (t, functions["ACCESS"].pk): "P"}, base_version=1,
                            note="Access performs")
    page.get_by_role("button", name="Publish new version").click()
    expect(page.get_by_role("heading", name="Someone published while you were editing")).to_be_visible()
    expect(page.locator("body")).to_contain_text("otto.admin has since published v2")
    row = page.get_by_test_id("three-way").locator("tr", has_text="ACCESS")
    expect(row.locator(".badge")).to_have_text(["I", "P", "R"])
    screenshot(page, "1-three-way")
    row.get_by_label("keep mine (R)").check()
    page.get_by_role("button", name="Merge onto v2 and review").click()
    expect(page.get_by_test_id("draft-banner")).to_contain_text("started from v2")
    expect(page.locator(access_cell)).to_have_value("R")
    page.get_by_role("button", name="Publish new version").click()
    expect(page.locator(".alert", has_text="Published matrix").first).to_contain_text("v3")
    assert MatrixVersion.objects.get(number=3).based_on == 2


def test_partner_user_sees_only_their_partnership(page, live_server, login, screenshot, partner_user, partner_a,
                                                  partner_b):
    login(partner_user)
    page.goto(f"{live_server.url}/partners/portal/")
    expect(page).to_have_url(f"{live_server.url}/partners/partnerships/{partner_a.pk}/")
    expect(page.locator("h1")).to_contain_text("Partnership A")
    expect(page.locator("body")).to_contain_text("MedDistrib GmbH")
    expect(page.locator("body")).not_to_contain_text("Nihon Supply")
    expect(page.locator("body")).not_to_contain_text("Partnership B")
    expect(page.locator(".badge", has_text="Review overdue")).to_have_css("background-color", "rgb(220, 53, 69)")  # red

    response = page.goto(f"{live_server.url}/partners/partnerships/{partner_b.pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Partnership B")
    page.goto(f"{live_server.url}/partners/partnerships/{partner_a.pk}/")
    screenshot(page)
