"""Daily and weekly digest e-mails (beat), one per user and period, HTML and text.

A digest holds the user's notifications whose kind they chose to get in that digest
(``governance.notifications.delivery_for``) and not yet e-mailed; the **weekly** digest also
summarises the user's scope: off-target KPIs at their top unit (the dashboard's selector), stuck
decisions, decisions waiting on them and their overdue review actions — everything read through
``restrict(user, "view")``. Partner users get their notifications only (no internal summary).

Exactly once: a ``Digest`` row, unique on (user, cadence, period start), is inserted before the
mail goes out; a second run for the same period inserts nothing and sends nothing. Notifications
put in a digest are marked e-mailed in the same transaction as the row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from decisions.models import Decision
from decisions.selectors import stuck_decisions, stuck_reasons
from governance.models import Notification, User
from governance.notifications import Delivery, absolute_url, delivery_map, group_of
from kpis import selectors as kpi_selectors
from kpis.templatetags.kpis_tags import pct
from partners.models import ActionStatus, ReviewAction
from reports.models import Digest

log = logging.getLogger("accord.reports")

SUMMARY_ROWS = 10  # lines per summary section; the e-mail links to the page for the rest


@dataclass
class Line:
    text: str
    url: str  # absolute
    status: str = ""  # a word, e.g. "off target" (never colour alone)


@dataclass
class Section:
    title: str
    lines: list[Line]


@dataclass
class DigestContent:
    user: User
    cadence: str
    period_start: date
    sections: list[Section] = field(default_factory=list)
    notification_ids: list[int] = field(default_factory=list)
    scope_label: str = ""

    @property
    def empty(self) -> bool:
        return not any(s.lines for s in self.sections)


def period_start(cadence: str, today: date) -> date:
    """The first day of the digest's period: today (daily) or this week's Monday (weekly)."""
    return today - timedelta(days=today.weekday()) if cadence == Delivery.WEEKLY else today


def digest_content(user: User, cadence: str, now: datetime) -> DigestContent:
    content = DigestContent(user=user, cadence=cadence, period_start=period_start(cadence, now.date()))
    prefs = delivery_map(user)
    pending = Notification.objects.restrict(user, "view").filter(emailed_at__isnull=True, read_at__isnull=True)
    mine = [n for n in pending.order_by("-created_at")[:200] if prefs[group_of(n.kind)] == cadence]
    content.notification_ids = [n.pk for n in mine]
    content.sections.append(Section("Notifications", [
        Line(f"{n.title}" + (f": {n.body[:160]}" if n.body else ""), absolute_url(n.url)) for n in mine]))
    if cadence != Delivery.WEEKLY or user.is_partner or prefs["summary"] == Delivery.OFF:
        return content
    def decision_line(d, status=""):
        return Line(f"{d.title} ({d.decision_type.name}, {d.org_unit.code})",
                    absolute_url(reverse("decisions:detail", args=[d.pk])), status)

    board = kpi_selectors.dashboard(user, unit_code=None, period=None, grain="month")
    if board is not None:
        unit = board.scope.unit
        content.scope_label = f"{unit.name} · {board.label}"
        query = f"?unit={unit.code}&period={board.period:%Y-%m}"
        content.sections.append(Section(f"Off-target KPIs · {content.scope_label}", [
            Line(f"{r.kpi.name} ({r.kpi.code}): attainment {pct(r.cell.attainment)}",
                 absolute_url(reverse("kpis:detail", args=[r.kpi.code]) + query), "off target")
            for r in board.rows if r.cell is not None and r.cell.rag == "red"][:SUMMARY_ROWS]))
        content.sections.append(Section("Stuck decisions", [
            decision_line(d, ", ".join(stuck_reasons(d, now)))
            for d in stuck_decisions(user=user, org_unit_id=unit.pk, now=now, limit=SUMMARY_ROWS)]))
    waiting = (Decision.objects.restrict(user, "view").waiting_on(user).select_related("decision_type", "org_unit")
               .order_by("sla_due_at")[:SUMMARY_ROWS])
    content.sections.append(Section("Decisions waiting on you", [decision_line(d) for d in waiting]))
    actions = (ReviewAction.objects.restrict(user, "view").filter(owner=user, status=ActionStatus.OPEN,
                                                                 due_date__lt=now.date())
               .select_related("partnership").order_by("due_date")[:SUMMARY_ROWS])
    content.sections.append(Section("Your overdue actions", [
        Line(f"{a.title} ({a.partnership.name}), due {a.due_date:%d %b %Y}",
             absolute_url(reverse("partners:partnership", args=[a.partnership_id])), "overdue") for a in actions]))
    return content


def digest_send(*, user: User, cadence: str, now: datetime | None = None) -> bool:
    """Send ``user``'s digest for the period containing ``now``; False when there is nothing to
    say, no address, or this period's digest went out already."""
    now = now or timezone.now()
    if not user.is_active or not user.email:
        return False
    content = digest_content(user, cadence, now)
    if content.empty:
        return False
    try:
        with transaction.atomic():
            Digest.objects.create(user=user, cadence=cadence, period_start=content.period_start, sent_at=now,
                                  items=sum(len(s.lines) for s in content.sections))
            Notification.objects.filter(pk__in=content.notification_ids).update(emailed_at=now)
    except IntegrityError:  # this period's digest was sent by another run
        return False
    context = {"d": content, "home": absolute_url("/"), "settings_url": absolute_url(reverse("notification-settings")),
               "label": "Weekly" if cadence == Delivery.WEEKLY else "Daily"}
    text = render_to_string("reports/email/digest.txt", context)
    html = render_to_string("reports/email/digest.html", context)
    mail = EmailMultiAlternatives(subject=f"[Accord] {context['label']} digest", body=text,
                                  from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
    mail.attach_alternative(html, "text/html")
    try:
        mail.send()
    except Exception:  # the row stays: no second digest for the period; the notifications remain in-app
        log.exception("digest for user %s failed to send", user.pk)
        return False
    return True


def digests_send(*, cadence: str, now: datetime | None = None) -> int:
    """Every active user's digest of ``cadence`` (beat runs this daily and weekly)."""
    now = now or timezone.now()
    sent = 0
    for user in User.objects.filter(is_active=True).exclude(email="").order_by("pk").iterator(chunk_size=500):
        sent += digest_send(user=user, cadence=cadence, now=now)
    return sent
