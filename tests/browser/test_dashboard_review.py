"""Issue 16, "a dashboard fit for the review": status is never colour alone (a symbol, and words
for screen readers, on every heat-map cell; a colour-blind-safe palette), the heat-map headers
stay in view while it scrolls, and axe-core (vendored, static/vendor/axe-core) finds no serious or
critical accessibility violation on the dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.looking import axe_violations, simulate_deuteranopia
from tests.browser.test_leader_journey import scorecard  # noqa: F401 - the DACH/EMEA dashboard world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_heat_map_status_is_a_symbol_and_words_not_colour_alone_and_headers_stick(page, live_server, login,
                                                                                 screenshot, cast, scorecard):  # noqa: F811
    login(cast["leader"])
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"{live_server.url}/kpis/dashboard/?unit=DACH&period=2025-12")
    net_sales = page.locator("tr", has=page.locator("th.kpi-name a", has_text="Net sales"))
    at_cell, de_cell = net_sales.locator("td:not(.total-col)").all()
    marker = "e => getComputedStyle(e, '::before').content"
    assert "✓" in de_cell.evaluate(marker) and "on target" in de_cell.evaluate(marker)
    assert "✕" in at_cell.evaluate(marker) and "off target" in at_cell.evaluate(marker)
    header = page.locator("table.heatmap thead th").first
    assert header.evaluate("e => getComputedStyle(e).position") == "sticky"
    assert page.locator("table.heatmap tbody th.kpi-name").first.evaluate(
        "e => getComputedStyle(e).position") == "sticky"
    violations = axe_violations(page, live_server.url)
    assert violations == [], violations
    screenshot(page, "1-dashboard")
    simulate_deuteranopia(page)
    expect(de_cell).to_have_text(re.compile(r"^€1,111\b"))  # the figure itself is unchanged
    screenshot(page, "2-deuteranopia")
