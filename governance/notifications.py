"""Sending notifications: in-app rows plus email, exactly once per (recipient, dedupe key).

``notify`` sends one message to a few people; ``notify_many`` sends many messages (the sweeps,
a decision's log); each in one ``INSERT … ON CONFLICT DO NOTHING RETURNING``. E-mail never goes out inside the
request: after commit they enqueue ``governance.tasks.send_notification_emails`` with the ids of
the rows they created, and the worker (``notification_emails_send``) mails those whose recipient
wants that kind of notification immediately (``NotificationPreference``; the others wait for the
daily or weekly digest, ``reports/digests.py``, or are never mailed). The worker claims each row
by setting ``emailed_at`` where it is still empty, so a retried task mails nobody twice. Links
in e-mails are absolute (``ACCORD_BASE_URL``).

A body that mentions a time is a function of the recipient (``Body``), so each reader gets it in
their own zone with its label: ``lambda user: f"Due {format_instant(due, user_zone(user))}."``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from governance.jobs import enqueue
from governance.models import Delivery, Notification, NotificationPreference, User
from governance.querysets import compiled_statement
from governance.rowsets import rows_cte
from governance.text import single_line

log = logging.getLogger(__name__)

Body = str | Callable[[User], str]  # text, or text for one recipient (times in their zone)

# The kinds of notification a user chooses a delivery for, each a group of ``Notification.kind``
# prefixes; "summary" is the weekly digest's overview of the user's scope (no notifications).
NOTIFICATION_GROUPS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # group: (label, kind prefixes, deliveries offered)
    "waiting": ("Decisions waiting on me (decide, agree, input, reminders)",
                ("decision.decide", "decision.agree", "decision.input", "decision.nudge", "decision.revised"),
                tuple(Delivery.values)),
    "deadlines": ("Deadlines and escalations", ("decision.due_soon", "decision.escalated", "decision.overdue"),
                  tuple(Delivery.values)),
    "updates": ("Outcomes of decisions I follow (decided, vetoed, withdrawn, reopened)", ("decision.",),
                tuple(Delivery.values)),
    "reviews": ("Business reviews and actions", ("partners.",), tuple(Delivery.values)),
    "other": ("Everything else", ("",), tuple(Delivery.values)),
    "summary": ("Summary of my scope: off-target KPIs, stuck decisions, my queue, overdue actions", (),
                (Delivery.WEEKLY, Delivery.OFF)),
}
DEFAULT_DELIVERY = {"summary": Delivery.WEEKLY}  # every other group: immediately


def unread_count(user) -> int:
    """The bell's number on every page: ``user``'s unread notifications (one COUNT on the
    (recipient, read_at, -created_at) index); 0 for an anonymous visitor."""
    if not getattr(user, "is_authenticated", False):
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_unread_count_sql(), [user.pk])
        return cursor.fetchone()[0]


@functools.cache
def _unread_count_sql() -> str:
    """``Notification.objects.filter(recipient=…).unread().count()``'s statement, compiled once
    (``governance.querysets.compiled_statement``): the recipient is its one parameter."""
    rows = compiled_statement(Notification.objects.filter(recipient_id=0).unread().order_by().values("pk"), (0,))
    return f"SELECT COUNT(*) FROM ({rows}) AS unread"  # noqa: S608 — the ORM's own statement, no input


def group_of(kind: str) -> str:
    """The preference group of a notification kind: the first group with a matching prefix."""
    for group, (_, prefixes, _) in NOTIFICATION_GROUPS.items():
        if any(kind.startswith(p) for p in prefixes):
            return group
    return "other"


def delivery_map(user: User) -> dict[str, str]:
    """``user``'s delivery per group (one query), defaults filled in."""
    return delivery_maps([user.pk])[user.pk]


def delivery_maps(user_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """``delivery_map`` of each of ``user_ids``, in one query."""
    ids = set(user_ids)
    chosen: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for pk, group, delivery in NotificationPreference.objects.filter(user_id__in=ids).values_list(
            "user_id", "group", "delivery"):
        chosen[pk][group] = delivery
    return {pk: {g: mine.get(g, DEFAULT_DELIVERY.get(g, Delivery.IMMEDIATE)) for g in NOTIFICATION_GROUPS}
            for pk, mine in chosen.items()}


def preferences_set(*, user: User, choices: dict[str, str]) -> None:
    """Save ``user``'s deliveries (group -> delivery); unknown groups or deliveries are refused."""
    errors = {g: "Unknown kind of notification." for g in choices if g not in NOTIFICATION_GROUPS}
    errors.update({g: "Choose one of the offered deliveries." for g, d in choices.items()
                   if g in NOTIFICATION_GROUPS and d not in NOTIFICATION_GROUPS[g][2]})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for group, delivery in choices.items():
            NotificationPreference.objects.update_or_create(user=user, group=group, defaults={"delivery": delivery})


def absolute_url(path: str) -> str:
    """``path`` (e.g. ``/decisions/5/``) as a link that works from a mail client."""
    if not path or path.startswith(("http://", "https://")):
        return path or settings.ACCORD_BASE_URL.rstrip("/") + "/"
    return settings.ACCORD_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def _enqueue_emails(ids: list[int]) -> None:
    for start in range(0, len(ids), 1000):
        enqueue("governance.tasks.send_notification_emails", ids=ids[start:start + 1000])


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

    Idempotent and race-safe (``ON CONFLICT DO NOTHING`` on the unique key, one statement:
    ``notify_many``); the e-mail job is enqueued after the surrounding transaction commits, for
    rows this call created, which it returns (saved, with their ids).
    """
    notice = Notice(recipients=tuple(recipients), kind=kind, title=title, dedupe_key=dedupe_key, body=body, url=url)
    now = now or timezone.now()
    return [Notification(pk=pk, recipient_id=user.pk, kind=kind, title=title[:200], body=text, url=url,
                         dedupe_key=dedupe_key[:200], created_at=now)
            for pk, user, _, text in _insert([notice], now=now, email=email)]


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
    return [pk for pk, _, _, _ in _insert(notices, now=now or timezone.now(), email=email)]


def _insert(notices: Iterable[Notice], *, now: datetime, email: bool) -> list[tuple[int, User, Notice, str]]:
    """Write ``notices`` (``notify_many``'s rule) in one ``INSERT … ON CONFLICT DO NOTHING
    RETURNING``; the created rows as (id, recipient, notice, body text), their e-mails enqueued
    after commit."""
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
        created = sorted(cur.fetchall())  # in id order, i.e. the order of the rows
    out = [(pk, *pending[(recipient_id, key)], texts[(recipient_id, key)]) for pk, recipient_id, key in created]
    ids = [pk for pk, *_ in out]
    if email and ids:
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return out


def notification_emails_send(*, ids: list[int], now: datetime | None = None) -> int:
    """Mail the notifications ``ids`` whose recipient wants their kind immediately (the worker's
    job), over one mail connection. Each row is claimed first (``emailed_at`` set where empty), so
    a retried or duplicated job mails nobody twice; a row whose mail fails is released for the
    digest. Rows for digests or "off" stay unclaimed. Returns how many mails went out."""
    now = now or timezone.now()
    rows = list(Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("recipient"))
    prefs = delivery_maps(n.recipient_id for n in rows)
    wanted = [n.pk for n in rows if n.recipient.is_active and n.recipient.email
              and prefs[n.recipient_id][group_of(n.kind)] == Delivery.IMMEDIATE]
    if not wanted:
        return 0
    with connection.cursor() as cur:  # the claim: only rows still unmailed, whoever else is running
        table = connection.ops.quote_name(Notification._meta.db_table)
        cur.execute(f"UPDATE {table} SET emailed_at = %s WHERE id = ANY(%s) AND emailed_at IS NULL "  # noqa: S608
                    "RETURNING id", [now, wanted])
        claimed = {pk for (pk,) in cur.fetchall()}
    by_id = {n.pk: n for n in rows}
    failed, sent = [], 0
    try:
        mailer = get_connection(fail_silently=False)
        mailer.open()
    except Exception:  # the in-app notifications stand; the digest can carry them
        log.exception("email connection for %d notifications failed", len(claimed))
        Notification.objects.filter(pk__in=claimed).update(emailed_at=None)
        return 0
    try:
        for pk in sorted(claimed):
            n = by_id[pk]
            body = f"{n.body}\n\n{absolute_url(n.url)}".strip() if n.url else n.body
            message = EmailMessage(subject=f"[Accord] {single_line(n.title)}", body=body,
                                   from_email=settings.DEFAULT_FROM_EMAIL, to=[n.recipient.email], connection=mailer)
            try:
                message.send()
            except Exception:
                log.exception("email for notification %s to %s failed", n.dedupe_key, n.recipient_id)
                failed.append(pk)
                continue
            sent += 1
    finally:
        mailer.close()
    if failed:
        Notification.objects.filter(pk__in=failed).update(emailed_at=None)
    return sent


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's notifications (all, or ``ids``) read. Returns how many changed."""
    qs = Notification.objects.restrict(user, "change").unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now or timezone.now())
