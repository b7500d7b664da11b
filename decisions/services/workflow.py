"""The decision workflow: open → decided or withdrawn (and reopened), every step an event.

Rounds: a decision starts in round 1. Revising it after a veto (``services.edits``) or reopening it
starts the next round: the agreements (A) are asked for again; the timeline keeps every round's
events (``DecisionEvent.round``). An open decision vetoed in its current round is *blocked*
(``Decision.blocked``): it waits on its requester to revise or withdraw it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from decisions.clock import Clock, level_clock
from decisions.exceptions import AgreementMissing, DecisionClosed, NotAParticipant, NotTheDecider
from decisions.models import (
    Decision,
    DecisionParticipant,
    DecisionStatus,
    DecisionType,
    EventKind,
    Priority,
    RapidRole,
)
from decisions.routing import resolve
from decisions.services.common import _event, _locked, _require_open, decision_url
from decisions.services.forums import close_agenda_item
from decisions.services.pauses import end_pause_on_close, resume_on_answer
from decisions.services.stages import sync_stages
from decisions.visibility import (
    Visibility,
    clean_visibility,
    notifiable,
    partner_answer_visibility,
    partner_takes_part,
    people_labels,
    person_label,
)
from governance.models import Assignment, OrgUnit, User
from governance.notifications import Notice, notify, notify_many
from governance.querysets import CHANGE, LOG, VIEW, can
from governance.text import COMMENT_MAX, NOTE_MAX, bounded, single_line
from governance.timezones import format_instant, user_zone, zone
from kpis.models import KPI


def _clean_options(options) -> list[dict]:
    if options in (None, ""):
        return []
    if not isinstance(options, list):
        raise ValidationError({"options": "Give a list of {option, pros, cons}."})
    cleaned = []
    for i, item in enumerate(options):
        if not isinstance(item, dict) or not str(item.get("option", "")).strip():
            raise ValidationError({"options": f"Option {i + 1} needs an 'option' text."})
        cleaned.append({k: str(item.get(k, "")).strip()[:2000] for k in ("option", "pros", "cons")})
    return cleaned


def due_by_instant(value: date | datetime | None, org_unit: OrgUnit) -> datetime | None:
    """A requested due date as an instant: a date means the end of that day (23:59) in the org
    unit's time zone (a tender deadline in Germany ends on Berlin's clock); a datetime is taken as is."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(23, 59), tzinfo=zone(org_unit.timezone))


def check_request_fields(*, actor: User, now: datetime, title=None, priority=None, partnership=None, kpis=None,
                         due_by: datetime | None = None) -> dict[str, str]:
    """What the requester may give on logging or editing a decision, checked against their scope:
    ``{field: message}`` for each problem. Only the fields passed (not None) are checked."""
    errors = {}
    if title is not None and not title.strip():
        errors["title"] = "Give the decision a title."
    if priority is not None and priority not in Priority.values:
        errors["priority"] = f"Choose one of {', '.join(Priority.values)}."
    if partnership is not None and not can(actor, LOG, partnership):  # a read-only share is not enough
        errors["partnership"] = "Unknown partnership."
    if kpis:
        visible = set(KPI.objects.restrict(actor, VIEW).filter(pk__in=[k.pk for k in kpis])
                      .values_list("pk", flat=True))
        unknown = [k.code for k in kpis if k.pk not in visible]
        if unknown:
            errors["kpis"] = f"Unknown KPI(s): {', '.join(unknown)}."
    if due_by is not None and due_by <= now:
        errors["due_by"] = "The requested due date has to be in the future."
    return errors


def decision_level_clock(decision: Decision, *, start: datetime, priority: str | None = None) -> Clock:
    """``level_clock`` for ``decision`` (its type, org unit, request and requested date)."""
    return level_clock(decision_type=decision.decision_type, priority=priority or decision.priority,
                       org_unit=decision.org_unit, start=start, requested_at=decision.requested_at,
                       due_by=decision.due_by)


@transaction.atomic
def decision_log(
    *,
    actor: User,
    decision_type: DecisionType,
    org_unit: OrgUnit,
    title: str,
    priority: str = Priority.NORMAL,
    description: str = "",
    options: list | None = None,
    partnership=None,
    kpis=(),
    due_by: date | datetime | None = None,
    visibility: str = Visibility.INTERNAL,
    options_visibility: str = Visibility.INTERNAL,
    review=None,
    now: datetime | None = None,
) -> Decision:
    """Log a decision: resolve participants from the matrix in force, start the SLA clock (warning
    earlier when ``due_by``, the requested date, calls for it), snapshot the participants and tell
    them. Raises ValidationError when nobody could decide.

    ``visibility``: whether the partner of ``partnership`` sees the decision (internal by default);
    ``options_visibility``: whether they also see the options and trade-off; ``review``: the business
    review it was taken in (one the actor may change; the decision takes its partnership)."""
    now = now or timezone.now()
    kpis = list(kpis)
    review_errors = {}
    if review is not None:
        if not can(actor, CHANGE, review):
            review_errors["review"] = "Unknown business review."
        elif partnership is None:
            partnership = review.partnership
        elif partnership.pk != review.partnership_id:
            review_errors["partnership"] = "A decision taken in a review belongs to the review's partnership."
    due_by = due_by_instant(due_by, org_unit)
    errors = check_request_fields(actor=actor, now=now, title=title or "", priority=priority,
                                  partnership=partnership, kpis=kpis, due_by=due_by)
    _check_sharing(errors, partnership=partnership, visibility=visibility, options_visibility=options_visibility)
    errors.update(review_errors)
    if not decision_type.is_active:
        errors["decision_type"] = "This decision type is no longer in use."
    if not can(actor, LOG, org_unit):
        errors["org_unit"] = "You can log decisions only for org units in your scope."
    if errors:
        raise ValidationError(errors)
    clean_options = _clean_options(options)
    routing = resolve(decision_type=decision_type, org_unit=org_unit, at=now, partnership=partnership)
    if routing.partner_takes_part:  # a joint decision: the partner must see what it answers to
        visibility = Visibility.SHARED
    decider = routing.decider
    clock = level_clock(decision_type=decision_type, priority=priority, org_unit=org_unit, start=now,
                        requested_at=now, due_by=due_by)
    decision = Decision.objects.create(
        title=single_line(title), description=description, decision_type=decision_type, org_unit=org_unit,
        partnership=partnership, priority=priority, options=clean_options, matrix_version=routing.version,
        requested_by=actor, requested_at=now, decider=decider.user, decider_function=decider.function,
        deciding_unit=routing.deciding_unit, sla_due_at=clock.due_at, due_by=due_by, visibility=visibility,
        options_visibility=options_visibility, review=review, **clock.as_fields(),
    )
    if kpis:
        decision.kpis.set(kpis)
    DecisionParticipant.objects.bulk_create([
        DecisionParticipant(decision=decision, user=s.user, function=s.function, org_unit=s.org_unit, role=s.role,
                            visibility=partner_answer_visibility(s.user, Visibility.INTERNAL))
        for s in routing.seats if s.user is not None
    ], ignore_conflicts=True)
    sync_stages([decision.pk], now, new=True, decision_types=[decision_type])
    _event(decision, EventKind.LOGGED, actor=actor, now=now, message=description[:500], data={
        "matrix_version": routing.version.number, "deciding_unit": routing.deciding_unit.code,
        **({"due_by": due_by.isoformat()} if due_by else {}),
        **({"review": review.pk} if review is not None else {}),
        "participants": [{"user": s.user.username, "function": s.function.code, "role": s.role}
                         for s in routing.seats if s.user is not None],
    }, visibility=visibility)
    url = decision_url(decision)
    key = f"decision:{decision.pk}:logged"
    # One statement for the three messages (one key: a person asked twice hears the first only).
    notify_many([
        Notice(recipients=tuple(notifiable(decision, [decider.user], shared_part=False)), kind="decision.decide",
               title=f"Decision for you: {decision.title}", url=url, dedupe_key=key,
               body=lambda user: (f"You decide this ({decider.function.name}, {routing.deciding_unit.name}). "
                                  f"Due {format_instant(clock.due_at, user_zone(user), 'short')}."
                                  + (f" Requested by {format_instant(due_by, user_zone(user), 'short')}."
                                     if due_by else ""))),
        # A partner asked to agree or give input hears of it only when the decision is shared with them.
        Notice(recipients=tuple(notifiable(decision, [s.user for s in routing.by_role(RapidRole.AGREE)],
                                           shared_part=True)),
               kind="decision.agree", title=f"Your agreement is needed: {decision.title}", url=url, dedupe_key=key),
        Notice(recipients=tuple(notifiable(decision, [s.user for s in routing.seats if s.role in ("I", "R")],
                                           shared_part=True)),
               kind="decision.input", title=f"Your input is requested: {decision.title}", url=url, dedupe_key=key),
    ], now=now)
    return decision


def _check_sharing(errors: dict, *, partnership, visibility: str, options_visibility: str) -> None:
    for field, value in (("visibility", visibility), ("options_visibility", options_visibility)):
        if value not in Visibility.values:
            errors[field] = f"Choose {' or '.join(Visibility.values)}."
    if "visibility" in errors or "options_visibility" in errors:
        return
    if visibility == Visibility.SHARED and partnership is None:
        errors["visibility"] = "Only a decision tagged with a partnership can be shared with the partner."
    if options_visibility == Visibility.SHARED and visibility != Visibility.SHARED:
        errors["options_visibility"] = "Share the decision itself to share its options."


# An answer (input, agreement, veto) reads of the related rows only whom a veto tells.
ANSWER_RELATED = ("decider", "requested_by")


def _my_rows(decision: Decision, actor: User, roles: tuple[str, ...]) -> list[DecisionParticipant]:
    """The actor's seats of ``roles`` in ``decision``, locked, with their function and user (events
    and pauses read both)."""
    return list(DecisionParticipant.objects.select_for_update(of=("self",)).select_related("function", "user")
                .filter(decision=decision, user=actor, role__in=roles))


@transaction.atomic
def decision_give_input(*, decision: Decision, actor: User, comment: str, visibility: str = Visibility.INTERNAL,
                        now: datetime | None = None) -> Decision:
    """Record input from a participant asked for it (I) or recommending (R); ``visibility``:
    whether the partner sees it (internal by default)."""
    now = now or timezone.now()
    comment = bounded(comment, "comment", COMMENT_MAX)
    visibility = partner_answer_visibility(actor, clean_visibility(visibility, "visibility"))
    decision = _locked(decision, related=ANSWER_RELATED)
    _require_open(decision)
    rows = _my_rows(decision, actor, (RapidRole.INPUT, RapidRole.RECOMMEND))
    if not rows:
        raise NotAParticipant("Only participants asked for input (I) or a recommendation (R) can give input.")
    if not comment or not comment.strip():
        raise ValidationError({"comment": "Write your input."})
    DecisionParticipant.objects.filter(pk__in=[r.pk for r in rows]).update(
        input_at=now, input_text=comment.strip(), visibility=visibility)
    _event(decision, EventKind.INPUT_GIVEN, actor=actor, now=now, message=comment.strip(),
           data={"functions": sorted({r.function.code for r in rows})}, visibility=visibility)
    resume_on_answer(decision, rows, now)
    sync_stages([decision.pk], now)
    return decision


@transaction.atomic
def decision_agree(*, decision: Decision, actor: User, agree: bool, comment: str = "",
                   visibility: str = Visibility.INTERNAL, now: datetime | None = None) -> Decision:
    """Agree (``agree=True``) or veto (``False``) as a participant whose role is A. The latest answer
    counts; ``visibility``: whether the partner sees it (internal by default)."""
    now = now or timezone.now()
    comment = bounded(comment, "comment", COMMENT_MAX)
    visibility = partner_answer_visibility(actor, clean_visibility(visibility, "visibility"))
    decision = _locked(decision, related=ANSWER_RELATED)
    _require_open(decision)
    rows = _my_rows(decision, actor, (RapidRole.AGREE,))
    if not rows:
        raise NotAParticipant("Only participants whose role is Agree (A) can agree or veto.")
    if not agree and not (comment or "").strip():
        raise ValidationError({"comment": "Say why you veto, so the decider can address it."})
    if all(r.agreed is bool(agree) and r.comment == (comment or "").strip() for r in rows):
        return decision  # the same answer again (a double click, a retried request): nothing new to record
    DecisionParticipant.objects.filter(pk__in=[r.pk for r in rows]).update(
        agreed=bool(agree), agreed_at=now, comment=(comment or "").strip(), visibility=visibility)
    kind = EventKind.AGREED if agree else EventKind.VETOED
    _event(decision, kind, actor=actor, now=now, message=(comment or "").strip(),
           data={"functions": sorted({r.function.code for r in rows})}, visibility=visibility)
    _refresh_blocked(decision, agreed=bool(agree))
    if agree:
        resume_on_answer(decision, rows, now)
    sync_stages([decision.pk], now)
    if not agree:  # names the vetoing person: internal readers only
        notify(recipients=notifiable(decision, [decision.decider, decision.requested_by], shared_part=False),
               kind="decision.vetoed",
               title=f"Vetoed by {actor.get_full_name() or actor.username}: {decision.title}",
               body=f"{comment}\n\nThe requester can revise the decision (a new round) or withdraw it.",
               url=decision_url(decision), dedupe_key=f"decision:{decision.pk}:veto:{actor.pk}:{now.isoformat()}",
               now=now)
    return decision


def _refresh_blocked(decision: Decision, *, agreed: bool = False) -> None:
    """Blocked while any agreement of the current round is a veto (the latest answer counts).
    ``agreed``: the change was an agreement, which cannot block an unblocked decision (no query)."""
    if agreed and not decision.blocked:
        return
    blocked = decision.participants.filter(role=RapidRole.AGREE, agreed=False).exists()
    if blocked != decision.blocked:
        Decision.objects.filter(pk=decision.pk).update(blocked=blocked)
        decision.blocked = blocked


def agreement_blockers(decision: Decision, viewer: User | None = None,
                       participants: list[DecisionParticipant] | None = None) -> list[str]:
    """Why the decision cannot be decided yet: each A function still missing or vetoed (with the
    people's names where ``viewer`` may see them). ``participants``: the decision's, with user and
    function, when the caller has read them already."""
    by_function: dict[str, list[DecisionParticipant]] = {}
    # All participants (the page prefetches them with user and function), the A rows picked here.
    for p in decision.participants.all() if participants is None else participants:
        if p.role == RapidRole.AGREE:
            by_function.setdefault(p.function.name, []).append(p)
    blockers = []
    for function, rows in sorted(by_function.items()):
        vetoes = [p for p in rows if p.agreed is False]
        if vetoes:
            blockers.append(f"{function} vetoed{_names(viewer, vetoes)}")
        elif not any(p.agreed for p in rows):
            blockers.append(f"{function} has not agreed yet{_names(viewer, rows)}")
    return blockers


def _names(viewer: User | None, rows: list[DecisionParticipant]) -> str:
    names = people_labels(viewer, [p.user for p in rows]) if viewer is not None else []
    return f" ({', '.join(names)})" if names else ""


@transaction.atomic
def decision_decide(*, decision: Decision, actor: User, outcome: str, rationale: str = "",
                    rationale_visibility: str = Visibility.INTERNAL, now: datetime | None = None) -> Decision:
    """Decide. 409 (``NotTheDecider``/``AgreementMissing``) unless the caller is the current
    decider and every required agreement (A) is given and not vetoed. The outcome is shared with
    the partner when the decision is; ``rationale_visibility`` decides about the rationale."""
    now = now or timezone.now()
    outcome = bounded(outcome, "outcome", COMMENT_MAX)
    rationale = bounded(rationale, "rationale", COMMENT_MAX)
    clean_visibility(rationale_visibility, "rationale_visibility")
    decision = _locked(decision)
    _require_open(decision)
    if decision.decider_id != actor.pk:
        # Who decides is named only to someone who may see them (never to a partner user).
        if actor.is_partner:
            raise NotTheDecider("Only the current decider can decide.")
        who = person_label(actor, decision.decider, "someone you cannot see") if decision.decider else "nobody"
        raise NotTheDecider(f"Only the current decider can decide: {who} "
                            f"({decision.decider_function.name}, {decision.deciding_unit.name}).")
    participants = list(decision.participants.select_related("user", "function"))
    blockers = agreement_blockers(decision, viewer=actor, participants=participants)
    if blockers:
        raise AgreementMissing("Cannot decide yet: " + "; ".join(blockers) + ".")
    if not outcome or not outcome.strip():
        raise ValidationError({"outcome": "State the outcome."})
    _update(decision, status=DecisionStatus.DECIDED, decided_by=actor, decided_at=now, outcome=outcome.strip(),
            rationale=(rationale or "").strip(), rationale_visibility=rationale_visibility, warn_at=None,
            next_deadline_at=None)
    _event(decision, EventKind.DECIDED, actor=actor, now=now, message=outcome.strip(),
           data={"outcome": outcome.strip(), "rationale": (rationale or "").strip()},
           visibility=decision.visibility)
    end_pause_on_close(decision, now)
    close_agenda_item(decision, now)
    sync_stages([decision.pk], now)
    people = {p.user for p in participants} | {decision.requested_by}
    notify(recipients=notifiable(decision, [u for u in people if u.pk != actor.pk], shared_part=True),
           kind="decision.decided",
           title=f"Decided: {decision.title}", body=outcome.strip(), url=decision_url(decision),
           dedupe_key=f"decision:{decision.pk}:decided:{now.isoformat()}", now=now)
    return decision


def _update(decision: Decision, **fields) -> None:
    """Write ``fields`` to the (locked) decision's row and to ``decision`` itself: the instance
    stays what a re-read would give, without the re-read."""
    Decision.objects.filter(pk=decision.pk).update(**fields)
    for name, value in fields.items():
        setattr(decision, name, value)


def _may_manage(decision: Decision, actor: User) -> bool:
    """Requester, current decider or admin (``Decision`` ``"change"``)."""
    return can(actor, CHANGE, decision)


@transaction.atomic
def decision_set_visibility(*, decision: Decision, actor: User, visibility: str | None = None,
                            options_visibility: str | None = None, rationale_visibility: str | None = None,
                            now: datetime | None = None) -> Decision:
    """Share a decision (or parts of it) with the partner of its partnership, or take it back
    (requester, current decider or admin). Answers keep their authors' choices; the change is an
    internal timeline entry."""
    now = now or timezone.now()
    decision = _locked(decision)
    if not _may_manage(decision, actor):
        raise NotAParticipant("Only the requester, the current decider or an admin can change what is shared.")
    before = {f: getattr(decision, f) for f in ("visibility", "options_visibility", "rationale_visibility")}
    after = {**before, **{f: v for f, v in (("visibility", visibility), ("options_visibility", options_visibility),
                                            ("rationale_visibility", rationale_visibility)) if v is not None}}
    if after["visibility"] == Visibility.INTERNAL:  # nothing of an internal decision is shared
        after["options_visibility"] = after["rationale_visibility"] = Visibility.INTERNAL
    errors: dict = {}
    if after["visibility"] == Visibility.INTERNAL and partner_takes_part(decision):
        errors["visibility"] = "The partner takes part in this decision: it stays shared with them."
    _check_sharing(errors, partnership=decision.partnership, visibility=after["visibility"],
                   options_visibility=after["options_visibility"])
    if after["rationale_visibility"] not in Visibility.values:
        errors["rationale_visibility"] = f"Choose {' or '.join(Visibility.values)}."
    if errors:
        raise ValidationError(errors)
    if after == before:
        return decision
    Decision.objects.filter(pk=decision.pk).update(**after)
    decision.refresh_from_db()
    _event(decision, EventKind.VISIBILITY, actor=actor, now=now, data={"before": before, "after": after})
    return decision


@transaction.atomic
def decision_withdraw(*, decision: Decision, actor: User, reason: str = "", now: datetime | None = None) -> Decision:
    """Withdraw an open decision (requester, current decider or admin), with a reason everyone
    involved is told."""
    now = now or timezone.now()
    reason = bounded(reason, "reason", NOTE_MAX)
    decision = _locked(decision)
    if not _may_manage(decision, actor):
        raise NotAParticipant("Only the requester, the current decider or an admin can withdraw a decision.")
    _require_open(decision)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the decision is withdrawn."})
    _update(decision, status=DecisionStatus.WITHDRAWN, warn_at=None, next_deadline_at=None)
    _event(decision, EventKind.WITHDRAWN, actor=actor, now=now, message=reason.strip())
    end_pause_on_close(decision, now)
    close_agenda_item(decision, now)
    sync_stages([decision.pk], now)
    people = {p.user for p in decision.participants.select_related("user")} | {decision.requested_by}
    notify(recipients=notifiable(decision, [u for u in people if u.pk != actor.pk], shared_part=False),
           kind="decision.withdrawn",
           title=f"Withdrawn: {decision.title}", body=reason.strip(), url=decision_url(decision),
           dedupe_key=f"decision:{decision.pk}:withdrawn:{now.isoformat()}", now=now)
    return decision


@transaction.atomic
def decision_reopen(*, decision: Decision, actor: User, reason: str = "", now: datetime | None = None) -> Decision:
    """Reopen a decided or withdrawn decision: an event, not an edit. The earlier outcome stays in
    the timeline; a new round starts (agreements must be given again); the current level's clock
    restarts now."""
    now = now or timezone.now()
    reason = bounded(reason, "reason", NOTE_MAX)
    decision = _locked(decision)
    if not _may_manage(decision, actor):
        raise NotAParticipant("Only the requester, the current decider or an admin can reopen a decision.")
    if decision.status == DecisionStatus.OPEN:
        raise DecisionClosed("This decision is already open.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the decision is reopened."})
    clock = decision_level_clock(decision, start=now)
    Decision.objects.filter(pk=decision.pk).update(
        status=DecisionStatus.OPEN, decided_by=None, decided_at=None, outcome="", rationale="",
        escalation_exhausted=False, blocked=False, round=decision.round + 1, **clock.as_fields())
    decision.participants.filter(role=RapidRole.AGREE).update(agreed=None, agreed_at=None, comment="")
    decision.refresh_from_db()
    _event(decision, EventKind.REOPENED, actor=actor, now=now, message=reason.strip())
    sync_stages([decision.pk], now)
    notify(recipients=notifiable(decision, [decision.decider], shared_part=False), kind="decision.reopened",
           title=f"Reopened: {decision.title}",
           body=reason.strip(), url=decision_url(decision),
           dedupe_key=f"decision:{decision.pk}:reopened:{now.isoformat()}", now=now)
    return decision


@transaction.atomic
def decision_reassign(*, decision: Decision, actor: User, to_user: User, reason: str = "",
                      now: datetime | None = None) -> Decision:
    """Hand the decision to another holder of the decider's function at the deciding unit (a deputy,
    a new post holder). Current decider or admin; the clock keeps running."""
    now = now or timezone.now()
    reason = bounded(reason, "reason", NOTE_MAX)
    decision = _locked(decision)
    _require_open(decision)
    if not (actor.is_admin or actor.pk == decision.decider_id):
        raise NotAParticipant("Only the current decider or an admin can reassign a decision.")
    if not Assignment.objects.filter(user=to_user, function=decision.decider_function,
                                     org_unit=decision.deciding_unit, user__is_active=True).exists():
        raise ValidationError({"user": f"{to_user.username} does not hold {decision.decider_function.name} "
                                       f"at {decision.deciding_unit.name}."})
    if to_user.pk == decision.decider_id:
        raise DecisionClosed("This person already decides it.")
    previous = decision.decider
    Decision.objects.filter(pk=decision.pk).update(decider=to_user)
    DecisionParticipant.objects.get_or_create(
        decision=decision, user=to_user, function=decision.decider_function, role=RapidRole.DECIDE,
        level=decision.escalation_level, defaults={"org_unit": decision.deciding_unit})
    decision.refresh_from_db()
    _event(decision, EventKind.REASSIGNED, actor=actor, now=now, message=(reason or "").strip(),
           data={"from_user": previous.username if previous else None, "to_user": to_user.username})
    notify(recipients=notifiable(decision, [to_user], shared_part=False), kind="decision.decide",
           title=f"Decision handed to you: {decision.title}",
           body=(reason or "").strip(), url=decision_url(decision),
           dedupe_key=f"decision:{decision.pk}:reassigned:{to_user.pk}:{now.isoformat()}", now=now)
    return decision


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(hours=1)


def reassign_candidates(decision: Decision) -> list[User]:
    """Who else could decide it: the other active holders of the decider's function at the
    deciding unit (a deputy, a new post holder)."""
    return [a.user for a in Assignment.objects.filter(function=decision.decider_function_id,
                                                      org_unit=decision.deciding_unit_id, user__is_active=True)
            .exclude(user=decision.decider_id).select_related("user").order_by("user__username")]
