"""Backfill: the stage intervals of decisions logged before stages were stored, replayed from their
timelines (``manage.py backfill_decision_stages``; the demo loader runs it too).

The replay walks each decision's append-only events in order and applies what each one changed —
an input or agreement given, a veto (blocked), a revision or reopening (a new round: agreements
asked again), a missing answer chased one level up (its seats there join), an escalation (the
decider one level up, from the ``Escalation`` rows), a pause and its end (the ``DecisionPause``
rows), the decision closed — then asks the same rule as the live services
(``decisions.stages.open_stages``) what the decision waited for from that instant on. Open
agreement and input intervals get their chase clock from their start.
Rows are rebuilt from scratch for the decisions given, so running it twice gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from decisions.models import (
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionPause,
    DecisionStage,
    Escalation,
    EventKind,
    RapidRole,
)
from decisions.routing import holidays_by_unit
from decisions.services.stages import pause_party, seconds_on_calendar, start_answer_clocks
from decisions.stages import PARTNER_FUNCTION_CODES, Seat, Snapshot, open_stages
from governance.models import Role

CHASE_KINDS = (EventKind.AGREE_ESCALATED, EventKind.INPUT_ESCALATED)
ANSWERING = {EventKind.INPUT_GIVEN: (RapidRole.INPUT, RapidRole.RECOMMEND), EventKind.AGREED: (RapidRole.AGREE,),
             EventKind.VETOED: (RapidRole.AGREE,)}


def backfill_stages(decision_ids: Iterable[int] | None = None, *, batch_size: int = 500) -> int:
    """Rebuild the stage rows of ``decision_ids`` (all decisions when None) from their timelines.
    Returns how many decisions were replayed."""
    ids = list(decision_ids) if decision_ids is not None else list(
        Decision.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            _backfill_batch(ids[start:start + batch_size])
    return len(ids)


def _backfill_batch(ids: list[int]) -> None:
    decisions = list(Decision.objects.filter(pk__in=ids).select_related("decision_type", "org_unit", "partnership"))
    events: dict[int, list[DecisionEvent]] = {}
    for e in DecisionEvent.objects.filter(decision_id__in=ids).order_by("at", "pk"):
        events.setdefault(e.decision_id, []).append(e)
    seats: dict[int, list[DecisionParticipant]] = {}
    for p in (DecisionParticipant.objects.filter(decision_id__in=ids,
                                                 role__in=(RapidRole.AGREE, RapidRole.INPUT, RapidRole.RECOMMEND))
              .select_related("user", "function")):
        seats.setdefault(p.decision_id, []).append(p)
    pauses: dict[int, list[DecisionPause]] = {}
    for pause in DecisionPause.objects.filter(decision_id__in=ids).order_by("paused_at", "pk"):
        pauses.setdefault(pause.decision_id, []).append(pause)
    ladders: dict[int, dict[int, Escalation]] = {}
    for esc in Escalation.objects.filter(decision_id__in=ids):
        ladders.setdefault(esc.decision_id, {})[esc.level] = esc
    holidays = holidays_by_unit({d.org_unit_id for d in decisions if d.decision_type.calendar == "business"})
    DecisionStage.objects.filter(decision_id__in=ids).delete()
    rows: list[DecisionStage] = []
    for d in decisions:
        rows.extend(_replay(d, events.get(d.pk, []), seats.get(d.pk, []), ladders.get(d.pk, {}),
                            pauses.get(d.pk, []), holidays))
    facts = {d.pk: {"decision_type_id": d.decision_type_id, "priority": d.priority, "tz": d.org_unit.timezone,
                    "calendar": d.decision_type.calendar, "org_unit_id": d.org_unit_id} for d in decisions}
    start_answer_clocks([r for r in rows if r.ended_at is None], facts)
    DecisionStage.objects.bulk_create(rows)


def _replay(d: Decision, events: list[DecisionEvent], seats: list[DecisionParticipant],
            ladder: dict[int, Escalation], pauses: list[DecisionPause], holidays: dict) -> list[DecisionStage]:
    facts = {"calendar": d.decision_type.calendar, "tz": d.org_unit.timezone, "org_unit_id": d.org_unit_id}
    first = ladder.get(1)
    state = {"open": True, "round": 1, "level": 0, "unit": first.from_unit_id if first else d.deciding_unit_id,
             "pause": None}
    paused_at = {p.paused_at: p for p in pauses}
    answers: dict[int, bool | None] = {p.pk: None for p in seats}  # A: True/False/None; I/R: True once given
    asked = {p.pk for p in seats if p.level == 0}  # seats at higher levels join when a chase reaches them
    open_rows: dict[tuple[str, str], DecisionStage] = {}
    done: list[DecisionStage] = []
    partner_id = d.partnership.partner_id if d.partnership_id else None

    def snapshot() -> Snapshot:
        return Snapshot(
            is_open=state["open"], blocked=any(answers[p.pk] is False for p in seats if p.role == RapidRole.AGREE),
            decider_function_id=d.decider_function_id, deciding_unit_id=state["unit"],
            escalation_level=state["level"], partner_id=partner_id, pause_party=state["pause"],
            seats=[Seat(role=RapidRole.AGREE if p.role == RapidRole.AGREE else RapidRole.INPUT,
                        function_id=p.function_id, org_unit_id=p.org_unit_id, level=p.level,
                        answered=answers[p.pk] is True,
                        partner=p.user.role == Role.PARTNER or p.function.code in PARTNER_FUNCTION_CODES)
                   for p in seats if p.pk in asked])

    def settle(at: datetime) -> None:
        wanted = open_stages(snapshot())
        for key in [k for k in open_rows if k not in wanted]:
            row = open_rows.pop(key)
            if row.started_at < at:
                row.ended_at = at
                row.business_seconds = seconds_on_calendar(row.started_at, at, facts, holidays)
                done.append(row)
        for key, (stage, party) in wanted.items():
            if key not in open_rows:
                open_rows[key] = DecisionStage(
                    decision_id=d.pk, stage=stage, party_kind=party.kind, party_key=party.key,
                    function_id=party.function_id, org_unit_id=party.org_unit_id, partner_id=party.partner_id,
                    level=party.level, round=state["round"], started_at=at)

    for e in events:
        if e.kind in ANSWERING:
            for p in seats:
                if p.user_id == e.actor_id and p.role in ANSWERING[e.kind]:
                    answers[p.pk] = e.kind != EventKind.VETOED
        elif e.kind in (EventKind.REVISED, EventKind.REOPENED):
            state["round"] += 1
            state["open"] = True
            answers.update({p.pk: None for p in seats if p.role == RapidRole.AGREE})
        elif e.kind in (EventKind.DECIDED, EventKind.WITHDRAWN):
            state["open"], state["pause"] = False, None
        elif e.kind == EventKind.PAUSED and e.at in paused_at:
            state["pause"] = pause_party(paused_at[e.at])
        elif e.kind == EventKind.RESUMED:
            state["pause"] = None
        elif e.kind in CHASE_KINDS and not e.data.get("exhausted"):
            roles = ANSWERING[EventKind.AGREED] if e.kind == EventKind.AGREE_ESCALATED else ANSWERING[
                EventKind.INPUT_GIVEN]
            asked.update(p.pk for p in seats if p.level == e.data.get("level") and p.role in roles
                         and p.function.code == e.data.get("function"))
        elif e.kind == EventKind.ESCALATED and e.level in ladder and not e.data.get("exhausted"):
            state["level"], state["unit"] = e.level, ladder[e.level].to_unit_id
        elif e.kind != EventKind.LOGGED:
            continue
        settle(e.at)
    return done + list(open_rows.values())
