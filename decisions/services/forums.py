# ruff: noqa: S608 - SQL assembled from model table names and placeholders only
"""Forums and their agendas: configuring forums and their cancelled or moved meetings, flagging a
decision "needs the forum", moving open decisions on to the next meeting, closing agenda items.

A decision of a forum-bound type (``DecisionType.forum``) goes on the agenda of the forum's next
meeting (``decisions.forums.next_meeting``) in two ways, and then leaves the hourly ladder (its
``next_deadline_at`` is cleared: nothing escalates it while it is queued):

* it **lapses** — reaches its level's due time: the escalation sweep queues it instead of
  escalating it (``services.escalation._queue``, claimed compare-and-set as every sweep step);
* someone who may change it (``can(user, "change", decision)``: requester, decider, admins)
  **flags it** "needs the forum" (``decision_flag_forum``): queued at once.

**Rolling** (our rule): when a meeting has passed (the end of its local day) and the decision is
still open, its item moves to the forum's next meeting and the timeline says so
(``roll_agenda``, run by the sweep; exactly once per meeting with two sweeps racing: the item's
``passes_at`` is the compare-and-set guard). The item keeps its reason and when it was first
queued; ``rolls`` counts the moves. Deciding or withdrawing the decision closes its item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from decisions.exceptions import DecisionConflict, NotAParticipant
from decisions.forums import next_meeting, passes_at
from decisions.models import (
    AgendaItem,
    AgendaReason,
    Decision,
    DecisionEvent,
    DecisionStatus,
    EventKind,
    Forum,
    ForumMeetingException,
)
from decisions.services.common import _event, _locked, _require_open, decision_url
from governance.archive import refuse_archived, set_archived
from governance.models import User
from governance.notifications import notify
from governance.querysets import CHANGE, can
from governance.rowsets import rows_cte
from governance.text import NOTE_MAX, bounded
from governance.timezones import format_instant, zone


class AlreadyQueued(DecisionConflict):
    code = "already_queued"


# ---- configuration (the Manage pages and the API write through these) ----

@transaction.atomic
def forum_create(**fields) -> Forum:
    refuse_archived("org_unit", [fields.get("org_unit")])
    forum = Forum(**fields)
    forum.full_clean()
    forum.save()
    return forum


@transaction.atomic
def forum_update(*, forum: Forum, **fields) -> Forum:
    if "org_unit" in fields:
        refuse_archived("org_unit", [fields["org_unit"]], keep=[forum.org_unit_id])
    for name, value in fields.items():
        setattr(forum, name, value)
    forum.full_clean()
    forum.save()
    return forum


@transaction.atomic
def forum_set_archived(*, forum: Forum, archived: bool, actor: User | None = None) -> Forum:
    """Archive (or restore) a forum. Refused while a decision type is still bound to it."""
    if archived and forum.decision_types.filter(is_active=True).exists():
        names = ", ".join(forum.decision_types.filter(is_active=True).values_list("name", flat=True))
        raise ValidationError({"archived_at": f"Decision types are still bound to it: {names}."})
    return set_archived(forum, archived=archived)


@transaction.atomic
def meeting_exception_create(**fields) -> ForumMeetingException:
    row = ForumMeetingException(**fields)
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def meeting_exception_update(*, exception: ForumMeetingException, **fields) -> ForumMeetingException:
    for name, value in fields.items():
        setattr(exception, name, value)
    exception.full_clean()
    exception.save()
    return exception


@transaction.atomic
def meeting_exception_delete(*, exception: ForumMeetingException) -> None:
    """The meeting takes place as scheduled again (the history keeps the deletion). Decisions already
    queued keep their meeting; the next roll uses the schedule as it then is."""
    exception.delete()


# ---- the agenda ----

def next_meetings(forum_ids: Iterable[int], after: datetime) -> dict[int, datetime | None]:
    """``{forum id: its next meeting after after}`` for the forums not archived among ``forum_ids``
    (two queries for any number of forums)."""
    forums = (Forum.objects.active().select_related("org_unit").prefetch_related("exceptions")
              .in_bulk(set(forum_ids)))
    return {pk: next_meeting(f, after, list(f.exceptions.all())) for pk, f in forums.items()}


def open_items(decision_ids: Iterable[int]) -> set[int]:
    """The decisions among ``decision_ids`` already on an agenda."""
    return set(AgendaItem.objects.filter(decision_id__in=list(decision_ids), closed_at__isnull=True)
               .values_list("decision_id", flat=True))


def queued_message(forum: Forum, meeting_at: datetime, why: str) -> str:
    when = format_instant(meeting_at, zone(forum.org_unit.timezone))
    return f"{why}: on the agenda of {forum.name} for its meeting on {when}."


@transaction.atomic
def decision_flag_forum(*, decision: Decision, actor: User, note: str = "",
                        now: datetime | None = None) -> AgendaItem:
    """Queue ``decision`` on its type's forum's next agenda now ("needs the forum"); it stops
    climbing the hourly ladder. 403 unless ``actor`` may change it; 400 when its type has no forum
    or the forum no meeting ahead; 409 when closed or already queued."""
    now = now or timezone.now()
    note = bounded(note, "note", NOTE_MAX)
    decision = _locked(decision)
    if not can(actor, CHANGE, decision):
        raise NotAParticipant("Only the requester, the decider or an admin can send it to the forum.")
    _require_open(decision)
    forum = (Forum.objects.select_related("org_unit").filter(pk=decision.decision_type.forum_id,
                                                            archived_at__isnull=True).first())
    if forum is None:
        raise ValidationError({"forum": "Decisions of this type are not decided by a forum."})
    current = AgendaItem.objects.filter(decision=decision, closed_at__isnull=True).first()
    if current is not None:
        raise AlreadyQueued(f"Already on the agenda of {forum.name} for "
                            f"{format_instant(current.meeting_at, zone(forum.org_unit.timezone))}.")
    meeting_at = next_meeting(forum, now)
    if meeting_at is None:
        raise ValidationError({"forum": f"{forum.name} has no meeting scheduled."})
    item = AgendaItem.objects.create(forum=forum, decision=decision, reason=AgendaReason.FLAGGED, queued_at=now,
                                     queued_by=actor, meeting_at=meeting_at, passes_at=passes_at(forum, meeting_at))
    Decision.objects.filter(pk=decision.pk).update(warn_at=None, next_deadline_at=None)
    note = (note or "").strip()
    _event(decision, EventKind.FORUM_QUEUED, actor=actor, now=now,
           message=queued_message(forum, meeting_at, "Needs the forum") + (f" {note}" if note else ""),
           data={"forum": forum.pk, "forum_name": forum.name, "meeting_at": meeting_at.isoformat(),
                 "reason": AgendaReason.FLAGGED})
    others = [u for u in (decision.decider, decision.requested_by) if u is not None and u.pk != actor.pk]
    notify(recipients=others, kind="decision.forum_queued", title=f"Goes to {forum.name}: {decision.title}",
           body=queued_message(forum, meeting_at, "Needs the forum"), url=decision_url(decision),
           dedupe_key=f"decision:{decision.pk}:forum:{meeting_at.isoformat()}", now=now)
    return item


def close_agenda_item(decision: Decision, now: datetime) -> None:
    """A decided or withdrawn decision leaves the agenda (called by the workflow as it closes)."""
    AgendaItem.objects.filter(decision=decision, closed_at__isnull=True).update(closed_at=now)


def roll_agenda(*, now: datetime | None = None) -> int:
    """Move every open decision whose meeting has passed to its forum's next meeting (see the module
    docstring); items of decisions that closed meanwhile are closed. Safe to run twice at once: the
    decisions are locked ``SKIP LOCKED`` and each move is claimed on the item's ``passes_at``.
    Returns how many moved."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = set(Decision.objects.select_for_update(of=("self",), skip_locked=True)
                     .filter(agenda_items__closed_at__isnull=True, agenda_items__passes_at__lte=now)
                     .values_list("pk", flat=True))
        items = list(AgendaItem.objects.filter(decision_id__in=locked, closed_at__isnull=True, passes_at__lte=now)
                     .select_related("decision", "forum__org_unit"))
        closed = [i.pk for i in items if i.decision.status != DecisionStatus.OPEN]
        AgendaItem.objects.filter(pk__in=closed).update(closed_at=now)
        items = [i for i in items if i.decision.status == DecisionStatus.OPEN]
        ahead = next_meetings({i.forum_id for i in items}, now)
        plan = [(i, ahead[i.forum_id]) for i in items if ahead.get(i.forum_id) is not None]
        moved = _claim_rolls(plan, now)
        events = []
        for item, meeting_at in plan:
            if item.pk not in moved:
                continue
            events.append(DecisionEvent(
                decision=item.decision, kind=EventKind.FORUM_ROLLED, at=now, level=item.decision.escalation_level,
                round=item.decision.round,
                message=queued_message(item.forum, meeting_at, f"Still open after {item.forum.name} met"),
                data={"forum": item.forum_id, "forum_name": item.forum.name, "meeting_at": meeting_at.isoformat(),
                      "previous_meeting_at": item.meeting_at.isoformat()}))
        DecisionEvent.objects.bulk_create(events)
    return len(events)


def _claim_rolls(plan: list, now: datetime) -> set[int]:
    """``UPDATE agendaitem SET meeting_at, passes_at, rolls + 1 … WHERE passes_at`` is still the one
    read (the compare-and-set): the ids of the items this call moved."""
    if not plan:
        return set()
    field = AgendaItem._meta.get_field
    with_sql, params = rows_cte(
        [("id", AgendaItem._meta.pk), ("old", field("passes_at")), ("meeting", field("meeting_at")),
         ("passes", field("passes_at"))],
        [(i.pk, i.passes_at, m, passes_at(i.forum, m)) for i, m in plan])
    table = connection.ops.quote_name(AgendaItem._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"{with_sql} UPDATE {table} AS a SET meeting_at = v.meeting, passes_at = v.passes, "
                    "rolls = a.rolls + 1 FROM v WHERE a.id = v.id AND a.closed_at IS NULL "
                    "AND a.passes_at = v.old RETURNING a.id", params)
        return {pk for (pk,) in cur.fetchall()}


__all__ = ["AlreadyQueued", "close_agenda_item", "decision_flag_forum", "forum_create", "forum_set_archived",
           "forum_update", "meeting_exception_create", "meeting_exception_delete", "meeting_exception_update",
           "next_meetings", "open_items", "queued_message", "roll_agenda"]
