"""Drafting the next business review's agenda from where the partnership stands (issue 16).

The draft lists, for the review's partnership and as the drafter may see it:

1. its **open review actions**, by due date — so the overdue ones come first ("overdue 5 days");
2. its **stuck decisions**: ``decisions.selectors.stuck_decisions`` (``DecisionQuerySet.stuck``, the
   one rule the dashboard, region pack and digest use: overdue, escalated or waiting on an agree);
3. its **off-target KPIs**: red, then amber, in the partnership's scorecard —
   ``kpis.selectors.partnership_kpi_cells``, the latest month with reports per co-owned KPI, as the
   partnership page and the briefing book show it.

It lives here because it reads partners, decisions and kpis alike (partners may import neither).
The items are stored on the review the agenda is for (``ReviewAgendaItem``): drafting from a
planned review fills its own agenda; from a held one, the next planned review of the partnership,
created at the date its cadence gives (``Partnership.next_review_due``) when there is none. A redraft
replaces the items; the partnership row is locked meanwhile, so two clicks plan one review.
What each reader sees of the draft is ``ReviewAgendaItem.objects.restrict`` plus ``visible_reasons``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from decisions.selectors import stuck_decisions, stuck_reasons
from decisions.visibility import sees_internal
from governance.models import User
from governance.periods import add_months
from governance.querysets import CHANGE, VIEW, can
from kpis import selectors as kpi_selectors
from kpis.models import RAG
from kpis.templatetags.kpis_tags import pct
from partners.models import (
    CADENCE_MONTHS,
    ActionStatus,
    BusinessReview,
    Partnership,
    ReviewAction,
    ReviewStatus,
)
from partners.services import review_create
from reports.models import AgendaSection, ReviewAgendaItem

MAX_ITEMS = 40  # per section: an agenda, not a report
OFF_TARGET = (RAG.RED, RAG.AMBER)
# What of a stuck decision's reasons a partner user may read: an escalation or a missing agree is internal.
PARTNER_REASONS = ("overdue",)


@dataclass
class DraftItem:
    section: str
    subject: object
    reasons: list[str]


def agenda_target(review: BusinessReview, today: date) -> tuple[BusinessReview | None, date]:
    """The review whose agenda a draft from ``review`` fills — itself when planned, else the
    partnership's next planned review after it (None: to be planned) — and the date to plan it at."""
    if review.status == ReviewStatus.PLANNED:
        return review, review.date
    planned = (BusinessReview.objects.filter(partnership_id=review.partnership_id, status=ReviewStatus.PLANNED,
                                             date__gt=review.date).order_by("date", "pk").first())
    partnership = review.partnership
    due = partnership.next_review_due
    if due is None or due <= review.date:
        due = add_months(review.date, CADENCE_MONTHS[partnership.review_cadence])
    return planned, max(due, today)


def draft_items(user: User, partnership: Partnership, now: datetime) -> list[DraftItem]:
    """The agenda's lines for ``partnership`` as ``user`` sees it, in order (see the module docstring)."""
    today = timezone.localdate(now)
    items = []
    actions = (ReviewAction.objects.restrict(user, VIEW).filter(partnership=partnership, status=ActionStatus.OPEN)
               .select_related("owner").order_by("due_date", "pk")[:MAX_ITEMS])
    for a in actions:
        late = (today - a.due_date).days
        items.append(DraftItem(AgendaSection.ACTION, a, [f"overdue {late} day{'s' if late != 1 else ''}" if late > 0
                                                          else f"due {a.due_date:%d %b %Y}"]))
    for d in stuck_decisions(user=user, partnership_id=partnership.pk, now=now, limit=MAX_ITEMS):
        items.append(DraftItem(AgendaSection.DECISION, d, stuck_reasons(d, now)))
    off = [(k, c) for k, c in kpi_selectors.partnership_kpi_cells(user, partnership)
           if c is not None and c.rag in OFF_TARGET]
    off.sort(key=lambda kc: (OFF_TARGET.index(kc[1].rag), kc[1].attainment is None, kc[1].attainment or 0,
                             kc[0].code))
    for k, c in off[:MAX_ITEMS]:
        items.append(DraftItem(AgendaSection.KPI, k, [RAG(c.rag).label.lower(), f"attainment {pct(c.attainment)}",
                                                      f"{c.period:%b %Y}"]))
    return items


@transaction.atomic
def agenda_draft(*, actor: User, review: BusinessReview, now: datetime | None = None) -> BusinessReview:
    """Draft the next agenda from ``review`` (internal users who may change it); returns the review
    the agenda is for, planned at the partnership's cadence if it had to be created."""
    now = now or timezone.now()
    if actor.is_partner or not can(actor, CHANGE, review):
        raise PermissionDenied("Only those who may change the review draft its next agenda.")
    partnership = Partnership.objects.select_for_update().get(pk=review.partnership_id)
    review.partnership = partnership
    target, when = agenda_target(review, timezone.localdate(now))
    if target is None:
        target = review_create(actor=actor, partnership=partnership, date=when, kind=review.kind,
                               status=ReviewStatus.PLANNED, title=f"Next {review.get_kind_display().lower()}")
    ReviewAgendaItem.objects.filter(review=target).delete()
    field = {AgendaSection.ACTION: "action", AgendaSection.DECISION: "decision", AgendaSection.KPI: "kpi"}
    ReviewAgendaItem.objects.bulk_create([
        ReviewAgendaItem(review=target, section=item.section, position=i, reasons=item.reasons, drafted_at=now,
                         drafted_by=actor, **{field[item.section]: item.subject})
        for i, item in enumerate(draft_items(actor, partnership, now), start=1)])
    return target


def visible_reasons(item: ReviewAgendaItem, viewer) -> list[str]:
    """The reasons of ``item`` ``viewer`` may read: a partner user reads a stuck decision's only
    when it is overdue (its SLA is shared with them; escalations and agrees are not)."""
    if sees_internal(viewer) or item.section != AgendaSection.DECISION:
        return item.reasons
    return [r for r in item.reasons if r in PARTNER_REASONS]


def agenda_for(review: BusinessReview, viewer) -> list[tuple[str, list[tuple[ReviewAgendaItem, list[str]]]]]:
    """The drafted agenda of ``review`` as ``viewer`` may see it, by section: a partner user gets
    the shared agenda — no internal-only decision, and no decision stuck for an internal reason."""
    items = (ReviewAgendaItem.objects.restrict(viewer, VIEW).filter(review=review)
             .select_related("action__owner", "decision__decision_type", "kpi").order_by("position"))
    sections: dict[str, list] = {s: [] for s in AgendaSection.values}
    for item in items:
        reasons = visible_reasons(item, viewer)
        if item.section == AgendaSection.DECISION and not reasons:
            continue
        sections[item.section].append((item, reasons))
    return [(AgendaSection(s).label, rows) for s, rows in sections.items()]
