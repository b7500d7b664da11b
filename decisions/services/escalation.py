"""The overdue sweep: pre-breach warnings at 75% of a level's SLA and escalation one org level up.

Exactly once per level: each step claims the row with a compare-and-set ``UPDATE … WHERE id=…
AND escalation_level=k AND status='open'`` and only a one-row update writes the ``Escalation``
(unique on decision, level), the event and the notifications — in one transaction.

Catch-up after downtime (our choice): the clock of level k+1 starts when level k's deadline
passed, not when the sweep happened to run. So the schedule never depends on sweep timing, and
one sweep after an outage performs every escalation that fell due meanwhile (one claimed step
per level, each with its own row, event and notifications); a level whose deadline has not
passed yet is left alone.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from decisions.models import (
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionStatus,
    Escalation,
    EventKind,
    RapidRole,
)
from decisions.services.workflow import decision_clock, decision_url
from governance.models import Assignment, OrgUnit, User
from governance.notifications import notify

MAX_STEPS_PER_DECISION = 10  # four levels, their warnings and the "nowhere higher" mark fit easily


def escalate_overdue(*, now: datetime | None = None, batch_size: int = 500) -> dict:
    """Run one sweep at ``now``. Returns counts: ``escalated``, ``warned``, ``exhausted``.

    Reads the partial index on ``next_deadline_at`` (open decisions only). Safe to run twice at
    once: concurrent claims of the same row serialise on its lock and the loser updates 0 rows.
    """
    now = now or timezone.now()
    counts: Counter = Counter()
    due_ids = list(Decision.objects.filter(status=DecisionStatus.OPEN, next_deadline_at__isnull=False,
                                           next_deadline_at__lte=now)
                   .order_by("next_deadline_at").values_list("pk", flat=True)[:batch_size])
    for pk in due_ids:
        for _ in range(MAX_STEPS_PER_DECISION):
            step = decision_escalate_step(decision_id=pk, now=now)
            if step is None:
                break
            counts[step] += 1
    return {"escalated": counts["escalated"], "warned": counts["warned"], "exhausted": counts["exhausted"]}


@transaction.atomic
def decision_escalate_step(*, decision_id: int, now: datetime) -> str | None:
    """One claimed step for one decision: ``"escalated"``, ``"warned"``, ``"exhausted"`` or None."""
    decision = (Decision.objects.select_related("decision_type", "org_unit", "deciding_unit", "decider",
                                                "decider_function", "requested_by")
                .filter(pk=decision_id, status=DecisionStatus.OPEN).first())
    if decision is None or decision.next_deadline_at is None or decision.next_deadline_at > now:
        return None
    if decision.due_at <= now:
        return _escalate(decision, now)
    claimed = Decision.objects.filter(
        pk=decision.pk, status=DecisionStatus.OPEN, escalation_level=decision.escalation_level,
        warn_at__isnull=False, warn_at__lte=now,
    ).update(warn_at=None, next_deadline_at=decision.due_at)
    if not claimed:
        return None
    notify(recipients=[decision.decider], kind="decision.due_soon", title=f"Due soon: {decision.title}",
           body=f"75% of the time to decide has passed; due {decision.due_at:%d %b %Y %H:%M} UTC.",
           url=decision_url(decision),
           dedupe_key=f"decision:{decision.pk}:warn:{decision.escalation_level}:{decision.clock_started_at.isoformat()}",
           now=now)
    return "warned"


def _next_holder(decision: Decision) -> Assignment | None:
    """The nearest holder of the decider's function above the current deciding unit."""
    ancestors = OrgUnit.objects.ancestors_of(decision.deciding_unit, include_self=False)
    depth = {u.pk: i for i, u in enumerate(ancestors)}
    holders = (Assignment.objects.filter(org_unit__in=list(depth), function=decision.decider_function,
                                         user__is_active=True).select_related("user", "org_unit").order_by("pk"))
    return min(holders, key=lambda a: depth[a.org_unit_id], default=None)


def _escalate(decision: Decision, now: datetime) -> str | None:
    k = decision.escalation_level
    target = _next_holder(decision) if decision.decision_type.escalation_enabled else None
    url = decision_url(decision)
    if target is None:
        claimed = Decision.objects.filter(
            pk=decision.pk, status=DecisionStatus.OPEN, escalation_level=k, escalation_exhausted=False,
        ).update(escalation_exhausted=True, warn_at=None, next_deadline_at=None)
        if not claimed:
            return None
        where = decision.deciding_unit.name
        DecisionEvent.objects.create(
            decision=decision, kind=EventKind.ESCALATED, at=now, level=k, data={"exhausted": True},
            message=f"Overdue at {where} and there is nowhere higher to escalate: admins notified.")
        admins = User.objects.filter(Q(role="admin") | Q(is_superuser=True), is_active=True)
        notify(recipients=[*admins, decision.decider, decision.requested_by], kind="decision.overdue_top",
               title=f"Overdue with nowhere higher to go: {decision.title}",
               body=f"Overdue at {where} ({decision.decider_function.name}).", url=url,
               dedupe_key=f"decision:{decision.pk}:exhausted:{decision.clock_started_at.isoformat()}", now=now)
        return "exhausted"

    anchor = decision.due_at  # the new level's clock starts when the old one ran out (see module doc)
    due_at, warn_at = decision_clock(decision_type=decision.decision_type, priority=decision.priority,
                                     start=anchor, org_unit=decision.org_unit)
    claimed = Decision.objects.filter(pk=decision.pk, status=DecisionStatus.OPEN, escalation_level=k).update(
        escalation_level=k + 1, decider=target.user, deciding_unit=target.org_unit, clock_started_at=anchor,
        due_at=due_at, warn_at=warn_at, next_deadline_at=min(due_at, warn_at))
    if not claimed:
        return None
    Escalation.objects.create(
        decision=decision, level=k + 1, function=decision.decider_function, from_unit=decision.deciding_unit,
        to_unit=target.org_unit, from_user=decision.decider, to_user=target.user, missed_deadline=anchor, at=now)
    DecisionParticipant.objects.get_or_create(
        decision=decision, user=target.user, function=decision.decider_function, role=RapidRole.DECIDE,
        level=k + 1, defaults={"org_unit": target.org_unit})
    who = target.user.get_full_name() or target.user.username
    DecisionEvent.objects.create(
        decision=decision, kind=EventKind.ESCALATED, at=now, level=k + 1,
        message=f"Not decided at {decision.deciding_unit.name} in time: escalated to {who} "
                f"({decision.decider_function.name}, {target.org_unit.name}).",
        data={"from_unit": decision.deciding_unit.code, "to_unit": target.org_unit.code,
              "to_user": target.user.username, "missed_deadline": anchor.isoformat()})
    key = f"decision:{decision.pk}:escalated:{k + 1}:{decision.clock_started_at.isoformat()}"
    notify(recipients=[target.user], kind="decision.escalated", title=f"Escalated to you: {decision.title}",
           body=f"Not decided at {decision.deciding_unit.name} in time. You now decide; due {due_at:%d %b %H:%M} UTC.",
           url=url, dedupe_key=key, now=now)
    notify(recipients=[decision.requested_by], kind="decision.escalated",
           title=f"Your decision was escalated to {target.org_unit.name}: {decision.title}", url=url,
           dedupe_key=key, now=now)
    return "escalated"
