"""Issue 18 in a browser: a DACH manager opens the council's agenda, sees the lapsed decision queued
with whom it waited on, and downloads the agenda as PDF."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cluster_manager_reads_the_forum_agenda_and_its_pdf(page, live_server, login, screenshot, holders,
                                                               log_de, dach_council):
    from decisions import services

    now = timezone.now()
    decision = log_de(now=now - timedelta(hours=30), title="Tender price for Uniklinik Köln")
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True,
                            now=now - timedelta(hours=26))
    assert services.escalate_overdue(now=now)["queued"] == 1

    login(holders["sales_dach"])
    page.goto(f"{live_server.url}/decisions/forums/")
    page.get_by_role("link", name="DACH Commercial Council").click()
    expect(page.get_by_role("heading", name="DACH Commercial Council")).to_be_visible()
    row = page.get_by_test_id("agenda-table").locator("tbody tr").first
    expect(row).to_contain_text("Tender price for Uniklinik Köln")
    expect(row).to_contain_text("Compliance, Germany · 4 h")
    screenshot(page, "agenda")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    path = ARTIFACTS / "forum-agenda.pdf"
    download.value.save_as(path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "Tender price for Uniklinik Köln" in text and "DACH Commercial Council" in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(path), str(ARTIFACTS / "forum-agenda")],
                   check=True)
