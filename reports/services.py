"""Briefing books and region packs: request one (``book_request``), build it (``book_build``,
the job).

Guarantees: a request is enqueued only after its row commits (``enqueue_on_commit``); the job
claims the row with a compare-and-set ``UPDATE … WHERE status = 'queued'`` (or a run that has
been silent for ``STALE_AFTER``, i.e. a worker that died), so two workers given the same book —
a retried task, a duplicate message — build it once; a finished book is never rebuilt. Files
are written in one transaction with the status ``done``. A failure is recorded on the row
(status ``failed`` and the error) and logged, never retried in a loop. Progress is written as
the job goes (its own small UPDATEs, outside any transaction) for the page to poll.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from governance.jobs import claim, enqueue_on_commit, record_progress
from governance.models import OrgUnit, User
from governance.querysets import LOG, VIEW, can
from partners.models import BusinessReview
from reports import packs
from reports.models import Audience, BriefingBook, PackFile, PackKind, PackStatus
from reports.pdf import book_pdf, document_pdf
from reports.xlsx import document_xlsx

log = logging.getLogger("accord.reports")

STALE_AFTER = timedelta(minutes=10)


def book_request(*, actor: User, review: BusinessReview | None = None, org_unit: OrgUnit | None = None,
                 now: datetime | None = None) -> BriefingBook:
    """Ask for a review's partnership briefing book (``review``: internal users who may log against
    its partnership) or a region pack (``org_unit``: internal users who see it). A request while
    the same one is still queued or building returns that one (a double click builds once)."""
    now = now or timezone.now()
    if actor.is_partner:
        raise PermissionDenied("Partner users download the shared briefing books of their partnership.")
    if review is not None:
        if not can(actor, LOG, review.partnership):
            raise PermissionDenied("You may not prepare this partnership's reviews.")
        subject = {"kind": PackKind.PARTNERSHIP, "review": review, "partnership": review.partnership}
        label = review.title or f"{review.get_kind_display()} {review.date:%d %b %Y}"
        title = f"Briefing book · {review.partnership.name} · {label}"
    elif org_unit is not None:
        if not can(actor, VIEW, org_unit):
            raise PermissionDenied("That org unit is not in your scope.")
        subject = {"kind": PackKind.REGION, "org_unit": org_unit}
        title = f"Region pack · {org_unit.name}"
    else:
        raise ValueError("a briefing book needs a review or an org unit")
    with transaction.atomic():
        pending = (BriefingBook.objects.select_for_update().filter(requested_by=actor, **subject)
                   .filter(status__in=[PackStatus.QUEUED, PackStatus.RUNNING]).first())
        if pending is not None:
            return pending
        book = BriefingBook.objects.create(requested_by=actor, requested_at=now, title=title[:250], **subject)
        enqueue_on_commit("reports.tasks.build_book", book_id=book.pk)  # by name: reports.tasks imports this module
    return book


def _progress(book_id: int, percent: int, step: str) -> None:
    record_progress(BriefingBook.objects.filter(pk=book_id), percent, step)


def _claim(book_id: int, now: datetime) -> bool:
    return claim(BriefingBook.objects.filter(pk=book_id), now=now, stale_after=STALE_AFTER)


def book_build(*, book_id: int, now: datetime | None = None) -> bool:
    """Build the book (the job). True when this call built it; False when another run has it,
    it is finished, or it failed (recorded on the row)."""
    now = now or timezone.now()
    if not _claim(book_id, now):
        return False
    book = BriefingBook.objects.select_related("requested_by", "partnership__partner", "review", "org_unit").get(
        pk=book_id)
    try:
        files = _render(book, now)
    except Exception as exc:  # recorded on the row for the page; the log keeps the traceback
        log.exception("briefing book %s failed", book_id)
        BriefingBook.objects.filter(pk=book_id).update(status=PackStatus.FAILED, error=str(exc)[:2000],
                                                       finished_at=timezone.now(), step="Failed")
        return False
    with transaction.atomic():
        PackFile.objects.filter(book_id=book_id).delete()
        PackFile.objects.bulk_create(files)
        BriefingBook.objects.filter(pk=book_id).update(status=PackStatus.DONE, progress=100, step="Ready",
                                                       finished_at=timezone.now())
    return True


def _render(book: BriefingBook, now: datetime) -> list[PackFile]:
    reader = book.requested_by
    if reader is None or not reader.is_active:
        raise PermissionDenied("The person who asked for this book can no longer read it.")
    with timezone.override(reader.timezone or "UTC"):
        if book.kind == PackKind.REGION:
            _progress(book.pk, 10, "Reading scorecards, decisions and latency")
            doc = packs.region_pack(reader, book.org_unit.code, now=now)
            _progress(book.pk, 60, "Rendering the PDF")
            return [_file(book, Audience.INTERNAL, "pdf", doc.filename, document_pdf(doc)),
                    _file(book, Audience.INTERNAL, "xlsx", doc.filename, document_xlsx(doc))]
        files = []
        for n, audience in enumerate((Audience.INTERNAL, Audience.SHARED)):
            shared = audience == Audience.SHARED
            _progress(book.pk, 10 + 45 * n, f"Reading the {audience.label.lower()} version")
            version = packs.partnership_book(reader, book.partnership, book.review, shared=shared, now=now)
            version.document.generated_for = "" if shared else (reader.get_full_name() or reader.username)
            _progress(book.pk, 30 + 45 * n, f"Rendering the {audience.label.lower()} version")
            files += [_file(book, audience, "pdf", version.document.filename, book_pdf(version)),
                      _file(book, audience, "xlsx", version.document.filename, document_xlsx(version.document))]
        return files


def _file(book: BriefingBook, audience: str, fmt: str, name: str, content: bytes) -> PackFile:
    return PackFile(book=book, audience=audience, fmt=fmt, filename=f"{name}.{fmt}", content=content,
                    size=len(content))
