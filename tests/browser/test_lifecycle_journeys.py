"""Journeys in a real browser through a decision's lifecycle: a requested date beside the SLA, a
veto that blocks, a revision that starts a new round, a reminder, withdrawing with a confirmed
reason; the decision list's search and saved filters; times in the reader's zone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_veto_blocks_the_requester_revises_and_a_new_round_starts(
        page, live_server, login, screenshot, holders, price_exception, org):
    from decisions.models import Decision

    login(holders["manager_de"])
    page.goto(f"{live_server.url}/decisions/new/")
    expect(page.locator("#id_org_unit")).to_have_value(str(org["DE"].pk))  # max's only unit, preselected
    page.fill("#id_title", "Price exception for the Charité tender")
    page.select_option("#id_decision_type", str(price_exception.pk))
    needed = (timezone.now() + timedelta(hours=20)).astimezone(timezone.get_fixed_timezone(60)).date()
    page.fill("#id_due_by", needed.isoformat())
    page.fill("#id_description", "12% below list for three years.")
    expect(page.locator("#routing-preview")).to_contain_text("Carla")
    screenshot(page, "1-log-form")
    page.get_by_role("button", name="Log decision").click()
    decision = Decision.objects.get(title="Price exception for the Charité tender")
    expect(page.get_by_test_id("now-deciding")).to_contain_text("Needed by")
    expect(page.get_by_role("link", name="Edit")).to_be_visible()
    screenshot(page, "2-open")

    # Compliance vetoes: the decision shows as blocked, and waits on its requester.
    page.context.clear_cookies()  # sign out
    login(holders["compliance_de"])
    page.goto(f"{live_server.url}/decisions/{decision.pk}/")
    page.fill("#agree-comment", "12% is below the floor price for this product line.")
    page.get_by_role("button", name="Veto").click()
    expect(page.get_by_test_id("state")).to_have_text("Blocked (vetoed)")

    page.context.clear_cookies()
    login(holders["manager_de"])
    page.goto(f"{live_server.url}/decisions/queue/")
    expect(page.get_by_test_id("to-revise")).to_contain_text(decision.title)
    page.goto(f"{live_server.url}/decisions/{decision.pk}/")
    expect(page.get_by_test_id("blocked")).to_contain_text("Compliance vetoed (Carla)")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)  # edits closed after the first answer
    screenshot(page, "3-blocked")
    page.get_by_test_id("blocked").get_by_role("link", name="Revise").click()
    expect(page.locator("body")).to_contain_text("12% is below the floor price")
    page.fill("#id_comment", "Reduced to 9%, above the floor price.")
    page.fill("#id_option_1", "Grant 9%")
    screenshot(page, "4-revise-form")
    page.get_by_role("button", name="Revise and ask again").click()
    expect(page.get_by_test_id("state")).to_have_text("Open")
    expect(page.get_by_test_id("round-heading")).to_have_text(["Round 1", "Round 2"])
    expect(page.get_by_test_id("now-deciding")).to_contain_text("Needed by")  # the revision kept the date
    carla = page.locator(".card", has_text="Participants").locator("li", has_text="Carla")
    expect(carla).to_contain_text("waiting (round 2)")

    # A reminder to the people it waits on; a second one is refused until the interval passes.
    page.get_by_test_id("nudge").get_by_role("button", name="Remind").click()
    expect(page.locator(".alert-success")).to_contain_text("Reminder sent to")
    expect(page.get_by_test_id("nudge").get_by_role("button", name="Remind")).to_be_disabled()
    screenshot(page, "5-new-round")

    # Withdraw, confirmed with a reason in a dialog: the page then shows no clock and no decider.
    page.get_by_role("button", name="Withdraw…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("The decision closes for everyone involved")
    dialog.get_by_label("Reason").fill("The tender was cancelled by the hospital.")
    dialog.get_by_role("button", name="Withdraw decision").click()
    expect(page.get_by_test_id("state")).to_have_text("Withdrawn")
    expect(page.get_by_test_id("now-deciding")).to_have_count(0)
    expect(page.get_by_test_id("closed-summary")).to_contain_text("Withdrawn by")
    expect(page.get_by_test_id("clock")).not_to_contain_text("Due in")
    screenshot(page, "6-withdrawn")


def test_the_list_searches_saves_a_filter_and_shows_times_in_my_zone(
        page, live_server, login, screenshot, holders, log_de, partner_a):
    from decisions import services

    now = timezone.now()
    log_de(now=now - timedelta(hours=3), title="Rebate for the Charité tender", priority="urgent")
    log_de(now=now - timedelta(hours=2), title="Co-promotion budget", partnership=partner_a)
    vetoed = log_de(now=now - timedelta(hours=1), title="Discount for Uniklinik Köln")
    services.decision_agree(decision=vetoed, actor=holders["compliance_de"], agree=False, comment="Too deep")

    login(holders["leader"])
    page.goto(f"{live_server.url}/decisions/list/")
    page.fill("#id_q", "meddistrib")  # the partner's name
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Co-promotion budget")
    page.goto(f"{live_server.url}/decisions/list/?state=blocked&sort=due")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Blocked (vetoed)")
    page.fill("#filter-name", "Blocked, soonest first")
    page.get_by_test_id("save-filter").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved-filters")).to_contain_text("Blocked, soonest first")
    expect(rows).to_have_count(1)
    screenshot(page, "1-list-saved-filter")

    # Times in the reader's zone: Lena (EMEA) reads London time; switched to Tokyo, the same event moves.
    page.goto(f"{live_server.url}/decisions/{vetoed.pk}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("GMT")
    page.get_by_role("button", name="lena.leader").click()
    page.get_by_role("link", name="Time zone: Europe/London").click()
    page.select_option("#timezone", "Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("JST")
    screenshot(page, "2-detail-in-tokyo-time")
    page.goto(f"{live_server.url}/accounts/time-zone/")
    expect(page.get_by_test_id("tz-sample")).to_contain_text("JST")
    screenshot(page, "3-time-zone-page")
