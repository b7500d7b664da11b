"""Pausing a decision while it waits on someone outside its workflow, and resuming it.

The decision type's ``PauseRule`` rows are the rules: the reasons it may be paused for, whom each
waits on (the partner, the requester, a function taking part, or any), who may pause (requester,
decider or either; admins always), whether the SLA clock stops (``decisions.clock``: off the
sweep while paused, every deadline moved by the paused clock time on resuming), the longest it may
last, and whether the party's answer (an input or agreement from its seat) resumes it.

A pause resumes by hand (whoever may pause, or the one who paused), when its party answers, when
its date passes (``resume_due_pauses``, run by beat beside the escalation sweep), or ends when the
decision closes. While it runs the decision's only stage is *paused*, attributed to its party
(``decisions.stages``). Every pause and resume is a timeline event; the pause rows keep history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from decisions.clock import paused_clock_fields, resumed_clock
from decisions.exceptions import DecisionConflict, NotAParticipant
from decisions.models import (
    Decision,
    DecisionParticipant,
    DecisionPause,
    EventKind,
    PartyKind,
    PauseParty,
    PauseRule,
    PauseWho,
    ResumedHow,
)
from decisions.services.common import _event, _locked, _require_open, decision_url
from decisions.services.stages import sync_stages
from decisions.stages import PARTNER_FUNCTION_CODES
from decisions.visibility import Visibility, notifiable
from governance.models import Role, User
from governance.notifications import notify
from governance.text import NOTE_MAX, bounded


class AlreadyPaused(DecisionConflict):
    code = "already_paused"


class NotPaused(DecisionConflict):
    code = "not_paused"


def running_pause(decision: Decision) -> DecisionPause | None:
    return (DecisionPause.objects.filter(decision=decision, resumed_at__isnull=True)
            .select_related("rule", "function", "org_unit", "partner", "paused_by").first())


def may_pause(decision: Decision, actor: User, rule: PauseRule) -> bool:
    if actor.is_admin:
        return True
    if actor.is_partner:
        return False
    requester, decider = actor.pk == decision.requested_by_id, actor.pk == decision.decider_id
    return {PauseWho.REQUESTER: requester, PauseWho.DECIDER: decider,
            PauseWho.EITHER: requester or decider}[rule.who_may_pause]


def pause_rules_for(decision: Decision, actor: User) -> list[PauseRule]:
    """The active reasons ``actor`` may pause ``decision`` for (the page's choices)."""
    return [r for r in PauseRule.objects.filter(decision_type_id=decision.decision_type_id, is_active=True)
            if may_pause(decision, actor, r)]


def _resolve_party(decision: Decision, rule: PauseRule, party: str) -> dict:
    """The pause's party fields from ``party`` (``partner``, ``requester`` or a function code of a
    seat on the decision); a rule bound to the partner or the requester implies it."""
    party = (party or "").strip()
    if not party and rule.party in (PauseParty.PARTNER, PauseParty.REQUESTER):
        party = rule.party
    allowed = rule.party
    if party == "partner":
        if allowed not in (PauseParty.PARTNER, PauseParty.ANY):
            raise ValidationError({"party": f"“{rule.label}” does not wait on the partner."})
        if decision.partnership_id is None:
            raise ValidationError({"party": "This decision has no partnership: there is no partner to wait on."})
        return {"party_kind": PartyKind.PARTNER, "partner_id": decision.partnership.partner_id}
    if party == "requester":
        if allowed not in (PauseParty.REQUESTER, PauseParty.ANY):
            raise ValidationError({"party": f"“{rule.label}” does not wait on the requester."})
        return {"party_kind": PartyKind.REQUESTER}
    if not party:
        raise ValidationError({"party": "Say whom it waits on: a function taking part, partner or requester."})
    if allowed not in (PauseParty.FUNCTION, PauseParty.ANY):
        raise ValidationError({"party": f"“{rule.label}” waits on the {rule.get_party_display().lower()}, "
                                        "not a function."})
    seat = (DecisionParticipant.objects.filter(decision=decision, function__code=party)
            .order_by("-level", "pk").values("function_id", "org_unit_id", "function__code", "user__role").first())
    if seat is None:
        raise ValidationError({"party": f"No function {party} takes part in this decision."})
    if seat["function__code"] in PARTNER_FUNCTION_CODES or seat["user__role"] == Role.PARTNER:
        return _resolve_party(decision, rule, "partner")
    return {"party_kind": PartyKind.FUNCTION, "function_id": seat["function_id"], "org_unit_id": seat["org_unit_id"]}


@transaction.atomic
def decision_pause(*, decision: Decision, actor: User, reason: str, party: str = "", note: str = "",
                   until: datetime | None = None, now: datetime | None = None) -> DecisionPause:
    """Pause ``decision`` for the type's reason ``reason`` (a ``PauseRule`` code), waiting on
    ``party``, until ``until`` at the latest (default and cap: the rule's ``max_hours``).

    400 for an unknown reason or party or a bad date; 403 when the rule does not let ``actor``
    pause; 409 when closed or already paused."""
    now = now or timezone.now()
    note = bounded(note, "note", NOTE_MAX)
    decision = _locked(decision)
    rule = PauseRule.objects.filter(decision_type_id=decision.decision_type_id, code=(reason or "").strip(),
                                    is_active=True).first()
    if rule is None:
        codes = sorted(PauseRule.objects.filter(decision_type_id=decision.decision_type_id, is_active=True)
                       .values_list("code", flat=True))
        raise ValidationError({"reason": f"Choose one of this decision type's reasons: {', '.join(codes)}."
                               if codes else "This decision type cannot be paused."})
    if not may_pause(decision, actor, rule):
        raise NotAParticipant(f"Only {rule.get_who_may_pause_display().lower()} (or an admin) can pause it for "
                              f"“{rule.label}”.")
    _require_open(decision)
    if DecisionPause.objects.filter(decision=decision, resumed_at__isnull=True).exists():
        raise AlreadyPaused("This decision is already paused; resume it first.")
    fields = _resolve_party(decision, rule, party)
    latest = now + timedelta(hours=rule.max_hours)
    if until is not None and until <= now:
        raise ValidationError({"until": "The date it resumes has to be in the future."})
    if until is not None and until > latest:
        raise ValidationError({"until": f"“{rule.label}” pauses for at most {rule.max_hours} hours."})
    pause = DecisionPause.objects.create(decision=decision, rule=rule, note=(note or "").strip(),
                                         stops_clock=rule.stops_clock, paused_by=actor, paused_at=now,
                                         resume_by=until or latest, **fields)
    if rule.stops_clock:
        Decision.objects.filter(pk=decision.pk).update(**paused_clock_fields())
    sync_stages([decision.pk], now)
    _event(decision, EventKind.PAUSED, actor=actor, now=now,
           message=f"{rule.label}" + (f": {pause.note}" if pause.note else "")
           + ("" if rule.stops_clock else " (the SLA clock keeps running)."),
           data={"reason": rule.code, "party": fields["party_kind"], "stops_clock": rule.stops_clock,
                 "resume_by": pause.resume_by.isoformat()},
           visibility=Visibility.SHARED if fields["party_kind"] == PartyKind.PARTNER else Visibility.INTERNAL)
    return pause


def _may_resume(decision: Decision, actor: User, pause: DecisionPause) -> bool:
    return actor.pk == pause.paused_by_id or may_pause(decision, actor, pause.rule)


@transaction.atomic
def decision_resume(*, decision: Decision, actor: User | None, how: str = ResumedHow.MANUAL,
                    now: datetime | None = None) -> DecisionPause:
    """End the running pause of ``decision`` (``how``: by hand, the party answered, its date passed,
    the decision closed). A clock-stopping pause moves the deadlines by the clock time it took.
    403 when ``actor`` may not resume it by hand; 409 when nothing is paused."""
    now = now or timezone.now()
    decision = _locked(decision)
    pause = running_pause(decision)
    if pause is None:
        raise NotPaused("This decision is not paused.")
    if how == ResumedHow.MANUAL and (actor is None or not _may_resume(decision, actor, pause)):
        raise NotAParticipant("Only whoever paused it, whoever may pause it, or an admin can resume it.")
    seconds = 0
    if pause.stops_clock:
        fields, seconds = resumed_clock(decision, paused_at=pause.paused_at, resumed_at=now)
        if not decision.is_open:
            fields = {}
        if fields:
            Decision.objects.filter(pk=decision.pk).update(**fields)
            for name, value in fields.items():
                setattr(decision, name, value)
    pause.resumed_at, pause.resumed_by, pause.resumed_how, pause.clock_seconds = now, actor, how, seconds
    pause.save(update_fields=["resumed_at", "resumed_by", "resumed_how", "clock_seconds"])  # history kept
    if how != ResumedHow.CLOSED:
        sync_stages([decision.pk], now)
        why = {ResumedHow.MANUAL: "", ResumedHow.ANSWER: " (the answer it waited for came)",
               ResumedHow.DATE: " (its date passed)"}[how]
        _event(decision, EventKind.RESUMED, actor=actor, now=now, message=f"Resumed{why}.",
               data={"reason": pause.rule.code, "how": how, "clock_seconds": seconds},
               visibility=Visibility.SHARED if pause.party_kind == PartyKind.PARTNER else Visibility.INTERNAL)
        if decision.decider is not None and (actor is None or actor.pk != decision.decider_id):
            notify(recipients=notifiable(decision, [decision.decider], shared_part=False), kind="decision.resumed",
                   title=f"Resumed: {decision.title}", body=f"No longer paused for “{pause.rule.label}”{why}.",
                   url=decision_url(decision), dedupe_key=f"decision:{decision.pk}:resumed:{now.isoformat()}",
                   now=now)
    return pause


def resume_on_answer(decision: Decision, rows: list[DecisionParticipant], now: datetime) -> None:
    """Called by input and agreement (in their transaction, the decision locked): resume the running
    pause when its rule says an answer resumes it and the answer came from its party."""
    pause = (DecisionPause.objects.filter(decision=decision, resumed_at__isnull=True, rule__resumes_on_answer=True)
             .select_related("rule").first())
    if pause is None:
        return
    for row in rows:
        partner_seat = row.function.code in PARTNER_FUNCTION_CODES or row.user.role == Role.PARTNER
        if ((pause.party_kind == PartyKind.PARTNER and partner_seat)
                or (pause.party_kind == PartyKind.FUNCTION and row.function_id == pause.function_id)):
            decision_resume(decision=decision, actor=row.user, how=ResumedHow.ANSWER, now=now)
            return


def end_pause_on_close(decision: Decision, now: datetime) -> None:
    """A decided or withdrawn decision is no longer paused (its pause ends, no event of its own)."""
    if DecisionPause.objects.filter(decision=decision, resumed_at__isnull=True).exists():
        decision_resume(decision=decision, actor=None, how=ResumedHow.CLOSED, now=now)


def resume_due_pauses(*, now: datetime | None = None) -> int:
    """Resume every pause whose date has passed (beat, beside the escalation sweep). Each in its own
    transaction, the decision row locked; a pause someone else resumed meanwhile is skipped. Safe to
    run twice at once. Returns how many it resumed."""
    now = now or timezone.now()
    due = list(DecisionPause.objects.filter(resumed_at__isnull=True, resume_by__lte=now)
               .order_by("resume_by", "pk").values_list("decision_id", flat=True))
    resumed = 0
    for decision_id in due:
        with transaction.atomic():
            locked = (Decision.objects.select_for_update(of=("self",), skip_locked=True)
                      .filter(pk=decision_id).first())
            if locked is None or not DecisionPause.objects.filter(decision_id=decision_id, resumed_at__isnull=True,
                                                                  resume_by__lte=now).exists():
                continue
            decision_resume(decision=locked, actor=None, how=ResumedHow.DATE, now=now)
            resumed += 1
    return resumed


__all__ = ["AlreadyPaused", "NotPaused", "decision_pause", "decision_resume", "end_pause_on_close",
           "may_pause", "pause_rules_for", "resume_due_pauses", "resume_on_answer", "running_pause"]
