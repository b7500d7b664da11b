"""``{% briefing_books review user %}``: a review's briefing books on its page, with the button to
build one for those who may, and the versions each reader may download."""

from __future__ import annotations

from django import template

from governance.querysets import LOG, can
from reports.access import audiences_for
from reports.models import BriefingBook, PackStatus

register = template.Library()


@register.inclusion_tag("reports/_review_books.html")
def briefing_books(review, user) -> dict:
    books = list(BriefingBook.objects.restrict(user, "view").filter(review=review).order_by("-requested_at")[:10])
    if user.is_partner:
        books = [b for b in books if b.status == PackStatus.DONE]
    rows = [(b, audiences_for(user, b)) for b in books]
    return {"review": review, "rows": rows, "may_build": not user.is_partner and can(user, LOG, review.partnership)}
