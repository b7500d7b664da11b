"""Sending notifications: in-app rows plus email, exactly once per (recipient, dedupe key)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from governance.models import Notification, User

log = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str,
    now: datetime | None = None,
    email: bool = True,
) -> list[Notification]:
    """Create one notification per recipient unless one with ``dedupe_key`` already exists.

    Idempotent and race-safe (``ignore_conflicts`` on the unique key); emails go out after the
    surrounding transaction commits, only for rows this call created.
    """
    now = now or timezone.now()
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not people:
        return []
    already = set(
        Notification.objects.filter(recipient_id__in=people, dedupe_key=dedupe_key).values_list(
            "recipient_id", flat=True
        )
    )
    rows = [
        Notification(recipient_id=pk, kind=kind, title=title[:200], body=body, url=url,
                     dedupe_key=dedupe_key[:200], created_at=now)
        for pk in people
        if pk not in already
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created_for = [people[r.recipient_id] for r in rows]
    if email and created_for:
        transaction.on_commit(lambda: _send_emails(created_for, title, body, url, dedupe_key))
    return rows


def _send_emails(users: list[User], title: str, body: str, url: str, dedupe_key: str) -> None:
    for user in users:
        if not user.email:
            continue
        try:
            send_mail(
                subject=f"[Accord] {title}", message=f"{body}\n\n{url}".strip(),
                from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[user.email], fail_silently=False,
            )
        except Exception:  # the in-app notification stands; mail trouble is logged, not raised
            log.exception("email for notification %s to %s failed", dedupe_key, user.pk)
            continue
        Notification.objects.filter(recipient=user, dedupe_key=dedupe_key[:200]).update(emailed_at=timezone.now())


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's notifications (all, or ``ids``) read. Returns how many changed."""
    qs = Notification.objects.visible_to(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now or timezone.now())
