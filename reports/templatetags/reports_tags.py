"""A business review's page, the parts reports owns: ``{% briefing_books review user %}`` (its books,
the button to build one, the versions each reader may download) and ``{% review_agenda review user %}``
(its agenda with the drafted items, the button to draft the next one)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from governance.querysets import CHANGE, LOG, can
from partners.models import ReviewStatus
from reports.access import audiences_for
from reports.agenda import agenda_for, agenda_target
from reports.models import BriefingBook, PackStatus

register = template.Library()


@register.inclusion_tag("reports/_review_books.html")
def briefing_books(review, user) -> dict:
    books = list(BriefingBook.objects.restrict(user, "view").filter(review=review).order_by("-requested_at")[:10])
    if user.is_partner:
        books = [b for b in books if b.status == PackStatus.DONE]
    rows = [(b, audiences_for(user, b)) for b in books]
    return {"review": review, "rows": rows, "may_build": not user.is_partner and can(user, LOG, review.partnership)}


@register.inclusion_tag("reports/_review_agenda.html")
def review_agenda(review, user) -> dict:
    """The review's agenda card: the agenda written down, the drafted items ``user`` may see
    (``reports.agenda.agenda_for``), and for internal users who may change the review the button
    that drafts the next agenda (this review's own when it is still planned)."""
    may_draft = not user.is_partner and can(user, CHANGE, review)
    sections = agenda_for(review, user)
    first = next((rows[0][0] for _, rows in sections if rows), None)
    return {"review": review, "sections": sections, "drafted": first is not None,
            "drafted_at": first.drafted_at if first else None,
            "may_draft": may_draft, "own": review.status == ReviewStatus.PLANNED,
            "next_review": agenda_target(review, timezone.localdate())[0] if may_draft else None}
