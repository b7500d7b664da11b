"""The requester's changes to their decision.

* **Edit** (``decision_edit``): until the first answer of the current round — the first agreement,
  veto or input — the requester corrects the decision in place (an ``edited`` event records each
  field's before and after). After that, what the participants answered must stay what they saw.
* **Revise** (``decision_revise``): after a veto, the requester changes what the veto was about and
  starts a new round: every agreement (A) is asked for again, inputs stay, the timeline keeps both
  rounds (a ``revised`` event opens the new one). The SLA clock keeps running: a veto is part of the
  time to decision (issue 18 attributes waiting time to parties).

Changeable: title, description, options, KPIs, partnership, priority and the requested due date;
the decision type and org unit decide who takes part, so changing them means withdrawing and
logging anew. A new priority moves the SLA only before the first escalation.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from decisions.clock import next_deadline
from decisions.exceptions import DecisionConflict, NotAParticipant
from decisions.models import Decision, DecisionParticipant, EventKind, RapidRole
from decisions.services.common import _event, _locked, _require_open, decision_url
from decisions.services.stages import sync_stages
from decisions.services.workflow import _clean_options, check_request_fields, decision_level_clock, due_by_instant
from decisions.visibility import Visibility, notifiable, partner_takes_part
from governance.models import User
from governance.notifications import notify
from governance.text import NOTE_MAX, bounded, single_line

EDITABLE = ("title", "description", "options", "kpis", "partnership", "priority", "due_by")
ANSWERS = (EventKind.AGREED, EventKind.VETOED, EventKind.INPUT_GIVEN)


class EditsClosed(DecisionConflict):
    code = "edits_closed"


def first_answer(decision: Decision):
    """The first agreement, veto or input of the decision's current round (None: still editable)."""
    return (decision.events.filter(round=decision.round, kind__in=ANSWERS).select_related("actor")
            .order_by("at", "pk").first())


def _require_requester(decision: Decision, actor: User, what: str) -> None:
    if actor.pk != decision.requested_by_id:
        raise NotAParticipant(f"Only the requester can {what} a decision.")


def _display(name: str, value) -> object:
    """A field's value as the timeline's ``changes`` keep it (JSON)."""
    if name == "kpis":
        return sorted(k.code for k in value)
    if name == "partnership":
        return value.pk if value is not None else None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _apply(decision: Decision, actor: User, changes: dict, now: datetime) -> dict[str, list]:
    """Check and write ``changes`` (only ``EDITABLE`` fields); return ``{field: [before, after]}``
    of what actually changed. The row is locked by the caller."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: "This cannot be changed; withdraw and log a new decision instead."
                               for name in unknown})
    values = dict(changes)
    if "title" in values:
        values["title"] = single_line(values["title"])
    if "description" in values:
        values["description"] = values["description"] or ""
    if "options" in values:
        values["options"] = _clean_options(values["options"])
    if "kpis" in values:
        values["kpis"] = list(values["kpis"] or [])
    if "due_by" in values:
        values["due_by"] = due_by_instant(values["due_by"], decision.org_unit)
    errors = check_request_fields(
        actor=actor, now=now, title=values.get("title"), priority=values.get("priority"),
        partnership=values.get("partnership"), kpis=values.get("kpis"), due_by=values.get("due_by"))
    if errors:
        raise ValidationError(errors)

    before = {name: _display(name, list(decision.kpis.all()) if name == "kpis" else getattr(decision, name))
              for name in values}
    changed = {name: [before[name], _display(name, value)] for name, value in values.items()
               if before[name] != _display(name, value)}
    if not changed:
        return {}
    if "priority" in changed and decision.escalation_level > 0:
        raise EditsClosed("The priority cannot change once the decision has been escalated.")
    if "partnership" in changed and partner_takes_part(decision):
        raise ValidationError({"partnership": "The partner takes part in this decision: its partnership cannot "
                                              "change. Withdraw it and log a new one instead."})
    fields = {name: values[name] for name in changed if name != "kpis"}
    if "partnership" in changed and decision.visibility != Visibility.INTERNAL:
        # What was shared with one partner is never carried over to another (or to none): it
        # becomes internal again; the requester shares it anew if it should be.
        fields.update(visibility=Visibility.INTERNAL, options_visibility=Visibility.INTERNAL,
                      rationale_visibility=Visibility.INTERNAL)
        changed["visibility"] = [decision.visibility, Visibility.INTERNAL]
    if "priority" in changed or "due_by" in changed:
        fields.update(_new_clock(decision, priority=values.get("priority", decision.priority),
                                 due_by=values.get("due_by", decision.due_by)))
    if fields:
        Decision.objects.filter(pk=decision.pk).update(**fields)
    if "kpis" in changed:
        decision.kpis.set(values["kpis"])
    decision.refresh_from_db()
    return changed


def _new_clock(decision: Decision, *, priority: str, due_by: datetime | None) -> dict:
    """The first level's clock again for a new priority or requested date (same start). A warning
    already sent at this level is not sent again."""
    decision.priority, decision.due_by = priority, due_by
    clock = decision_level_clock(decision, start=decision.clock_started_at)
    fields = {"due_by": due_by}
    if decision.escalation_level == 0:
        fields.update(sla_due_at=clock.due_at, due_at=clock.due_at)
    due_at = fields.get("due_at", decision.due_at)
    if decision.warn_at is not None:  # not warned yet at this level (a warning sent is not sent again)
        fields["warn_at"] = min(clock.warn_at, due_at) if clock.warn_at else None
    fields["next_deadline_at"] = next_deadline(fields.get("warn_at"), due_at)
    return fields


@transaction.atomic
def decision_edit(*, decision: Decision, actor: User, changes: dict, now: datetime | None = None) -> Decision:
    """The requester changes their open decision before anyone answered in this round.

    403 unless the caller is the requester; 409 (``EditsClosed``) once someone agreed, vetoed or
    gave input; 400 for a bad value. Nothing changed, nothing written."""
    now = now or timezone.now()
    decision = _locked(decision)
    _require_requester(decision, actor, "edit")
    _require_open(decision)
    answered = first_answer(decision)
    if answered is not None:
        who = answered.actor.get_full_name() or answered.actor.username if answered.actor else "Someone"
        raise EditsClosed(f"{who} has already answered ({answered.get_kind_display().lower()}): the decision "
                          "can no longer be edited. After a veto, revise it; otherwise withdraw it.")
    changed = _apply(decision, actor, changes, now)
    if changed:
        _event(decision, EventKind.EDITED, actor=actor, now=now, data={"changes": changed},
               message="Changed: " + ", ".join(name.replace("_", " ") for name in changed) + ".")
    return decision


@transaction.atomic
def decision_revise(*, decision: Decision, actor: User, changes: dict, comment: str = "",
                    now: datetime | None = None) -> Decision:
    """After a veto, the requester revises the decision: ``changes`` (as ``decision_edit``) and/or a
    ``comment`` saying how the veto is addressed; a new round starts in which every agreement is
    asked for again. Before anyone answered, a revision is simply an edit (same round).

    403 unless the requester; 409 when it is neither vetoed nor still editable; 400 when the
    revision changes nothing and says nothing."""
    now = now or timezone.now()
    comment = bounded(comment, "comment", NOTE_MAX)
    decision = _locked(decision)
    _require_requester(decision, actor, "revise")
    _require_open(decision)
    if not decision.blocked:
        if first_answer(decision) is None:
            return decision_edit(decision=decision, actor=actor, changes=changes, now=now)
        raise EditsClosed("Only a vetoed decision is revised (a new round); this one has no veto.")
    vetoes = list(DecisionParticipant.objects.filter(decision=decision, role=RapidRole.AGREE, agreed=False)
                  .select_related("user", "function"))
    changed = _apply(decision, actor, changes, now)
    comment = (comment or "").strip()
    if not changed and not comment:
        raise ValidationError({"comment": "Say how the revision addresses the veto, or change something."})
    previous = decision.round
    Decision.objects.filter(pk=decision.pk).update(round=previous + 1, blocked=False)
    decision.participants.filter(role=RapidRole.AGREE).update(agreed=None, agreed_at=None, comment="")
    decision.refresh_from_db()
    _event(decision, EventKind.REVISED, actor=actor, now=now, message=comment, data={
        "changes": changed, "previous_round": previous,
        "vetoes": [{"user": p.user.username, "function": p.function.code, "comment": p.comment} for p in vetoes]})
    sync_stages([decision.pk], now)
    agree = {p.user for p in decision.participants.filter(role=RapidRole.AGREE).select_related("user")}
    notify(recipients=notifiable(decision, [*agree, decision.decider], shared_part=False), kind="decision.revised",
           title=f"Revised after a veto — please answer again: {decision.title}", body=comment,
           url=decision_url(decision), dedupe_key=f"decision:{decision.pk}:revised:{decision.round}", now=now)
    return decision
