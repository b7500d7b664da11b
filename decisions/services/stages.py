"""Keeping the stored stage intervals in step with decisions (``decisions.stages`` has the rule).

Every service that changes what a decision waits for calls ``sync_stages`` with the decisions it
changed, in its transaction, after the change (the decision rows are locked by then): the rule's
wanted (stage, party) pairs are compared with the open rows; rows no longer wanted end at ``now``
with their ``business_seconds`` on the decision's SLA calendar (business hours of its org unit,
its and its ancestors' holidays — ``decisions.calendar``); newly wanted ones start at ``now``.
Set-based: a fixed number of queries for any number of decisions (the escalation sweep passes a
whole batch). Unchanged parties keep their open row, so an interval is never split by a sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from datetime import datetime

from django.db import connection
from django.db.models import F

from decisions.calendar import sla_seconds_between
from decisions.clock import answer_clock
from decisions.models import (
    Decision,
    DecisionParticipant,
    DecisionPause,
    DecisionStage,
    DecisionStatus,
    DecisionType,
    PartyKind,
    RapidRole,
    Stage,
)
from decisions.routing import holidays_by_unit
from decisions.stages import PARTNER_FUNCTION_CODES, Party, Seat, Snapshot, open_stages
from decisions.visibility import sees_internal
from governance.models import Role
from governance.rowsets import rows_cte

_SNAPSHOT_FIELDS = ("id", "status", "blocked", "round", "decider_function_id", "deciding_unit_id",
                    "escalation_level", "org_unit_id", "decision_type_id", "priority")


def running_pause_parties(decision_ids) -> dict[int, Party]:
    """``{decision id: the party its running pause waits on}`` (one query)."""
    return {decision_id: Party(kind, function_id=function_id, org_unit_id=org_unit_id, partner_id=partner_id)
            for decision_id, kind, function_id, org_unit_id, partner_id in DecisionPause.objects.filter(
                decision_id__in=list(decision_ids), resumed_at__isnull=True)
            .values_list("decision_id", "party_kind", "function_id", "org_unit_id", "partner_id")}


def pause_party(pause: DecisionPause) -> Party:
    return Party(pause.party_kind, function_id=pause.function_id, org_unit_id=pause.org_unit_id,
                 partner_id=pause.partner_id)


def snapshots(decision_ids: Iterable[int], *, new: bool = False) -> dict[int, tuple[Snapshot, dict]]:
    """``{decision id: (snapshot, facts)}`` for the rule, in three queries (one when all are closed:
    their seats and pauses do not matter to it; two when they are ``new``, logged in this
    transaction: not paused yet); ``facts`` carries what the rows need besides (round, org unit,
    calendar, time zone)."""
    ids = list(set(decision_ids))
    rows = (Decision.objects.filter(pk__in=ids).order_by()
            .values(*_SNAPSHOT_FIELDS, partner_id=F("partnership__partner_id"),
                    calendar=F("decision_type__calendar"), tz=F("org_unit__timezone")))
    out: dict[int, tuple[Snapshot, dict]] = {}
    for r in rows:
        out[r["id"]] = (Snapshot(is_open=r["status"] == DecisionStatus.OPEN, blocked=r["blocked"],
                                 decider_function_id=r["decider_function_id"],
                                 deciding_unit_id=r["deciding_unit_id"], escalation_level=r["escalation_level"],
                                 partner_id=r["partner_id"]), r)
    ids = [pk for pk, (snapshot, _) in out.items() if snapshot.is_open]  # a closed one waits on nobody
    if not ids:
        return out
    seats = (DecisionParticipant.objects.filter(decision_id__in=ids,
                                                role__in=(RapidRole.AGREE, RapidRole.INPUT, RapidRole.RECOMMEND))
             .values_list("decision_id", "role", "function_id", "org_unit_id", "level", "agreed", "input_at",
                          "user__role", "function__code"))
    for decision_id, role, function_id, unit_id, level, agreed, input_at, user_role, code in seats:
        answered = agreed is True if role == RapidRole.AGREE else input_at is not None
        role = RapidRole.AGREE if role == RapidRole.AGREE else RapidRole.INPUT
        out[decision_id][0].seats.append(Seat(role=role, function_id=function_id, org_unit_id=unit_id, level=level,
                                              answered=answered,
                                              partner=user_role == Role.PARTNER or code in PARTNER_FUNCTION_CODES))
    for decision_id, party in ({} if new else running_pause_parties(ids)).items():
        out[decision_id][0].pause_party = party
    return out


def sync_stages(decision_ids: Iterable[int], now: datetime, *, new: bool = False,
                decision_types: Iterable[DecisionType] = ()) -> None:
    """Bring the open stage rows of ``decision_ids`` in line with their state at ``now``. ``new``:
    the decisions were logged in this transaction (no stage rows or pauses to read yet);
    ``decision_types``: their types where the caller holds them (not read again)."""
    states = snapshots(decision_ids, new=new)
    if not states:
        return
    open_rows = [] if new else list(DecisionStage.objects.filter(decision_id__in=states, ended_at__isnull=True)
                                    .only("id", "decision_id", "stage", "party_key", "started_at"))
    wanted = {pk: open_stages(snapshot) for pk, (snapshot, _) in states.items()}
    ending = [row for row in open_rows if (row.stage, row.party_key) not in wanted[row.decision_id]]
    have = {(row.decision_id, row.stage, row.party_key) for row in open_rows}
    starting = [
        DecisionStage(decision_id=pk, stage=stage, party_kind=party.kind, party_key=party.key,
                      function_id=party.function_id, org_unit_id=party.org_unit_id, partner_id=party.partner_id,
                      level=party.level, round=states[pk][1]["round"], started_at=now)
        for pk, stages in wanted.items() for (stage, key), (_, party) in stages.items() if (pk, stage, key) not in have
    ]
    if ending:
        end_intervals(ending, now, {pk: facts for pk, (_, facts) in states.items()})
    if starting:
        start_answer_clocks(starting, {pk: facts for pk, (_, facts) in states.items()}, decision_types)
        DecisionStage.objects.bulk_create(starting, ignore_conflicts=True)


def start_answer_clocks(rows: list[DecisionStage], facts: dict[int, dict],
                        decision_types: Iterable[DecisionType] = ()) -> None:
    """Give each missing agreement or input of a function its chase clock, from its start
    (``decisions.clock.answer_clock``; ``services.chasing`` reminds and chases on it)."""
    asked = [r for r in rows if r.stage in (Stage.AGREE, Stage.INPUT) and r.party_kind == PartyKind.FUNCTION]
    if not asked:
        return
    types = {t.pk: t for t in decision_types}
    missing = {facts[r.decision_id]["decision_type_id"] for r in asked} - types.keys()
    if missing:
        types.update(DecisionType.objects.in_bulk(missing))
    holidays = holidays_by_unit({facts[r.decision_id]["org_unit_id"] for r in asked
                                 if facts[r.decision_id]["calendar"] == "business"})
    for r in asked:
        f = facts[r.decision_id]
        clock = answer_clock(decision_type=types[f["decision_type_id"]], priority=f["priority"], tz=f["tz"],
                             start=r.started_at, holidays=holidays.get(f["org_unit_id"], set()))
        r.due_at, r.warn_at, r.next_deadline_at = clock.due_at, clock.warn_at, clock.next_deadline_at


def end_intervals(rows: list[DecisionStage], now: datetime, facts: dict[int, dict]) -> None:
    """End ``rows`` at ``now`` with their business seconds (one UPDATE). A row that started at
    ``now`` (several steps at one instant, as a sweep catching up) is dropped instead: it never ran."""
    empty = [r.pk for r in rows if r.started_at >= now]
    if empty:
        DecisionStage.objects.filter(pk__in=empty).delete()
    rows = [r for r in rows if r.started_at < now]
    holidays = holidays_by_unit({facts[r.decision_id]["org_unit_id"] for r in rows
                                 if facts[r.decision_id]["calendar"] == "business"})
    for row in rows:
        row.ended_at = now
        row.business_seconds = seconds_on_calendar(row.started_at, now, facts[row.decision_id], holidays)
    if not rows:
        return
    # One UPDATE … FROM the rows as JSON (bulk_update's CASE per row costs seconds for a sweep's batch).
    field = DecisionStage._meta.get_field
    with_sql, params = rows_cte([("id", DecisionStage._meta.pk), ("ended", field("ended_at")),
                                 ("secs", field("business_seconds"))],
                                [(r.pk, r.ended_at, r.business_seconds) for r in rows])
    table = connection.ops.quote_name(DecisionStage._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"{with_sql} UPDATE {table} AS s SET ended_at = v.ended, business_seconds = v.secs "  # noqa: S608
                    "FROM v WHERE s.id = v.id", params)


def seconds_on_calendar(start: datetime, end: datetime, facts: dict, holidays: dict[int, set]) -> int:
    return sla_seconds_between(start, end, calendar=facts["calendar"], tz=facts["tz"],
                               holidays=holidays.get(facts["org_unit_id"], set()))


def stage_intervals(decision: Decision, rows: list[DecisionStage], now: datetime,
                    viewer=None) -> list[DecisionStage]:
    """``rows`` of ``decision`` (oldest first) with ``business_seconds`` of the still open ones
    counted up to ``now`` (not stored: an open interval's length grows).

    For a ``viewer`` who does not see internal detail (a partner user, ``visibility.sees_internal``)
    internal intervals that overlap — two functions asked to agree at once — are one interval, as
    they read as "the internal team" anyway: from the first start to the last end, its business time
    that of the union (not the sum, which would count the same hours twice)."""
    facts = {"calendar": decision.decision_type.calendar, "tz": decision.org_unit.timezone,
             "org_unit_id": decision.org_unit_id}
    merge = viewer is not None and not sees_internal(viewer)
    merged = _merge_internal(rows) if merge else rows
    stale = [r for r in merged if r.ended_at is None or r.business_seconds is None]
    if stale:
        holidays = holidays_by_unit([decision.org_unit_id]) if facts["calendar"] == "business" else {}
        for r in stale:
            r.business_seconds = seconds_on_calendar(r.started_at, r.ended_at or now, facts, holidays)
    return merged


def _is_internal(row: DecisionStage) -> bool:
    return row.party_kind != PartyKind.PARTNER and row.stage != Stage.PAUSED


def _merge_internal(rows: list[DecisionStage]) -> list[DecisionStage]:
    """Overlapping internal intervals as one (unsaved copies; ``business_seconds`` left ``None`` on
    the merged ones for the caller to count); other rows as they are."""
    out: list[DecisionStage] = []
    current: DecisionStage | None = None
    for row in rows:
        if not _is_internal(row):
            out.append(row)
            continue
        if current is not None and (current.ended_at is None or row.started_at <= current.ended_at):
            if current.ended_at is not None:
                current.ended_at = None if row.ended_at is None else max(current.ended_at, row.ended_at)
            current.business_seconds = None
            continue
        current = copy(row)
        out.append(current)
    return out


def party_label(row: DecisionStage) -> str:
    """``Compliance, Germany`` / the partner's name / ``Requester`` (related rows loaded by the caller)."""
    if row.party_kind == "function":
        return f"{row.function.name}, {row.org_unit.name}" if row.function_id else "—"
    if row.party_kind == "partner":
        return row.partner.name if row.partner_id else "The partner"
    return "Requester"


__all__ = ["Party", "end_intervals", "party_label", "snapshots", "stage_intervals", "start_answer_clocks",
           "sync_stages"]
