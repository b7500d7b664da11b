"""Issue 16: a manager builds a review's briefing book and watches it finish (htmx poll); the
partner user downloads the shared version from the review page and finds nothing internal in it."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from reports import services
from reports.models import BriefingBook
from tests.reports.conftest import kpis, qbr, record, target  # noqa: F401 - reused fixtures
from tests.reports.test_books import INTERNAL_ONLY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_downloads_the_shared_briefing_book_without_internal_content(page, live_server, login, screenshot,
                                                                             holders, qbr, monkeypatch,  # noqa: F811
                                                                             tmp_path):
    from reports import tasks

    monkeypatch.setattr(tasks.build_book, "apply_async", lambda *a, **k: None)  # the test plays the worker
    review = qbr["review"]
    login(holders["manager_de"])
    page.goto(f"{live_server.url}/partners/reviews/{review.pk}/")
    page.get_by_role("button", name="Build briefing book").click()
    expect(page.locator("#book-status")).to_contain_text("Queued")
    book = BriefingBook.objects.get(review=review)
    assert services.book_build(book_id=book.pk)
    expect(page.locator("#book-status")).to_contain_text("Ready", timeout=15_000)  # the poll picked it up
    expect(page.get_by_role("link", name="PDF").first).to_be_visible()
    screenshot(page, "1-ready")

    page.context.clear_cookies()
    login(holders["partner"])
    page.goto(f"{live_server.url}/partners/reviews/{review.pk}/")
    books = page.locator("#briefing-books")
    expect(books.get_by_role("link", name="Internal PDF")).to_have_count(0)
    with page.expect_download() as info:
        books.get_by_role("link", name="Shared PDF").click()
    path = tmp_path / "book.pdf"
    info.value.save_as(path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "Joint launch budget" in text and "Shared with MedDistrib GmbH" in text
    leaked = [words for words in INTERNAL_ONLY if words in text]
    assert not leaked, leaked
    screenshot(page, "2-partner")
