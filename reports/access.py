"""Which versions of a book a reader may download: internal users (in scope) both; partner users
only the version shared with their partner, and only once it is ready (``decisions/visibility.py``
draws the same line for decisions)."""

from __future__ import annotations

from decisions.visibility import sees_internal
from reports.models import Audience, BriefingBook, PackStatus


def audiences_for(user, book: BriefingBook) -> list[str]:
    """The audiences of ``book`` (already read through ``restrict(user, "view")``) ``user`` may download."""
    if sees_internal(user):
        return [Audience.INTERNAL, Audience.SHARED] if book.partnership_id else [Audience.INTERNAL]
    return [Audience.SHARED] if book.status == PackStatus.DONE and book.partnership_id else []
