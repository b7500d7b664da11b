"""An admin sets up a partnership with a shared KPI and its targets in the product, without the
Django admin: partner, partnership (units, functions, member), KPI co-owned by the partnership,
a target in the grid — and a mistake on the way is shown beside its field, nothing saved."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots/admin")  # screenshots of each new screen for the closing note


def _shot(page, screenshot, step: str) -> None:
    path = screenshot(page, step)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / f"journey-{step}.png")


def test_admin_creates_a_partnership_with_a_kpi_and_a_target_end_to_end(
        page, live_server, login, screenshot, cast, org, functions):
    from kpis.models import KPI, Target
    from partners.models import Partner, Partnership

    login(cast["admin"])
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Manage").click()
    expect(page.get_by_role("heading", name="Manage", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Django admin")).to_have_count(0)  # not a superuser

    # 1. The partner.
    page.locator(".manage-nav").get_by_role("link", name="Partners", exact=True).click()
    page.get_by_role("link", name="New partner").click()
    page.fill("#id_name", "Alpenmed AG")
    page.select_option("#id_kind", "distributor")
    page.select_option("#id_org_units", ["AT"])
    page.get_by_role("button", name="Create partner").click()
    expect(page.locator(".alert-success")).to_contain_text("Alpenmed AG")

    # 2. The partnership — first with its end before its start: refused beside the field.
    page.goto(f"{live_server.url}/manage/partnerships/new/")
    page.select_option("#id_partner", label="Alpenmed AG")
    page.fill("#id_name", "Alpenmed Austria distribution")
    page.fill("#id_start", "2026-01-01")
    page.fill("#id_end", "2025-06-30")
    page.select_option("#id_org_units", ["AT"])
    page.select_option("#id_owner_function", "SALES")
    page.select_option("#id_functions", ["ACCESS", "MKT"])
    page.select_option("#id_members", label=f"{cast['partner'].username} ({cast['partner'].username})")
    page.get_by_role("button", name="Create partnership").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("end cannot be before the start")
    assert not Partnership.objects.filter(name="Alpenmed Austria distribution").exists()
    _shot(page, screenshot, "1-partnership-error")
    page.fill("#id_end", "")
    page.get_by_role("button", name="Create partnership").click()
    expect(page.locator(".alert-success")).to_contain_text("Alpenmed Austria distribution")
    partnership = Partnership.objects.get(name="Alpenmed Austria distribution")
    assert partnership.partner == Partner.objects.get(name="Alpenmed AG")
    assert [u.code for u in partnership.org_units.all()] == ["AT"]
    assert list(partnership.members.all()) == [cast["partner"]]
    _shot(page, screenshot, "2-partnership-saved")

    # 3. A KPI co-owned by Sales and the partnership.
    page.goto(f"{live_server.url}/manage/kpis/new/")
    page.fill("#id_code", "AT-UNITS")
    page.fill("#id_name", "Units sold in Austria")
    page.fill("#id_unit", "units")
    page.select_option("select[name='owner-0-owner']", "f:SALES")
    page.select_option("select[name='owner-1-owner']", f"p:{partnership.pk}")
    page.fill("input[name='owner-1-weight']", "0.5")
    page.get_by_role("button", name="Create KPI").click()
    expect(page.locator(".alert-success")).to_contain_text("AT-UNITS")
    kpi = KPI.objects.get(code="AT-UNITS")
    assert {(o.function_id, o.partnership_id, o.weight) for o in kpi.ownerships.all()} == {
        (functions["SALES"].pk, None, Decimal(1)), (None, partnership.pk, Decimal("0.5"))}
    _shot(page, screenshot, "3-kpi")

    # 4. Its targets in the grid: Austria under DACH, for the partnership.
    page.get_by_role("link", name="Manage", exact=True).first.click()
    page.locator(".manage-nav").get_by_role("link", name="Targets").click()
    page.select_option("#id_kpi", "AT-UNITS")
    page.select_option("#id_parent", "DACH")
    page.fill("#id_year", "2026")
    page.select_option("#id_partnership", str(partnership.pk))
    page.get_by_role("button", name="Show grid").click()
    page.get_by_label("Austria, January 2026").fill("120")
    page.get_by_label("Austria, February 2026").fill("lots")
    page.get_by_role("button", name="Save targets").click()
    expect(page.locator(".alert-danger")).to_contain_text("Nothing was saved")
    assert not Target.objects.exists()
    page.get_by_label("Austria, February 2026").fill("130")
    page.get_by_role("button", name="Save targets").click()
    expect(page.locator(".alert-success")).to_contain_text("2 targets saved")
    assert {(t.org_unit.code, t.partnership_id, t.period, t.value) for t in Target.objects.all()} == {
        ("AT", partnership.pk, date(2026, 1, 1), Decimal(120)), ("AT", partnership.pk, date(2026, 2, 1), Decimal(130))}
    _shot(page, screenshot, "4-targets")

    # The partnership's own page shows the KPI it co-owns.
    page.goto(f"{live_server.url}/partners/partnerships/{partnership.pk}/")
    expect(page.get_by_role("heading", name="Alpenmed Austria distribution")).to_be_visible()
    screenshot(page)
