"""The overdue sweep: flag overdue reviews and actions, notify their owners exactly once."""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from governance.notifications import notify
from partners.models import GOVERNED_STATUSES, ActionStatus, Partnership, ReviewAction
from partners.services.partnerships import partnership_owners
from partners.services.scope import today_of


@transaction.atomic
def flag_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """Flag overdue reviews and actions and notify their owners, exactly once per item.

    Set-based compare-and-set: the unflagged, past-due rows are locked (``SKIP LOCKED``) and
    flagged in one ``UPDATE``; the flag and the notifications commit together. A second sweep
    running at once skips the locked rows and, once the first commits, no longer matches them; a
    re-run after a crash redoes only what was not committed. The notification's ``dedupe_key``
    (unique per recipient) backs this up. Reviews are flagged per due date
    (``review_overdue_flagged_for``), so the next missed review is flagged again.
    """
    now = now or timezone.now()
    today = today_of(now)

    claimed_reviews = _claim(
        Partnership.objects.filter(status__in=GOVERNED_STATUSES, next_review_due__lt=today).exclude(
            review_overdue_flagged_for=models.F("next_review_due")
        ),
        review_overdue_flagged_for=models.F("next_review_due"),
    )
    for partnership in Partnership.objects.filter(pk__in=claimed_reviews).select_related("owner", "partner"):
        due = partnership.next_review_due
        notify(
            recipients=partnership_owners(partnership), kind="partners.review_overdue",
            title=f"Business review overdue: {partnership.name}",
            body=f"The {partnership.get_review_cadence_display().lower()} review with {partnership.partner.name} "
                 f"was due on {due:%d %b %Y}.",
            url=reverse("partners:partnership", args=[partnership.pk]),
            dedupe_key=f"partners:partnership:{partnership.pk}:review-overdue:{due.isoformat()}", now=now,
        )

    claimed_actions = _claim(
        ReviewAction.objects.filter(status=ActionStatus.OPEN, overdue_flagged_at__isnull=True, due_date__lt=today),
        overdue_flagged_at=now,
    )
    for action in ReviewAction.objects.filter(pk__in=claimed_actions).select_related("owner", "partnership"):
        notify(
            recipients=[action.owner], kind="partners.action_overdue",
            title=f"Action overdue: {action.title}",
            body=f"Due on {action.due_date:%d %b %Y} — {action.partnership.name}.",
            url=reverse("partners:my-actions"),
            dedupe_key=f"partners:action:{action.pk}:overdue:{action.due_date.isoformat()}", now=now,
        )
    return {"reviews_flagged": len(claimed_reviews), "actions_flagged": len(claimed_actions)}


def _claim(candidates: models.QuerySet, **flag) -> list[int]:
    """Compare-and-set, set-based: lock the unflagged candidates (``SKIP LOCKED``: rows another
    sweep holds are its to finish), then flag them all in one ``UPDATE``. After the other sweep
    commits, its rows no longer match the candidates' "not yet flagged" condition."""
    ids = list(candidates.order_by().select_for_update(skip_locked=True).values_list("pk", flat=True))
    if ids:
        candidates.model.objects.filter(pk__in=ids).update(**flag)
    return ids
