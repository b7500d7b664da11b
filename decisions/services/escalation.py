# ruff: noqa: S608 - SQL assembled from model table names and placeholders only
"""The overdue sweep: pre-breach warnings at 75% of a level's SLA and escalation one org level up.

Set-based, in batches of due decisions, one transaction per batch and step ("round"):

1. load the batch's rows still due, locked ``FOR UPDATE SKIP LOCKED`` (a row another sweep or a
   user action holds is left to them),
   and the types, units, functions and users they refer to (one query each, shared by all rows);
2. find the next holder of every overdue decision in one query (closure table × assignments of
   the decider's function, nearest ancestor first, then the oldest assignment; active users);
3. compute the new clocks in Python (``decisions.clock.level_clock``: business hours, holidays and
   the requested date's earlier warning);
4. claim with one compare-and-set ``UPDATE … FROM v WHERE id = v.decision_id AND status='open'
   AND escalation_level = v.level [AND warn/exhausted guards] RETURNING id`` per kind of step;
5. only for claimed rows: insert the ``Escalation`` rows (unique on decision, level), the D
   participants (``ON CONFLICT DO NOTHING``, as ``get_or_create``), the events and the
   notifications (``notify_many``, unique on recipient + dedupe key), one statement each.

The rows ``v`` of each statement travel as one JSON parameter (``governance.rowsets``). Texts,
dedupe keys, event data and counts are those of the earlier one-decision-at-a-time version.

Exactly once per level: the claim's ``escalation_level`` guard, backed by the ``Escalation``
unique constraint; two sweeps at once split the rows between them (SKIP LOCKED) and any row that
changed under a sweep fails its guard. The query count of a round does not depend on the batch
size.

Catch-up after downtime (our choice): the clock of level k+1 starts when level k's deadline
passed, not when the sweep happened to run. So the schedule never depends on sweep timing, and
one sweep after an outage performs every escalation that fell due meanwhile (one claimed step
per level and round, each with its own row, event and notifications); a level whose deadline
has not passed yet is left alone.

``Decision`` keeps no simple_history table (the compare-and-set ``.update()`` never wrote one);
its ``DecisionEvent`` timeline is the record of every step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from decisions.clock import Clock, level_clock
from decisions.forums import passes_at
from decisions.models import (
    AgendaItem,
    AgendaReason,
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionStatus,
    DecisionType,
    Escalation,
    EventKind,
    Forum,
    RapidRole,
)
from decisions.routing import holidays_by_unit, nearest_holders
from decisions.services.forums import next_meetings, open_items, queued_message
from decisions.services.stages import sync_stages
from governance.models import Function, OrgUnit, User
from governance.notifications import Notice, notify_many
from governance.rowsets import rows_cte
from governance.timezones import format_instant, user_zone

MAX_STEPS_PER_DECISION = 10  # four levels, their warnings and the "nowhere higher" mark fit easily
BATCH_SIZE = 1000  # due decisions per transaction
MAX_BATCH_SIZE = 5000

ESCALATED, WARNED, EXHAUSTED, QUEUED, PARKED = "escalated", "warned", "exhausted", "queued", "parked"

_DECISION_FIELDS = ("id", "title", "decision_type_id", "org_unit_id", "priority", "requested_by_id", "decider_id",
                    "decider_function_id", "deciding_unit_id", "escalation_level", "clock_started_at", "due_at",
                    "warn_at", "next_deadline_at", "requested_at", "due_by", "round")
_USER_FIELDS = ("id", "username", "first_name", "last_name", "email", "is_active", "timezone")


def escalate_overdue(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict:
    """Run one sweep at ``now`` over every decision due by then. Returns counts: ``escalated``,
    ``warned``, ``exhausted``.

    Reads the partial index on ``next_deadline_at`` (open decisions only), then works through the
    due decisions in batches of ``batch_size`` (at most ``MAX_BATCH_SIZE``), oldest deadline
    first, each batch committed on its own. A decision that is still due after its step (catch-up
    after downtime) takes its next step in the batch's next round, up to ``MAX_STEPS_PER_DECISION``.
    Safe to run twice at once (see the module docstring).
    """
    now = now or timezone.now()
    size = max(1, min(batch_size, MAX_BATCH_SIZE))
    counts: Counter = Counter()
    due_ids = list(Decision.objects.filter(status=DecisionStatus.OPEN, next_deadline_at__isnull=False,
                                           next_deadline_at__lte=now)
                   .order_by("next_deadline_at", "pk").values_list("pk", flat=True))
    for start in range(0, len(due_ids), size):
        pending = due_ids[start:start + size]
        for _ in range(MAX_STEPS_PER_DECISION):
            if not pending:
                break
            with transaction.atomic():
                steps = _sweep_round(pending, now)
            counts.update(kind for kind, _ in steps.values())
            pending = [pk for pk, (_, again) in steps.items() if again]
    return {ESCALATED: counts[ESCALATED], WARNED: counts[WARNED], EXHAUSTED: counts[EXHAUSTED],
            QUEUED: counts[QUEUED]}


@transaction.atomic
def decision_escalate_step(*, decision_id: int, now: datetime) -> str | None:
    """One claimed step for one decision: ``"escalated"``, ``"warned"``, ``"exhausted"`` or None
    (nothing due, or the row is locked by someone else right now)."""
    step = _sweep_round([decision_id], now).get(decision_id)
    return step[0] if step else None


@dataclass
class _Refs:
    """What a round's decisions refer to, loaded once per round (by id)."""

    types: dict[int, DecisionType]
    units: dict[int, OrgUnit]
    functions: dict[int, Function]
    users: dict[int, User]
    url: Callable[[int], str]


def _sweep_round(ids: list[int], now: datetime) -> dict[int, tuple[str, bool]]:
    """One step for each of ``ids`` that is due at ``now``, in the caller's transaction.

    Returns ``{decision id: (kind of step, still due after it)}`` for the rows this call claimed.
    """
    decisions = list(
        Decision.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=ids, status=DecisionStatus.OPEN, next_deadline_at__isnull=False, next_deadline_at__lte=now)
        .order_by("pk").only(*_DECISION_FIELDS))
    if not decisions:
        return {}
    types = DecisionType.objects.in_bulk({d.decision_type_id for d in decisions})
    overdue = [d for d in decisions if d.due_at <= now]
    warn = [d for d in decisions if d.due_at > now and d.warn_at is not None and d.warn_at <= now]
    forum_of = {d.pk: types[d.decision_type_id].forum_id for d in overdue if types[d.decision_type_id].forum_id}
    meetings = next_meetings(set(forum_of.values()), now) if forum_of else {}
    lapsed = [d for d in overdue if meetings.get(forum_of.get(d.pk)) is not None]  # no meeting ahead: the ladder
    overdue = [d for d in overdue if d not in lapsed]
    holders = _next_holders([d for d in overdue if types[d.decision_type_id].escalation_enabled])
    escalate = [(d, holders[d.pk]) for d in overdue if d.pk in holders]
    exhaust = [d for d in overdue if d.pk not in holders]

    unit_ids = {u for d in decisions for u in (d.org_unit_id, d.deciding_unit_id)} | {h[1] for h in holders.values()}
    user_ids = {u for d in decisions for u in (d.decider_id, d.requested_by_id)} | {h[0] for h in holders.values()}
    refs = _Refs(
        types=types,
        units=OrgUnit.objects.only("id", "name", "code", "timezone").in_bulk(unit_ids),
        functions=Function.objects.only("id", "name").in_bulk({d.decider_function_id for d in decisions}),
        users=User.objects.only(*_USER_FIELDS).in_bulk(user_ids - {None}),
        url=_decision_urls(),
    )
    steps: dict[int, tuple[str, bool]] = {}
    steps.update(_escalate(escalate, refs, now))
    steps.update(_warn(warn, refs, now))
    steps.update(_exhaust(exhaust, refs, now))
    steps.update(_queue(lapsed, meetings, refs, now))
    return steps


def _decision_urls() -> Callable[[int], str]:
    """``decision_url`` for many decisions: the detail route reversed once, the id put in by text."""
    marker = 9_876_543_210_123  # an id no decision has; the route is /decisions/<int:pk>/
    template = reverse("decisions:detail", args=[marker])
    return lambda pk: template.replace(str(marker), str(pk))


def _next_holders(decisions: list[Decision]) -> dict[int, tuple[int, int]]:
    """``{decision id: (user id, org unit id)}``: the nearest holder of its decider's function above
    its deciding unit (``routing.nearest_holders``: nearest ancestor first, then the oldest
    assignment; active users only), for all ``decisions`` in one query."""
    covers = nearest_holders(unit_ids={d.deciding_unit_id for d in decisions},
                             function_ids={d.decider_function_id for d in decisions}, strictly_above=True)
    found = {d.pk: covers.get((d.deciding_unit_id, d.decider_function_id)) for d in decisions}
    return {pk: (cover.user_ids[0], cover.org_unit_id) for pk, cover in found.items() if cover is not None}


def _claim(rows: list[tuple], columns: list[tuple[str, object]], set_sql: str, guard_sql: str = "",
           guard_params=()) -> set[int]:
    """The compare-and-set: ``UPDATE decision SET … FROM v WHERE id = v.decision_id AND
    status = 'open' AND escalation_level = v.level AND …`` where ``v`` holds ``rows``
    (``decision_id``, ``level``, then ``columns``). Returns the ids of the rows it changed."""
    if not rows:
        return set()
    field = Decision._meta.get_field
    columns = [("decision_id", Decision._meta.pk), ("level", field("escalation_level")), *columns]
    table = connection.ops.quote_name(Decision._meta.db_table)
    with_sql, params = rows_cte(columns, rows)
    with connection.cursor() as cur:
        cur.execute(
            f"{with_sql} UPDATE {table} AS d SET {set_sql} FROM v WHERE d.id = v.decision_id "
            f"AND d.status = %s AND d.escalation_level = v.level {guard_sql} RETURNING id",
            [*params, DecisionStatus.OPEN, *guard_params])
        return {pk for (pk,) in cur.fetchall()}


def _insert(model, columns: list[str], rows: list[tuple], *, on_conflict: str = "") -> None:
    """``INSERT INTO model (columns) SELECT … FROM v [ON CONFLICT …]``: one statement for all rows."""
    if not rows:
        return
    fields = [(c, model._meta.get_field(c)) for c in columns]  # get_field knows "decision_id" too
    names = ", ".join(columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with_sql, params = rows_cte(fields, rows)
    with connection.cursor() as cur:
        cur.execute(f"{with_sql} INSERT INTO {table} ({names}) SELECT {names} FROM v {on_conflict}", params)


def _escalate(escalate: list[tuple[Decision, tuple[int, int]]], refs: _Refs, now: datetime
              ) -> dict[int, tuple[str, bool]]:
    """Move each decision to its next holder with a new clock anchored at the missed deadline."""
    if not escalate:
        return {}
    business = {d.org_unit_id for d, _ in escalate if refs.types[d.decision_type_id].calendar == "business"}
    holidays = holidays_by_unit(business)
    clocks: dict[tuple, Clock] = {}
    plan = []
    for d, (to_user, to_unit) in escalate:
        anchor = d.due_at  # the new level's clock starts when the old one ran out (see module doc)
        key = (d.decision_type_id, d.priority, d.org_unit_id, anchor, d.requested_at, d.due_by)
        if key not in clocks:
            clocks[key] = level_clock(decision_type=refs.types[d.decision_type_id], priority=d.priority,
                                      org_unit=refs.units[d.org_unit_id], start=anchor, requested_at=d.requested_at,
                                      due_by=d.due_by, holidays=holidays.get(d.org_unit_id, set()))
        plan.append((d, to_user, to_unit, clocks[key]))
    field = Decision._meta.get_field
    claimed = _claim(
        [(d.pk, d.escalation_level, to_user, to_unit, c.started_at, c.due_at, c.warn_at, c.next_deadline_at)
         for d, to_user, to_unit, c in plan],
        [("decider", field("decider")), ("unit", field("deciding_unit")), ("started", field("clock_started_at")),
         ("due", field("due_at")), ("warn", field("warn_at")), ("next", field("next_deadline_at"))],
        "escalation_level = v.level + 1, decider_id = v.decider, deciding_unit_id = v.unit, "
        "clock_started_at = v.started, due_at = v.due, warn_at = v.warn, next_deadline_at = v.next")
    plan = [p for p in plan if p[0].pk in claimed]
    if not plan:
        return {}

    escalations, participants, events, notices = [], [], [], []
    for d, to_user, to_unit, clock in plan:
        anchor, due_at = clock.started_at, clock.due_at
        k = d.escalation_level
        url = refs.url(d.pk)
        target, unit, here = refs.users[to_user], refs.units[to_unit], refs.units[d.deciding_unit_id]
        function = refs.functions[d.decider_function_id]
        escalations.append((d.pk, k + 1, d.decider_function_id, d.deciding_unit_id, to_unit, d.decider_id, to_user,
                            anchor, now))
        participants.append((d.pk, to_user, d.decider_function_id, to_unit, RapidRole.DECIDE, k + 1, "", ""))
        who = target.get_full_name() or target.username
        events.append((d.pk, EventKind.ESCALATED, now, k + 1, d.round,
                       f"Not decided at {here.name} in time: escalated to {who} ({function.name}, {unit.name}).",
                       {"from_unit": here.code, "to_unit": unit.code, "to_user": target.username,
                        "missed_deadline": anchor.isoformat()}))
        key = f"decision:{d.pk}:escalated:{k + 1}:{d.clock_started_at.isoformat()}"
        notices.append(Notice(
            recipients=(target,), kind="decision.escalated", title=f"Escalated to you: {d.title}",
            body=partial(_due_text, f"Not decided at {here.name} in time. You now decide; due", due_at, "short"),
            url=url, dedupe_key=key))
        notices.append(Notice(
            recipients=(refs.users[d.requested_by_id],), kind="decision.escalated",
            title=f"Your decision was escalated to {unit.name}: {d.title}", url=url, dedupe_key=key))
    # Unique (decision, level): a second claim of a level would fail here, never pass silently.
    _insert(Escalation, ["decision_id", "level", "function_id", "from_unit_id", "to_unit_id", "from_user_id",
                         "to_user_id", "missed_deadline", "at"], escalations)
    _insert(DecisionParticipant, ["decision_id", "user_id", "function_id", "org_unit_id", "role", "level",
                                  "input_text", "comment"], participants, on_conflict="ON CONFLICT DO NOTHING")
    _insert(DecisionEvent, ["decision_id", "kind", "at", "level", "round", "message", "data"], events)
    sync_stages([d.pk for d, _, _, _ in plan], now)  # the decision stage moves to the new decider's unit
    notify_many(notices, now=now)
    return {d.pk: (ESCALATED, clock.next_deadline_at <= now) for d, _, _, clock in plan}


def _warn(warn: list[Decision], refs: _Refs, now: datetime) -> dict[int, tuple[str, bool]]:
    """Tell the decider at 75% of the level's time; the next deadline becomes the due time."""
    claimed = _claim([(d.pk, d.escalation_level) for d in warn], [],
                     "warn_at = NULL, next_deadline_at = d.due_at",
                     "AND d.warn_at IS NOT NULL AND d.warn_at <= %s", [connection.ops.adapt_datetimefield_value(now)])
    done = [d for d in warn if d.pk in claimed]
    notify_many([Notice(
        recipients=(refs.users.get(d.decider_id),), kind="decision.due_soon", title=f"Due soon: {d.title}",
        body=partial(_warning_text, d), url=refs.url(d.pk),
        dedupe_key=f"decision:{d.pk}:warn:{d.escalation_level}:{d.clock_started_at.isoformat()}")
        for d in done], now=now)
    return {d.pk: (WARNED, d.due_at <= now) for d in done}


def _exhaust(exhaust: list[Decision], refs: _Refs, now: datetime) -> dict[int, tuple[str, bool]]:
    """Overdue with nobody higher up (or escalation off): mark it once, tell admins, decider, requester."""
    claimed = _claim([(d.pk, d.escalation_level) for d in exhaust], [],
                     "escalation_exhausted = TRUE, warn_at = NULL, next_deadline_at = NULL",
                     "AND d.escalation_exhausted = FALSE")
    done = [d for d in exhaust if d.pk in claimed]
    if not done:
        return {}
    admins = list(User.objects.admins().only(*_USER_FIELDS))
    events, notices = [], []
    for d in done:
        where = refs.units[d.deciding_unit_id].name
        events.append((d.pk, EventKind.ESCALATED, now, d.escalation_level, d.round,
                       f"Overdue at {where} and there is nowhere higher to escalate: admins notified.",
                       {"exhausted": True}))
        notices.append(Notice(
            recipients=(*admins, refs.users.get(d.decider_id), refs.users[d.requested_by_id]),
            kind="decision.overdue_top", title=f"Overdue with nowhere higher to go: {d.title}",
            body=f"Overdue at {where} ({refs.functions[d.decider_function_id].name}).", url=refs.url(d.pk),
            dedupe_key=f"decision:{d.pk}:exhausted:{d.clock_started_at.isoformat()}"))
    _insert(DecisionEvent, ["decision_id", "kind", "at", "level", "round", "message", "data"], events)
    notify_many(notices, now=now)
    return {d.pk: (EXHAUSTED, False) for d in done}


def _queue(lapsed: list[Decision], meetings: dict, refs: _Refs, now: datetime) -> dict[int, tuple[str, bool]]:
    """Forum-bound and overdue: on the agenda of the forum's next meeting instead of one level up
    (``services.forums``), and off the hourly ladder (no next deadline). A decision already queued
    (its clock re-armed meanwhile, e.g. by a resumed pause) is only taken off the ladder again."""
    claimed = _claim([(d.pk, d.escalation_level) for d in lapsed], [], "warn_at = NULL, next_deadline_at = NULL",
                     "AND d.next_deadline_at IS NOT NULL")
    done = [d for d in lapsed if d.pk in claimed]
    if not done:
        return {}
    already = open_items(d.pk for d in done)
    new = [d for d in done if d.pk not in already]
    forums = Forum.objects.select_related("org_unit").in_bulk({refs.types[d.decision_type_id].forum_id for d in new})
    items, events, notices = [], [], []
    for d in new:
        forum = forums[refs.types[d.decision_type_id].forum_id]
        meeting_at = meetings[forum.pk]
        items.append((forum.pk, d.pk, AgendaReason.LAPSED, now, meeting_at, passes_at(forum, meeting_at), 0))
        message = queued_message(forum, meeting_at, f"Not decided at {refs.units[d.deciding_unit_id].name} in time")
        events.append((d.pk, EventKind.FORUM_QUEUED, now, d.escalation_level, d.round, message,
                       {"forum": forum.pk, "forum_name": forum.name, "meeting_at": meeting_at.isoformat(),
                        "reason": AgendaReason.LAPSED, "missed_deadline": d.due_at.isoformat()}))
        notices.append(Notice(
            recipients=(refs.users.get(d.decider_id), refs.users[d.requested_by_id]), kind="decision.forum_queued",
            title=f"Goes to {forum.name}: {d.title}", body=message, url=refs.url(d.pk),
            dedupe_key=f"decision:{d.pk}:forum:{meeting_at.isoformat()}"))
    # Unique (decision) among open items: a second queuing would fail here, never pass silently.
    _insert(AgendaItem, ["forum_id", "decision_id", "reason", "queued_at", "meeting_at", "passes_at", "rolls"], items)
    _insert(DecisionEvent, ["decision_id", "kind", "at", "level", "round", "message", "data"], events)
    notify_many(notices, now=now)
    return {d.pk: (PARKED if d.pk in already else QUEUED, False) for d in done}


def _warning_text(d: Decision, user: User) -> str:
    """The pre-breach warning, for one reader: the requested date when it is the nearer deadline."""
    if d.due_by is not None and d.due_by < d.due_at:
        return (f"The requested date is near: {format_instant(d.due_by, user_zone(user))} "
                f"(the SLA is due {format_instant(d.due_at, user_zone(user))}).")
    return _due_text("75% of the time to decide has passed; due", d.due_at, "", user)


def _due_text(text: str, due_at: datetime, style: str, user: User) -> str:
    """``text`` and the deadline in ``user``'s zone (a notification body per recipient)."""
    return f"{text} {format_instant(due_at, user_zone(user), style)}."
