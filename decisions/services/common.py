"""What every step on a decision shares (the workflow, pauses, forums, edits and nudges): the
locked re-read, the open check, the timeline entry and the decision's link. Below all of them, so
they import it rather than each other."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from decisions.exceptions import DecisionClosed
from decisions.models import Decision, DecisionEvent, DecisionStatus
from decisions.visibility import Visibility
from governance.models import User


def decision_url(decision: Decision) -> str:
    return reverse("decisions:detail", args=[decision.pk])


def _event(decision: Decision, kind: str, *, actor: User | None, now: datetime, message: str = "",
           data: dict | None = None, visibility: str = Visibility.INTERNAL) -> DecisionEvent:
    return DecisionEvent.objects.create(decision=decision, kind=kind, actor=actor, at=now, round=decision.round,
                                        level=decision.escalation_level, message=message, data=data or {},
                                        visibility=visibility)


# What the steps read of a decision's related rows (its SLA policy, unit, people, escalation path).
LOCKED_RELATED = ("decision_type", "org_unit", "decider", "decider_function", "deciding_unit", "requested_by")


def _locked(decision: Decision, related: tuple[str, ...] = LOCKED_RELATED) -> Decision:
    """Re-read the row under a lock so a concurrent sweep or second click sees our change; with
    ``related`` (a step that needs fewer of them names those: each join costs)."""
    return Decision.objects.select_for_update(of=("self",)).select_related(*related).get(pk=decision.pk)


def _require_open(decision: Decision) -> None:
    if decision.status != DecisionStatus.OPEN:
        raise DecisionClosed(f"This decision is {decision.get_status_display().lower()}; reopen it first.")
