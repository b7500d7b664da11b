"""Issue 16, "partnership briefing book" and "region pack": built by a job (claimed once, progress
recorded, enqueued after commit), stored and listed on the review's page; the partner user gets
only the shared version of their own partnership's books, with nothing internal in it."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from reports import services
from reports.models import BriefingBook, PackFile
from tests.reports.conftest import pdf_text, read_xlsx, sheet_dicts

pytestmark = pytest.mark.django_db

INTERNAL_ONLY = ("Secret rebate for MedDistrib", "Internal pending pricing", "max.de", "Max ", "Carla",
                 "Escalation level", "Internal · confidential")


def _build(actor, review, django_capture_on_commit_callbacks):
    with mock.patch("reports.tasks.build_book.apply_async") as send, \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        book = services.book_request(actor=actor, review=review)
        assert send.call_count == 0  # not before the row commits
    assert len(callbacks) == 1 and send.call_args.kwargs["kwargs"] == {"book_id": book.pk}
    assert book.status == "queued"
    assert services.book_build(book_id=book.pk) is True
    return BriefingBook.objects.get(pk=book.pk)


def test_briefing_book_is_built_by_the_job_once_with_both_versions(holders, qbr, django_capture_on_commit_callbacks):
    book = _build(holders["manager_de"], qbr["review"], django_capture_on_commit_callbacks)
    assert (book.status, book.progress, book.step) == ("done", 100, "Ready") and book.finished_at
    assert sorted(PackFile.objects.filter(book=book).values_list("audience", "fmt")) == [
        ("internal", "pdf"), ("internal", "xlsx"), ("shared", "pdf"), ("shared", "xlsx")]
    assert services.book_build(book_id=book.pk) is False  # a second delivery of the task builds nothing
    again = services.book_request(actor=holders["manager_de"], review=qbr["review"])
    assert again.pk != book.pk and again.status == "queued"  # a finished book is kept; a new one is asked for
    assert services.book_request(actor=holders["manager_de"], review=qbr["review"]).pk == again.pk  # double click


def test_two_workers_claim_a_book_once_and_a_dead_run_is_taken_over(holders, qbr):
    book = services.book_request(actor=holders["manager_de"], review=qbr["review"])
    assert services._claim(book.pk, timezone.now()) is True
    assert services._claim(book.pk, timezone.now()) is False  # the second worker
    assert services._claim(book.pk, timezone.now() + services.STALE_AFTER + timedelta(seconds=1)) is True


def test_internal_book_holds_scorecard_trend_decisions_actions_and_maturity(client, holders, qbr,
                                                                             django_capture_on_commit_callbacks):
    book = _build(holders["manager_de"], qbr["review"], django_capture_on_commit_callbacks)
    client.force_login(holders["manager_de"])
    sheets = read_xlsx(client.get(f"/reports/books/{book.pk}/internal.xlsx").content)
    score = sheet_dicts(sheets["Scorecard"])[0]
    assert (score["KPI code"], score["Actual"], score["Target"], score["Status"]) == ("REV", 30.0, 40.0,
                                                                                    "Red · off target")
    assert score["Change vs prior month"] == 2.0 and score["Change vs same month last year"] == 10.0
    taken = {r["Decision"]: r for r in sheet_dicts(sheets["Decisions taken"])}
    assert set(taken) == {"Joint launch budget", "Secret rebate for MedDistrib"}
    assert taken["Joint launch budget"]["Latency (days)"] == 2.0 and taken["Joint launch budget"]["Decider"]
    assert {r["Decision"] for r in sheet_dicts(sheets["Decisions pending"])} == {"Co-branded flyer",
                                                                                  "Internal pending pricing"}
    assert [r["Action"] for r in sheet_dicts(sheets["Overdue actions"])] == ["Send the tender file"]
    assert [r["Action"] for r in sheet_dicts(sheets["Upcoming actions"])] == ["Plan the joint webinar"]
    maturity = {r["Dimension"]: r for r in sheet_dicts(sheets["Maturity"])}
    assert {(r["Internal view"], r["Partner view"], r["Gap (internal − partner)"]) for r in maturity.values()} == {
        (4, 2, 2)}
    text = pdf_text(client.get(f"/reports/books/{book.pk}/internal.pdf").content)
    for words in ("QBR now", "Internal · confidential", "Red · off target", "Secret rebate for MedDistrib",
                  "Send the tender file", "Maturity by dimension", "Internal view", "since"):
        assert words in text, words


def test_partner_user_downloads_only_the_shared_version_of_their_own_book(client, holders, qbr, partner_b,
                                                                          django_capture_on_commit_callbacks):
    book = _build(holders["manager_de"], qbr["review"], django_capture_on_commit_callbacks)
    client.force_login(holders["partner"])
    assert client.get(f"/reports/books/{book.pk}/internal.pdf").status_code == 404
    assert client.get(f"/reports/books/{book.pk}/internal.xlsx").status_code == 404
    pdf = client.get(f"/reports/books/{book.pk}/shared.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "Joint launch budget" in text and "Co-branded flyer" in text and "Shared with MedDistrib GmbH" in text
    assert "Red · off target" in text and "Plan the joint webinar" in text
    workbook = repr(read_xlsx(client.get(f"/reports/books/{book.pk}/shared.xlsx").content))
    for secret in INTERNAL_ONLY:
        assert secret not in text, secret
        assert secret not in workbook, secret
    page = client.get(f"/partners/reviews/{qbr['review'].pk}/").content.decode()
    assert f"/reports/books/{book.pk}/shared.pdf" in page and "internal.pdf" not in page
    assert "Build briefing book" not in page
    assert client.post(f"/reports/reviews/{qbr['review'].pk}/briefing-book/").status_code == 403
    other = BriefingBook.objects.create(kind="partnership", partnership=partner_b, requested_at=timezone.now(),
                                        requested_by=holders["admin"], status="done")
    assert client.get(f"/reports/books/{other.pk}/shared.pdf").status_code == 404


def test_review_page_lists_books_and_the_book_page_polls_until_ready(client, holders, qbr):
    client.force_login(holders["manager_de"])
    review = qbr["review"]
    page = client.get(f"/partners/reviews/{review.pk}/").content.decode()
    assert "Build briefing book" in page and "No briefing book yet" in page
    with mock.patch("reports.tasks.build_book.apply_async"):
        response = client.post(f"/reports/reviews/{review.pk}/briefing-book/")
    book = BriefingBook.objects.get(review=review)
    assert response.status_code == 302 and response["Location"] == f"/reports/books/{book.pk}/"
    status = client.get(f"/reports/books/{book.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in status and "Queued" in status
    services.book_build(book_id=book.pk)
    status = client.get(f"/reports/books/{book.pk}/status/").content.decode()
    assert "hx-trigger" not in status and "Ready" in status and f"/reports/books/{book.pk}/shared.pdf" in status
    page = client.get(f"/partners/reviews/{review.pk}/").content.decode()
    assert f"/reports/books/{book.pk}/internal.pdf" in page
    client.force_login(holders["manager_jp"])
    assert client.get(f"/reports/books/{book.pk}/").status_code == 404


def test_a_failing_build_is_recorded_not_retried(holders, qbr):
    book = services.book_request(actor=holders["manager_de"], review=qbr["review"])
    with mock.patch("reports.packs.partnership_book", side_effect=RuntimeError("renderer out of memory")):
        assert services.book_build(book_id=book.pk) is False
    book.refresh_from_db()
    assert book.status == "failed" and "out of memory" in book.error
    assert services.book_build(book_id=book.pk) is False


@pytest.fixture
def region(qbr, holders, org):
    from decisions.models import Decision, DecisionStage

    Decision.objects.filter(pk=qbr["pending_internal"].pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    # the flyer's agreement is past its answer time: stuck on it
    DecisionStage.objects.filter(decision=qbr["pending_shared"], stage="agree").update(
        due_at=timezone.now() - timedelta(hours=1))
    return qbr


def test_region_pack_has_scorecards_worst_kpis_stuck_decisions_and_latency_by_function(client, holders, region, org):
    client.force_login(holders["leader"])
    with mock.patch("reports.tasks.build_book.apply_async"):
        response = client.post("/reports/packs/region/", {"unit": "DACH"})
    book = BriefingBook.objects.get(kind="region")
    assert response["Location"] == f"/reports/books/{book.pk}/" and book.org_unit.code == "DACH"
    assert services.book_build(book_id=book.pk)
    sheets = read_xlsx(client.get(f"/reports/books/{book.pk}/internal.xlsx").content)
    assert {"Function scorecards", "Partner scorecards", "Worst KPIs", "Stuck decisions",
            "Latency by function"} <= set(sheets)
    stuck = {r["Decision"]: r["Why stuck"] for r in sheet_dicts(sheets["Stuck decisions"])}
    assert "overdue" in stuck["Internal pending pricing"]
    assert "waiting on an agree" in stuck["Co-branded flyer"]
    assert client.get(f"/reports/books/{book.pk}/shared.pdf").status_code == 404  # region packs are internal
    text = pdf_text(client.get(f"/reports/books/{book.pk}/internal.pdf").content)
    assert "region pack" in text and "Stuck decisions" in text
    client.force_login(holders["manager_jp"])
    assert client.post("/reports/packs/region/", {"unit": "DACH"}).status_code == 404
    assert client.get(f"/reports/books/{book.pk}/internal.pdf").status_code == 404
