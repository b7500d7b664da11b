"""Sending notifications: in-app rows plus email, exactly once per (recipient, dedupe key).

``notify`` sends one message to a few people; ``notify_many`` sends many messages in one
``INSERT … ON CONFLICT DO NOTHING RETURNING`` (the sweeps), emailing only the rows it created.

A body that mentions a time is a function of the recipient (``Body``), so each reader gets it in
their own zone with its label: ``lambda user: f"Due {format_instant(due, user_zone(user))}."``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import connection, transaction
from django.utils import timezone

from governance.models import Notification, User
from governance.rowsets import rows_cte
from governance.text import single_line

log = logging.getLogger(__name__)

Body = str | Callable[[User], str]  # text, or text for one recipient (times in their zone)


def body_for(body: Body, user: User) -> str:
    return body(user) if callable(body) else body


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: Body = "",
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
        Notification(recipient_id=pk, kind=kind, title=title[:200], body=body_for(body, people[pk]), url=url,
                     dedupe_key=dedupe_key[:200], created_at=now)
        for pk in people
        if pk not in already
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created_for = [(people[r.recipient_id], r.body) for r in rows]
    if email and created_for:
        transaction.on_commit(lambda: _send_emails(created_for, title, url, dedupe_key))
    return rows


def _send_emails(mails: list[tuple[User, str]], title: str, url: str, dedupe_key: str) -> None:
    for user, body in mails:
        if not user.email:
            continue
        try:
            send_mail(
                subject=f"[Accord] {single_line(title)}", message=f"{body}\n\n{url}".strip(),
                from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[user.email], fail_silently=False,
            )
        except Exception:  # the in-app notification stands; mail trouble is logged, not raised
            log.exception("email for notification %s to %s failed", dedupe_key, user.pk)
            continue
        Notification.objects.filter(recipient=user, dedupe_key=dedupe_key[:200]).update(emailed_at=timezone.now())


@dataclass(frozen=True)
class Notice:
    """One message for ``notify_many``: the arguments of one ``notify`` call."""

    recipients: tuple[User | None, ...]
    kind: str
    title: str
    dedupe_key: str
    body: Body = ""
    url: str = ""


def notify_many(notices: Iterable[Notice], *, now: datetime | None = None, email: bool = True) -> list[int]:
    """``notify`` for many messages at once: the same rows, titles and emails as one ``notify``
    call per notice in order (an earlier notice wins a (recipient, key) pair; inactive and
    missing recipients are left out), written with one statement.

    ``ON CONFLICT DO NOTHING RETURNING`` tells exactly which rows this call created, so a
    concurrent caller with the same keys never makes a second email. Returns the created rows' ids.
    """
    now = now or timezone.now()
    pending: dict[tuple[int, str], tuple[User, Notice]] = {}
    for notice in notices:
        key = notice.dedupe_key[:200]
        for user in notice.recipients:
            if user is not None and user.is_active and (user.pk, key) not in pending:
                pending[(user.pk, key)] = (user, notice)
    if not pending:
        return []
    field = Notification._meta.get_field
    columns = [("recipient_id", field("recipient")), ("title", field("title")), ("body", field("body")),
               ("url", field("url")), ("dedupe_key", field("dedupe_key")), ("kind", field("kind"))]
    texts = {pair: body_for(n.body, user) for pair, (user, n) in pending.items()}
    rows = [(pk, n.title[:200], texts[(pk, key)], n.url, key, n.kind) for (pk, key), (_, n) in pending.items()]
    table = connection.ops.quote_name(Notification._meta.db_table)
    with_sql, params = rows_cte(columns, rows)
    with connection.cursor() as cur:
        cur.execute(
            f"{with_sql} INSERT INTO {table} (recipient_id, kind, title, body, url, dedupe_key, created_at) "  # noqa: S608
            f"SELECT recipient_id, kind, title, body, url, dedupe_key, %s FROM v "
            f"ON CONFLICT (recipient_id, dedupe_key) DO NOTHING RETURNING id, recipient_id, dedupe_key",
            [*params, connection.ops.adapt_datetimefield_value(now)])
        created: list[tuple[User, Notice, int, str]] = [
            (*pending[(recipient_id, key)], pk, texts[(recipient_id, key)]) for pk, recipient_id, key in cur.fetchall()]
    if email and created:
        transaction.on_commit(lambda: _send_many_emails(created))
    return [pk for _, _, pk, _ in created]


def _send_many_emails(mails: list[tuple[User, Notice, int, str]]) -> None:
    """Email each created notification (user, notice, row id, body) over one mail connection: what
    ``notify`` sends, one message per recipient. Marks the ones that went out."""
    mails = [mail for mail in mails if mail[0].email]
    if not mails:
        return
    sent = []
    try:
        mailer = get_connection(fail_silently=False)
        mailer.open()
    except Exception:  # the in-app notifications stand
        log.exception("email connection for %d notifications failed", len(mails))
        return
    try:
        for user, notice, pk, body in mails:
            message = EmailMessage(subject=f"[Accord] {single_line(notice.title)}",
                                   body=f"{body}\n\n{notice.url}".strip(),
                                   from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email], connection=mailer)
            try:
                message.send()
            except Exception:
                log.exception("email for notification %s to %s failed", notice.dedupe_key, user.pk)
                continue
            sent.append(pk)
    finally:
        mailer.close()
    at = timezone.now()
    for start in range(0, len(sent), 5000):  # one bound parameter per id: keep statements bounded
        Notification.objects.filter(pk__in=sent[start:start + 5000]).update(emailed_at=at)


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's notifications (all, or ``ids``) read. Returns how many changed."""
    qs = Notification.objects.restrict(user, "change").unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now or timezone.now())
