"""A commercial leader opens the shared-KPI dashboard for EMEA, drills down to DACH and opens a
KPI's trend — seeing the RAG colours the scorecard computed (Germany on target, Austria far off)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.reliability.kpi_data import no_enqueue, seed_actuals, seed_kpis, seed_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def hue(locator) -> str:
    """'green' or 'red': which channel dominates the cell's computed background colour."""
    r, g, _b = (int(x) for x in locator.evaluate("e => getComputedStyle(e).backgroundColor")[4:-1].split(",")[:3])
    return "green" if g > r else "red" if r > g else "neutral"


@pytest.fixture
def scorecard(cast, org, functions, monkeypatch):
    from kpis.services.rollup import rollup_full

    no_enqueue(monkeypatch)
    kpis = seed_kpis(functions)
    seed_targets(kpis, org)
    seed_actuals(cast["admin"], kpis, org)  # DE 110% of target, AT 50%
    rollup_full()
    return kpis


def test_leader_dashboard_emea_drill_down_to_dach_and_kpi_trend(page, live_server, login, screenshot, cast,
                                                                  scorecard):
    login(cast["leader"])
    expect(page).to_have_url(f"{live_server.url}/kpis/dashboard/")  # a leader lands on the dashboard

    page.goto(f"{live_server.url}/kpis/dashboard/?unit=EMEA&period=2025-12")
    expect(page.locator("h1")).to_contain_text("EMEA")
    net_sales = page.locator("tr", has=page.locator("th.kpi-name a", has_text="Net sales"))
    # EMEA = DE 1,111 + AT 511 against 2,000: 81% of target, below the red line (90%)
    expect(net_sales.locator("td.total-col")).to_have_class(re.compile(r"\bhm-red\b"))
    screenshot(page, "1-emea")

    page.get_by_title("Drill down to DACH").click()
    expect(page.locator("h1")).to_contain_text("DACH")
    expect(page).to_have_url(f"{live_server.url}/kpis/dashboard/?unit=DACH&period=2025-12&grain=month")
    heat = page.locator("table", has=page.locator("th.unit-col"))
    columns = [t.strip() for t in heat.locator("th.unit-col:not(.total-col)").all_inner_texts()]
    assert columns == ["AT", "DE"], columns
    net_sales = page.locator("tr", has=page.locator("th.kpi-name a", has_text="Net sales"))
    at_cell, de_cell = net_sales.locator("td:not(.total-col)").all()
    expect(at_cell).to_have_class("hm-red")
    expect(de_cell).to_have_class("hm-green")
    summary = [n.strip() for n in page.locator(".kpi-summary .num").all_inner_texts()]
    assert summary[:3] == ["1", "1", "1"], summary  # on target, within tolerance, off target
    assert (hue(de_cell), hue(at_cell)) == ("green", "red")  # what the leader sees, not just the class
    expect(de_cell).to_have_text(re.compile(r"^€1,111\b"))  # then its change against last month
    screenshot(page, "2-dach")

    net_sales.locator("th.kpi-name a").click()
    expect(page.locator("h1")).to_contain_text("Net sales")
    expect(page).to_have_url(f"{live_server.url}/kpis/kpi/NET_SALES/?unit=DACH&period=2025-12")
    expect(page.locator("canvas#trend")).to_be_visible()
    below = page.locator(".card", has=page.locator(".card-header", has_text="Below DACH"))
    expect(below).to_contain_text("Germany")
    expect(below).to_contain_text("Austria")
    screenshot(page, "3-trend")

    # The scope search: type, arrow down to a match, Enter — the same KPI at that unit.
    search = page.get_by_role("searchbox", name="Scope")
    search.fill("aus")
    hit = page.locator("#unit-results a.unit-hit")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("Austria")
    expect(hit).to_contain_text("AT · market in DACH")
    screenshot(page, "4-search")
    search.press("ArrowDown")
    expect(hit).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/kpis/kpi/NET_SALES/?period=2025-12&unit=AT")
    expect(page.get_by_role("searchbox", name="Scope")).to_have_value("")
    expect(page.get_by_role("navigation", name="Scope path")).to_contain_text("EMEA › DACH › Austria")
    screenshot(page)
