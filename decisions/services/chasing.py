# ruff: noqa: S608 - SQL assembled from model table names and placeholders only
"""Chasing the blocker: the sweep's second half. A missing agreement (A) or input (I, R) has a
clock of its own on its open stage interval (``decisions.clock.answer_clock``): at the pre-breach
point its holders are reminded; at its deadline it is chased to **the same function one level
up** (the DACH Compliance lead when DE Compliance does not answer) — the holders there join the
decision as A or I participants at the next level, are told, and any one answer of the function
counts. The decider ladder (``services.escalation``) is untouched.

Guarantees as the decider ladder's: the due intervals' decisions are locked ``FOR UPDATE SKIP
LOCKED`` (a decision another sweep or a user action holds is left to them); each step is claimed
with a compare-and-set ``UPDATE decisionstage … WHERE id IN … AND ended_at IS NULL AND
<deadline guard> RETURNING id``; only claimed rows get their ``Chase`` row (unique per decision,
stage, function, round and level: the backstop), participants, event and notifications, one
statement each; then ``sync_stages`` ends the interval and starts the next level's with a fresh
clock. Exactly once per level, with two sweeps racing or a worker killed between batches (each
batch commits on its own). With nobody higher up (or escalation off for the type) the chase
stops there: one ``Chase`` row without ``to_unit``, and the requester, decider and admins told.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from decisions.models import (
    Chase,
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionStage,
    DecisionStatus,
    DecisionType,
    EventKind,
    PartyKind,
    RapidRole,
    Stage,
)
from decisions.routing import nearest_holders
from decisions.services.escalation import BATCH_SIZE, MAX_BATCH_SIZE, _decision_urls, _insert
from decisions.services.stages import sync_stages
from governance.models import Function, OrgUnit, User
from governance.notifications import Notice, notify_many

REMINDED, CHASED, TOP = "reminded", "chased", "top"
EVENT_KINDS = {Stage.AGREE: EventKind.AGREE_ESCALATED, Stage.INPUT: EventKind.INPUT_ESCALATED}
SEAT_ROLES = {Stage.AGREE: (RapidRole.AGREE,), Stage.INPUT: (RapidRole.INPUT, RapidRole.RECOMMEND)}
ASKED = {Stage.AGREE: "agreement", Stage.INPUT: "input"}


def chase_overdue(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict:
    """Remind and chase every missing agreement or input due by ``now``. Returns counts:
    ``reminded``, ``chased`` (one level up), ``top`` (nobody higher). Safe to run twice at once."""
    now = now or timezone.now()
    size = max(1, min(batch_size, MAX_BATCH_SIZE))
    due = list(DecisionStage.objects.filter(ended_at__isnull=True, next_deadline_at__isnull=False,
                                            next_deadline_at__lte=now, decision__status=DecisionStatus.OPEN)
               .order_by("next_deadline_at", "pk").values_list("decision_id", flat=True))
    ids = list(dict.fromkeys(due))
    counts: Counter = Counter()
    for start in range(0, len(ids), size):
        with transaction.atomic():
            counts.update(_chase_round(ids[start:start + size], now))
    return {REMINDED: counts[REMINDED], CHASED: counts[CHASED], TOP: counts[TOP]}


def _claim(ids: list[int], set_sql: str, guard_sql: str, params: list) -> set[int]:
    """Compare-and-set on open stage intervals: the ids of the rows the ``UPDATE`` changed."""
    if not ids:
        return set()
    table = connection.ops.quote_name(DecisionStage._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET {set_sql} WHERE id = ANY(%s) AND ended_at IS NULL {guard_sql} RETURNING id",
                    [ids, *params])
        return {pk for (pk,) in cur.fetchall()}


def _chase_round(ids: list[int], now: datetime) -> Counter:
    locked = set(Decision.objects.select_for_update(of=("self",), skip_locked=True)
                 .filter(pk__in=ids, status=DecisionStatus.OPEN).values_list("pk", flat=True))
    if not locked:
        return Counter()
    rows = list(DecisionStage.objects.filter(decision_id__in=locked, ended_at__isnull=True,
                                             next_deadline_at__isnull=False, next_deadline_at__lte=now,
                                             party_kind=PartyKind.FUNCTION))
    stamp = connection.ops.adapt_datetimefield_value(now)
    reminded = _claim([r.pk for r in rows if r.due_at > now], "warn_at = NULL, next_deadline_at = due_at",
                      "AND warn_at IS NOT NULL AND warn_at <= %s", [stamp])
    chased = _claim([r.pk for r in rows if r.due_at <= now], "next_deadline_at = NULL",
                    "AND next_deadline_at IS NOT NULL AND due_at <= %s", [stamp])
    remind = [r for r in rows if r.pk in reminded]
    chase = [r for r in rows if r.pk in chased]
    if not remind and not chase:
        return Counter()
    decisions = Decision.objects.only("id", "title", "round", "decision_type_id", "requested_by_id", "decider_id",
                                      "org_unit_id").in_bulk({r.decision_id for r in remind + chase})
    seats: dict[tuple, list[int]] = {}
    for decision_id, function_id, unit_id, level, role, user_id in (
            DecisionParticipant.objects.filter(decision_id__in=decisions, role__in=(RapidRole.AGREE, RapidRole.INPUT,
                                                                                    RapidRole.RECOMMEND))
            .values_list("decision_id", "function_id", "org_unit_id", "level", "role", "user_id")):
        stage = Stage.AGREE if role == RapidRole.AGREE else Stage.INPUT
        seats.setdefault((decision_id, stage, function_id, unit_id, level), []).append(user_id)
    types = DecisionType.objects.in_bulk({d.decision_type_id for d in decisions.values()})
    covers = nearest_holders(unit_ids={r.org_unit_id for r in chase}, function_ids={r.function_id for r in chase},
                             strictly_above=True)
    up = {r.pk: covers.get((r.org_unit_id, r.function_id)) for r in chase
          if types[decisions[r.decision_id].decision_type_id].escalation_enabled}
    user_ids = ({u for users in seats.values() for u in users} | {u for c in up.values() if c for u in c.user_ids}
                | {u for d in decisions.values() for u in (d.requested_by_id, d.decider_id)})
    users = User.objects.in_bulk(user_ids - {None})
    units = OrgUnit.objects.only("id", "name", "code").in_bulk(
        {r.org_unit_id for r in chase + remind} | {c.org_unit_id for c in up.values() if c})
    functions = Function.objects.only("id", "name", "code").in_bulk({r.function_id for r in chase + remind})
    url = _decision_urls()

    notices, events, chases, participants = [], [], [], []
    for r in remind:
        d, function, unit = decisions[r.decision_id], functions[r.function_id], units[r.org_unit_id]
        holders = tuple(users[u] for u in seats.get((d.pk, r.stage, r.function_id, r.org_unit_id, r.level), []))
        notices.append(Notice(recipients=holders, kind="decision.answer_due", url=url(d.pk),
                              title=f"Your {ASKED[r.stage]} is due soon: {d.title}",
                              body=f"{function.name} ({unit.name}) has not answered yet; unanswered it goes to "
                                   f"{function.name} one level up.",
                              dedupe_key=f"decision:{d.pk}:answer_due:{r.stage}:{r.function_id}:{r.level}:{d.round}"))
        events.append((d.pk, EventKind.NUDGED, now, r.level, d.round,
                       f"{function.name} ({unit.name}) reminded: its {ASKED[r.stage]} is due soon.",
                       {"stage": r.stage, "function": function.code, "automatic": True}))
    admins = None
    for r in chase:
        d, function, here = decisions[r.decision_id], functions[r.function_id], units[r.org_unit_id]
        cover, kind = up.get(r.pk), EVENT_KINDS[r.stage]
        key = f"decision:{d.pk}:chase:{r.stage}:{r.function_id}:{d.round}:{r.level + 1}"
        if cover is None:
            chases.append((d.pk, r.stage, r.function_id, r.level + 1, d.round, r.org_unit_id, None, r.due_at, now))
            events.append((d.pk, kind, now, r.level, d.round,
                           f"{function.name} ({here.name}) has not answered and there is nobody higher to chase.",
                           {"stage": r.stage, "function": function.code, "from_unit": here.code, "exhausted": True}))
            if admins is None:
                admins = tuple(User.objects.admins())
            notices.append(Notice(
                recipients=(*admins, users.get(d.decider_id), users.get(d.requested_by_id)),
                kind="decision.answer_overdue_top", url=url(d.pk), dedupe_key=key,
                title=f"{ASKED[r.stage].capitalize()} overdue with nobody higher to ask: {d.title}",
                body=f"{function.name} ({here.name}) has not answered."))
            continue
        target = units[cover.org_unit_id]
        role = RapidRole.AGREE if r.stage == Stage.AGREE else RapidRole.INPUT
        chases.append((d.pk, r.stage, r.function_id, r.level + 1, d.round, r.org_unit_id, target.pk, r.due_at, now))
        participants.extend((d.pk, u, r.function_id, target.pk, role, r.level + 1, "", "") for u in cover.user_ids)
        names = ", ".join(users[u].get_full_name() or users[u].username for u in cover.user_ids)
        events.append((d.pk, kind, now, r.level + 1, d.round,
                       f"{function.name} ({here.name}) did not answer in time: {ASKED[r.stage]} asked of {names} "
                       f"({function.name}, {target.name}).",
                       {"stage": r.stage, "function": function.code, "from_unit": here.code, "to_unit": target.code,
                        "level": r.level + 1, "to_users": [users[u].username for u in cover.user_ids],
                        "missed_deadline": r.due_at.isoformat()}))
        notices.append(Notice(recipients=tuple(users[u] for u in cover.user_ids), kind=f"decision.{role_kind(r)}",
                              url=url(d.pk), dedupe_key=key,
                              title=f"Your {ASKED[r.stage]} is needed (chased from {here.name}): {d.title}",
                              body=f"{function.name} ({here.name}) did not answer in time; one answer from "
                                   f"{function.name} counts."))
        notices.append(Notice(recipients=(users.get(d.requested_by_id),), kind="decision.chased", url=url(d.pk),
                              dedupe_key=key, title=f"{function.name} chased at {target.name}: {d.title}"))
    # Unique (decision, stage, function, round, level): a second claim of a level would fail here.
    _insert(Chase, ["decision_id", "stage", "function_id", "level", "round", "from_unit_id", "to_unit_id",
                    "missed_deadline", "at"], chases)
    _insert(DecisionParticipant, ["decision_id", "user_id", "function_id", "org_unit_id", "role", "level",
                                  "input_text", "comment"], participants, on_conflict="ON CONFLICT DO NOTHING")
    _insert(DecisionEvent, ["decision_id", "kind", "at", "level", "round", "message", "data"], events)
    sync_stages({r.decision_id for r in chase}, now)  # the chased party's interval ends, the next level's starts
    notify_many(notices, now=now)
    return Counter({REMINDED: len(remind), CHASED: sum(1 for r in chase if up.get(r.pk)),
                    TOP: sum(1 for r in chase if not up.get(r.pk))})


def role_kind(row: DecisionStage) -> str:
    return "agree" if row.stage == Stage.AGREE else "input"
